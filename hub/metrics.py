"""A small Prometheus text-format registry: counters and gauges with labels, thread-safe.

Small enough to own (a dozen lines of format), so the hub needs no metrics dependency.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

Labels = tuple[tuple[str, str], ...]


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._help: dict[str, tuple[str, str]] = {}
        self._gauges: dict[str, Callable[[], dict[Labels, float]]] = {}

    def describe(self, name: str, kind: str, text: str) -> None:
        self._help[name] = (kind, text)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._counters[name][key] += amount

    def gauge(self, name: str, text: str, read: Callable[[], dict[Labels, float]]) -> None:
        """A gauge read when scraped, so it is never stale."""
        self.describe(name, "gauge", text)
        self._gauges[name] = read

    def render(self) -> str:
        with self._lock:
            samples = {name: dict(series) for name, series in self._counters.items()}
        for name, read in self._gauges.items():
            samples[name] = read()
        lines: list[str] = []
        for name in sorted(samples):
            kind, text = self._help.get(name, ("counter", name))
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            lines += [f"{name}{_labels(k)} {_number(v)}" for k, v in sorted(samples[name].items())]
        return "\n".join(lines) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + ",".join(escaped) + "}"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
