"""The rows of the alerts view for a run of alert states: each row written once per run.

`apply` writes a run of one state; `apply_page` one run per page (between erasures), with one
`executemany` per table. Both give the same rows: an interval closed inside the run is written
closed, the one open before the run is closed by one UPDATE per alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.state import AlertState
from projections.database import Connection
from projections.dialect import upsert
from projections.folding import SetChange, keep_sets
from projections.states import utc_text

ALERT_COLUMNS = (
    "alert_id",
    "version",
    "status",
    "public",
    "ended",
    "expires_at",
    "sent",
    "thread",
    "origin_channel",
    "state",
)
VERSION_COLUMNS = (
    "alert_id",
    "version",
    "valid_from",
    "valid_to",
    "status",
    "public",
    "ended",
    "expires_at",
    "sent",
    "state",
)


@dataclass
class AlertRows:
    """The rows the alerts view writes for a run of states, each row once.

    Each version's interval is closed in memory by the alert's next version in the run; one
    UPDATE per alert closes the version open before the run. `alerts` gets each alert's last
    state, `alert_channels` each channel's first moment, `alert_geocodes` the intervals
    `keep_sets` computes from the states in order.
    """

    closes: list[tuple[str | None, str]] = field(default_factory=list)
    versions: list[tuple[object, ...]] = field(default_factory=list)
    alerts: list[tuple[object, ...]] = field(default_factory=list)
    channels: list[tuple[str, str, str | None]] = field(default_factory=list)
    geocodes: list[SetChange] = field(default_factory=list)

    def add(self, alert_id: str, states: Sequence[AlertState]) -> None:
        """One alert's states of the run, in order (at least one)."""
        moments = [utc_text(state.updated_at) for state in states]
        self.closes.append((moments[0], alert_id))
        joined: set[str] = set()
        for state, at, until in zip(states, moments, [*moments[1:], None], strict=True):
            document, filters = state.model_dump_json(), _filters_of(state)
            self.versions.append((alert_id, state.version, at, until, *filters, document))
            self.channels.extend((alert_id, c, at) for c in state.channels if c not in joined)
            joined.update(state.channels)
            self.geocodes.append((alert_id, at, _geocodes_of(state)))
        last = states[-1]  # its document and filters are the loop's last
        self.alerts.append(
            (alert_id, last.version, *filters, last.thread, last.origin.channel, document)
        )

    def write(self, conn: Connection, p: str) -> None:
        conn.executemany(
            f"UPDATE {p}alert_versions SET valid_to=? WHERE alert_id=? AND valid_to IS NULL",
            self.closes,
        )
        conn.executemany(
            upsert(f"{p}alert_versions", VERSION_COLUMNS, ("alert_id", "version")), self.versions
        )
        conn.executemany(upsert(f"{p}alerts", ALERT_COLUMNS, ("alert_id",)), self.alerts)
        conn.executemany(_keep_channel(p), self.channels)
        keep_sets(conn, f"{p}alert_geocodes", "value", self.geocodes)


def _filters_of(state: AlertState) -> tuple[object, ...]:
    """The columns queries filter on, shared by `alerts` and `alert_versions`."""
    return (
        state.current.status.value,
        int(state.is_public),
        int(state.ended is not None),
        utc_text(state.expires_at),
        utc_text(state.current.sent),
    )


def _geocodes_of(state: AlertState) -> set[str]:
    return {g.value for info in state.current.info for a in info.areas for g in a.geocodes}


def _keep_channel(prefix: str) -> str:
    """A channel, once joined, stays joined from its first moment."""
    columns = ("alert_id", "channel", "valid_from")
    return upsert(f"{prefix}alert_channels", columns, columns[:2], keep_existing=True)
