"""One loader for every plugin seam: channels (`alerthub.channels`) and projections
(`alerthub.projections`) are found and checked by the same rules.

- Plugins are entry points of their group, loaded in name order; the built-in ones are
  registered the same way, in the hub's own `pyproject.toml`.
- An entry point names an object that already meets the contract, or a factory (a class or a
  function) that builds one. A factory receives, by keyword, the arguments it names among those
  the seam offers (a projection may ask for `prefix` and `channels`); nothing else.
- What was loaded must meet the seam's contract and call itself by its entry point's name.
- Two plugins of one name, a plugin that fails to import or to build, or one that breaks the
  contract stop the start with an error naming the plugin, never a half-loaded hub.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from domain.errors import AlertHubError


@dataclass(frozen=True)
class Seam:
    group: str  # the entry-point group
    kind: str  # what a plugin of this seam is called in errors ("channel plugin")
    problem: Callable[[Any], str | None]  # what breaks the contract, or None
    error: type[AlertHubError]
    offered: Mapping[str, Any] = field(default_factory=dict)  # what a factory may ask for
    name_prefix: str = ""  # a plugin built for a prefixed copy calls itself prefix + name


def load_plugins(seam: Seam, found: Iterable[EntryPoint] | None = None) -> dict[str, Any]:
    """Every plugin of `seam` by name (from `found`, or what is installed)."""
    eps = entry_points(group=seam.group) if found is None else found
    plugins: dict[str, Any] = {}
    for ep in sorted(eps, key=lambda e: e.name):
        if ep.name in plugins:
            raise seam.error(f"two {seam.kind}s are named {ep.name!r}")
        plugins[ep.name] = load_plugin(seam, ep)
    return plugins


def load_plugin(seam: Seam, ep: EntryPoint) -> Any:
    """One plugin, refused with the plugin named if it does not meet the seam's contract."""
    where = f"{seam.kind} {ep.name!r} ({ep.value})"
    try:
        loaded = ep.load()
        factory = isinstance(loaded, type) or (callable(loaded) and seam.problem(loaded))
        plugin = _build(loaded, seam.offered) if factory else loaded
    except Exception as exc:
        raise seam.error(f"{where} failed to load: {exc!r}") from exc
    problem = seam.problem(plugin)
    if problem is not None:
        raise seam.error(f"{where} {problem}")
    if plugin.name != seam.name_prefix + ep.name:
        raise seam.error(f"{where} calls itself {plugin.name!r}; names must match")
    return plugin


def _build(factory: Callable[..., Any], offered: Mapping[str, Any]) -> Any:
    try:
        wanted = inspect.signature(factory).parameters
    except ValueError:  # a builtin without a signature: offer nothing
        wanted = {}  # type: ignore[assignment]
    return factory(**{name: value for name, value in offered.items() if name in wanted})
