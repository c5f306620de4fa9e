"""Where each alert lies: the Dutch places its area covers, and its bounding box.

So `GET /v1/alerts?geocode=GM0363` finds an alert given by polygon or circle too (not only one
that names the code), and `?point=lat,lon` narrows by box in SQL before the exact test. The
geometry itself is not done here: a `Places` (the hub's `geography.Geography`) is handed in
by the composition root, so this module needs no geometry library.
"""

from __future__ import annotations

from projections.alerts import Places, fold_into
from projections.database import Connection
from projections.stream import Event

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {p}place_states (alert_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, state TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}alert_places (alert_id TEXT, code TEXT,"
    " PRIMARY KEY (alert_id, code))",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_place ON {p}alert_places (code, alert_id)",
    "CREATE TABLE IF NOT EXISTS {p}alert_bounds (alert_id TEXT PRIMARY KEY,"
    " min_lat DOUBLE PRECISION NOT NULL, min_lon DOUBLE PRECISION NOT NULL,"
    " max_lat DOUBLE PRECISION NOT NULL, max_lon DOUBLE PRECISION NOT NULL)",
)


class PlacesProjection:
    """Keeps `alert_places` (codes the area covers) and `alert_bounds` per alert."""

    tables: tuple[str, ...] = ("place_states", "alert_places", "alert_bounds")

    def __init__(self, places: Places, prefix: str = "") -> None:
        self.places, self.prefix = places, prefix
        self.name = f"{prefix}places"

    def create_tables(self, conn: Connection) -> None:
        for statement in _SCHEMA:
            conn.execute(statement.format(p=self.prefix))

    def apply(self, conn: Connection, event: Event) -> None:
        p = self.prefix
        state = fold_into(conn, f"{p}place_states", event)
        if state is None:
            return
        alert_id = str(state.alert_id)
        conn.execute(
            f"INSERT INTO {p}place_states VALUES (?,?,?) ON CONFLICT (alert_id)"
            " DO UPDATE SET version=excluded.version, state=excluded.state",
            (alert_id, state.version, state.model_dump_json()),
        )
        conn.execute(f"DELETE FROM {p}alert_places WHERE alert_id=?", (alert_id,))
        conn.executemany(
            f"INSERT INTO {p}alert_places VALUES (?,?)",
            [(alert_id, code) for code in sorted(self.places.codes_of(state))],
        )
        conn.execute(f"DELETE FROM {p}alert_bounds WHERE alert_id=?", (alert_id,))
        box = self.places.bounds(state)
        if box is not None:
            conn.execute(f"INSERT INTO {p}alert_bounds VALUES (?,?,?,?,?)", (alert_id, *box))
