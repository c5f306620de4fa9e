"""Shadowing a channel plugin over history: the check before it goes live.

The whole history goes through the new channel's `selects` and `render`, folded in memory with
`domain.alert.evolve` (no database, no side effects), and is compared with what the installed
channels show: which alerts only the new channel would show, which it would leave out that others
show, which renderings fail (reported, never raised) and which canonical fields it loses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from adapters.base import Channel
from domain.state import AlertState
from hub.analysts.replay import WholeAlerts, fold
from hub.analysts.window import ProgressFn, tracked
from projections.stream import StreamRecord

MAX_FAILURES = 50
"""Render failures kept with their details; beyond that they are only counted."""


@dataclass
class AlertShadow:
    """One alert: whether the new channel would show it, and which installed channels do."""

    alert_id: UUID
    public: bool = False
    by_new: bool = False
    by: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class RenderFailure:
    alert_id: UUID
    version: int
    stage: Literal["selects", "render"]
    error: str


@dataclass
class ShadowReport:
    """A channel's would-be view over history, against the views of the installed channels.

    An alert counts as shown by a channel if any public version of it was selected (Test and
    Exercise messages are never shown, as in `/v1/views`).
    """

    channel: str
    compared_with: tuple[str, ...]
    events: int = 0
    skipped: int = 0
    renderings: int = 0
    failure_count: int = 0
    alerts: dict[UUID, AlertShadow] = field(default_factory=dict)
    failures: list[RenderFailure] = field(default_factory=list)
    lost: Counter[str] = field(default_factory=Counter)

    def _ids(self, keep: Callable[[AlertShadow], bool]) -> list[UUID]:
        return sorted(a.alert_id for a in self.alerts.values() if keep(a))

    @property
    def only_new(self) -> list[UUID]:
        """Alerts only the new channel would show."""
        return self._ids(lambda a: a.by_new and not a.by)

    @property
    def not_new(self) -> list[UUID]:
        """Alerts the new channel would not show that some installed channel does."""
        return self._ids(lambda a: not a.by_new and bool(a.by))

    @property
    def both(self) -> list[UUID]:
        return self._ids(lambda a: a.by_new and bool(a.by))

    def summary(self) -> dict[str, Any]:
        """The counts, lost fields and failures as JSON-ready data (the CLI prints this)."""
        return {
            "channel": self.channel,
            "compared_with": list(self.compared_with),
            "events": self.events,
            "skipped": self.skipped,
            "alerts": len(self.alerts),
            "public": sum(a.public for a in self.alerts.values()),
            "shown_by_new": sum(a.by_new for a in self.alerts.values()),
            "only_new": len(self.only_new),
            "not_new": len(self.not_new),
            "both": len(self.both),
            "renderings": self.renderings,
            "render_failures": self.failure_count,
            "failures": [vars(f) | {"alert_id": str(f.alert_id)} for f in self.failures],
            "lost": dict(self.lost.most_common()),
        }

    def fail(self, state: AlertState, stage: Literal["selects", "render"], exc: Exception) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_FAILURES:
            error = f"{type(exc).__name__}: {exc}"
            self.failures.append(RenderFailure(state.alert_id, state.version, stage, error))


def shadow(
    records: Iterable[StreamRecord],
    channel: Channel,
    existing_channels: Mapping[str, Channel],
    *,
    progress: ProgressFn | None = None,
) -> ShadowReport:
    """Every version of every alert through `channel`, compared with `existing_channels`.

    Exceptions from the channel's `selects` or `render` are reported, never raised: finding
    them is the point. A channel of the same name among the existing ones is left out of them.
    """
    others = {name: c for name, c in existing_channels.items() if name != channel.name}
    report = ShadowReport(channel.name, tuple(sorted(others)))
    states: dict[UUID, AlertState] = {}
    whole = WholeAlerts()
    for record in tracked(whole(records), progress):
        state = fold(states, record.event)
        if state is not None:
            report.events += 1
            _observe(report, channel, others, state)
    report.skipped = whole.skipped
    return report


def _observe(
    report: ShadowReport, channel: Channel, others: Mapping[str, Channel], state: AlertState
) -> None:
    seen = report.alerts.setdefault(state.alert_id, AlertShadow(state.alert_id))
    if not state.is_public:
        return
    seen.public = True
    seen.by |= {name for name, other in others.items() if _quietly_selects(other, state)}
    try:
        if not channel.selects(state):
            return
    except Exception as exc:
        report.fail(state, "selects", exc)
        return
    seen.by_new = True
    try:
        rendering = channel.render(state)
    except Exception as exc:
        report.fail(state, "render", exc)
        return
    report.renderings += 1
    report.lost.update(rendering.lost)


def _quietly_selects(channel: Channel, state: AlertState) -> bool:
    """An installed channel's choice; its own failures are not what a shadow run examines."""
    try:
        return channel.selects(state)
    except Exception:
        return False
