"""The projections seam: every view the hub keeps, found through `alerthub.projections`.

The built-in views (`alerts`, `views`, `incidents`, `places`) are entry points of the hub's own
package, registered exactly as an outside projection is: the hub keeps every installed projection
up to date, `alerthub projections status` lists them, `rebuild` rebuilds them and `replay` builds
any of them into a fresh database. A factory may ask for `prefix` (the table prefix a rebuild gives
its copy), `channels` (the installed channels, for views that render them), `places` (the
hub's geography, for views that place alerts on the map) and `lifetimes` (the channels' default
lifetimes, for views that judge expiry).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint
from typing import Any

from adapters.base import Channel
from adapters.plugins import Seam, load_plugins
from domain.errors import ConfigurationError
from domain.lifetimes import NEVER, Lifetimes
from projections.alerts import Places
from projections.base import Projection

PROJECTION_GROUP = "alerthub.projections"


def _contract_problem(obj: Any) -> str | None:
    if not all(hasattr(obj, a) for a in ("name", "create_tables", "apply")):
        return "does not provide name, create_tables, apply"
    return None


def discover_projections(
    channels: Mapping[str, Channel],
    places: Places,
    prefix: str = "",
    found: Iterable[EntryPoint] | None = None,
    *,
    lifetimes: Lifetimes = NEVER,
) -> dict[str, Projection]:
    """Every installed projection by its entry point's name, its tables under `prefix`.

    A projection whose factory takes no `prefix` cannot build a prefixed copy of itself; asked
    for one, it is refused by name (a rebuild must never write into the live tables).
    """
    offered = {"prefix": prefix, "channels": channels, "places": places, "lifetimes": lifetimes}
    seam = Seam(
        PROJECTION_GROUP,
        "projection plugin",
        _contract_problem,
        ConfigurationError,
        offered,
        name_prefix=prefix,
    )
    return load_plugins(seam, found)
