"""Where each alert lies: the Dutch places its area covers, and its bounding box.

So `GET /v1/alerts?geocode=GM0363` finds an alert given by polygon or circle too (not only one
that names the code), and `?point=lat,lon` narrows by box in SQL before the exact test. Both are
kept as validity intervals, like the alerts view, so `as_of` queries ask them as well. The
geometry itself is not done here: a `Places` (the hub's `geography.Geography`) is handed in by
the composition root, so this module needs no geometry library.
"""

from __future__ import annotations

from projections import schema
from projections.alerts import Places
from projections.database import Connection
from projections.dialect import upsert
from projections.states import StateTables, bare, keep_set, utc_text
from projections.stream import Event

BOUNDS_COLUMNS = ("alert_id", "valid_from", "valid_to", "min_lat", "min_lon", "max_lat", "max_lon")


class PlacesProjection:
    """Keeps `alert_places` (codes the area covers) and `alert_bounds` per alert, as intervals."""

    tables: tuple[str, ...] = ("place_states", "alert_places", "alert_bounds")

    def __init__(self, places: Places, prefix: str = "") -> None:
        self.places, self.prefix = places, prefix
        self.name = f"{prefix}places"
        self.states = StateTables(f"{prefix}place_states", None)

    def create_tables(self, conn: Connection) -> None:
        schema.create(conn, schema.PLACES, self.prefix)

    def apply(self, conn: Connection, event: Event) -> None:
        p = self.prefix
        state = self.states.fold(conn, event)
        if state is None:
            return
        alert_id, at = str(state.alert_id), utc_text(state.updated_at)
        conn.execute(
            upsert(f"{p}place_states", ("alert_id", "version", "state"), ("alert_id",)),
            (alert_id, state.version, bare(state)),
        )
        codes = self.places.codes_of(state)
        keep_set(conn, f"{p}alert_places", "code", alert_id, values=codes, at=at)
        conn.execute(
            f"UPDATE {p}alert_bounds SET valid_to=? WHERE alert_id=? AND valid_to IS NULL",
            (at, alert_id),
        )
        box = self.places.bounds(state)
        if box is not None:
            conn.execute(
                upsert(
                    f"{p}alert_bounds",
                    BOUNDS_COLUMNS,
                    ("alert_id", "valid_from"),
                ),
                (alert_id, at, None, *box),
            )
