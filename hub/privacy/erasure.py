"""Erasure: destroy an alert's key, record `PersonalDataErased`; retention does it by itself.

The key is destroyed first, then the event recorded: should the process die in between, the
personal data is already unreadable everywhere, and erasing again (by hand or by the retention
worker) records the event; the other order could leave an alert marked erased whose data still
opens. Erasing an erased alert changes nothing and records nothing.

Retention: `retention` maps a channel to how long personal data is kept after an alert ends.
An alert's period is the shortest among its channels that have one (an AMBER alert that came
through Burgernet too is kept no longer than either allows); an alert of no listed channel is
kept. Candidates come from the alerts view (an index, never the decision): each erasure is
decided again on the aggregate, which must have ended long enough ago.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import RecordConflictError

from domain.alert import Alert
from domain.errors import AlertNotFoundError, ContentionError
from domain.provenance import OPERATOR, Provenance
from domain.state import AlertState
from hub.privacy.keys import DataKeys
from hub.privacy.sealing import FieldsOf
from hub.storage.store import EventStore
from hub.worker import Worker
from projections.database import ViewDatabase

log = structlog.get_logger(__name__)
MAX_REASON = 1000
"""The longest reason an erasure may give (it is kept in the event, and on the stream)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Erased:
    """The outcome of one erasure request; `recorded` is False when it was erased already."""

    alert_id: UUID
    recorded: bool
    version: int
    position: int
    at: datetime
    by: str


@dataclass(frozen=True)
class Due:
    """An ended alert whose personal data is due for erasure at `at` (by `channel`'s period)."""

    alert_id: UUID
    channel: str
    period: timedelta
    at: datetime


class Eraser:
    def __init__(  # noqa: PLR0917 - the composition root hands over what it built
        self,
        store: EventStore,
        keys: DataKeys,
        views: ViewDatabase,
        fields_of: FieldsOf,
        retention: Mapping[str, timedelta],
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.store, self.keys, self.views = store, keys, views
        self.fields_of, self.retention, self.clock = fields_of, retention, clock

    def erase(
        self,
        alert_id: UUID,
        *,
        by: str,
        reason: str,
        provenance: Provenance = OPERATOR,
        only_if: Callable[[AlertState], bool] | None = None,
        attempts: int = 16,
    ) -> Erased | None:
        """Erase one alert's personal data (None: `only_if` said no); idempotent.

        `by` names who erases in words; `provenance` how that one authenticated (the operator on
        this machine for the CLI and retention).
        """
        for _ in range(attempts):
            alert = self._load(alert_id)
            state = alert.state
            if state.erasure is not None:
                erasure = state.erasure
                return Erased(alert_id, False, state.version, 0, erasure.at, erasure.by)
            if only_if is not None and not only_if(state):
                return None
            self.keys.destroy(alert_id, self.clock())
            fields = sorted({f for channel in state.channels for f in self.fields_of(channel)})
            alert.erase_personal_data(by=by, reason=reason, fields=fields, provenance=provenance)
            try:
                recordings = self.store.save(alert)
            except RecordConflictError:
                continue  # a message arrived meanwhile: decide again on the fresh state
            position = max(r.notification.id or 0 for r in recordings)
            log.info("privacy.erased", alert_id=str(alert_id), by=by, reason=reason)
            return Erased(alert_id, True, alert.version, position, alert.modified_on, by)
        raise ContentionError(f"alert {alert_id} kept changing; erase it again")

    def _load(self, alert_id: UUID) -> Alert:
        try:
            alert: object = self.store.repository.get(alert_id)
        except AggregateNotFoundError:
            alert = None
        if not isinstance(alert, Alert):
            raise AlertNotFoundError(f"no alert has id {alert_id}")
        return alert

    def period(self, channels: list[str]) -> tuple[str, timedelta] | None:
        """The shortest retention among the channels (and whose it is); None: kept."""
        periods = [(self.retention[c], c) for c in channels if c in self.retention]
        if not periods:
            return None
        period, channel = min(periods)
        return channel, period

    def candidates(self) -> list[Due]:
        """Every ended, unerased alert of a channel with a retention, soonest due first."""
        if not self.retention:
            return []
        views = self.views
        channels = sorted(self.retention)
        rows = views.connect().execute(
            f"SELECT a.alert_id, {views.json_text('a.state', 'ended', 'at')} AS ended_at,"
            " c.channel FROM alerts a JOIN alert_channels c ON c.alert_id = a.alert_id"
            f" WHERE a.ended = 1 AND {views.json_text('a.state', 'erasure')} IS NULL"
            f" AND c.channel IN ({', '.join('?' * len(channels))})",
            channels,
        )
        ended: dict[str, str] = {}
        channels_of: dict[str, list[str]] = {}
        for row in rows:
            ended[row["alert_id"]] = row["ended_at"]
            channels_of.setdefault(row["alert_id"], []).append(row["channel"])
        found = []
        for alert_id, names in channels_of.items():
            rule = self.period(names)
            assert rule is not None  # only channels with a retention were selected
            at = datetime.fromisoformat(ended[alert_id]) + rule[1]
            found.append(Due(UUID(alert_id), rule[0], rule[1], at))
        return sorted(found, key=lambda due: due.at)

    def due(self) -> list[Due]:
        now = self.clock()
        return [d for d in self.candidates() if d.at <= now]

    def erase_due(self) -> list[Erased]:
        """Erase what retention says is due; each one decided again on the recorded alert."""
        done = []
        for due in self.due():
            erased = self.erase(
                due.alert_id,
                by=f"retention:{due.channel}",
                reason=f"retention: {due.channel} keeps personal data {due.period} after the end",
                only_if=self._still_due,
            )
            if erased is not None and erased.recorded:
                done.append(erased)
        return done

    def _still_due(self, state: AlertState) -> bool:
        rule = self.period(state.channels)
        ended = state.ended
        return rule is not None and ended is not None and ended.at + rule[1] <= self.clock()


class RetentionWorker(Worker):
    """Applies retention on an interval, in the hub's own process (`run_retention`)."""

    name = "retention"

    def __init__(self, eraser: Eraser, interval: float) -> None:
        super().__init__(idle_wait=interval)
        self.eraser = eraser

    def step(self) -> int:
        erased = self.eraser.erase_due()
        if erased:
            log.info("retention.erased", alerts=[str(e.alert_id) for e in erased])
        return 0  # erased or not, wait for the next interval
