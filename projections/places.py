"""Where each alert lies: the Dutch places its area covers, and its bounding box.

So `GET /v1/alerts?geocode=GM0363` finds an alert given by polygon or circle too (not only one
that names the code), and `?point=lat,lon` narrows by box in SQL before the exact test. Both are
kept as validity intervals, like the alerts view, so `as_of` queries ask them as well. The
geometry itself is not done here: a `Places` (the hub's `geography.Geography`) is handed in by
the composition root, so this module needs no geometry library.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.model import Area
from domain.state import AlertState
from projections import schema
from projections.alerts import Places
from projections.database import Connection
from projections.dialect import upsert
from projections.folding import SetChange, chunks, fold_page, keep_sets, marks, write_states
from projections.states import StateTables, bare, keep_set, utc_text
from projections.stream import Event

BOUNDS_COLUMNS = ("alert_id", "valid_from", "valid_to", "min_lat", "min_lon", "max_lat", "max_lon")
Box = tuple[float, float, float, float]


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

    def apply_page(self, conn: Connection, events: Sequence[Event]) -> None:
        """`apply` for a page in one pass: one read of the states, the open place and bounds
        rows of the page's alerts; intervals kept in memory; one write per table.

        The geography (codes and bounds of an area) is asked once per area an alert takes in
        the page: an event that leaves the area as it was keeps the places and box it had.
        """
        p = self.prefix
        steps = fold_page(conn, f"{p}place_states", events)
        if not steps:
            return
        boxes = self._open_boxes(conn, sorted({step.alert_id for step in steps}))
        places: list[SetChange] = []
        bounds: dict[tuple[str, str], tuple[str | None, Box]] = {}  # (alert, from) -> to, box
        known: dict[str, tuple[AlertState, set[str], Box | None]] = {}  # last area seen
        for step in steps:
            alert_id, at = step.alert_id, utc_text(step.state.updated_at)
            assert at is not None  # every state has an updated_at
            found, box = self._where(step.state, known)
            places.append((alert_id, at, found))
            if (opened := boxes.pop(alert_id, None)) is not None:
                bounds[(alert_id, opened[0])] = (at, opened[1])
            if box is not None:
                bounds[(alert_id, at)] = (None, box)
                boxes[alert_id] = (at, box)
        write_states(conn, f"{p}place_states", steps)
        keep_sets(conn, f"{p}alert_places", "code", places)
        if bounds:
            conn.executemany(
                upsert(f"{p}alert_bounds", BOUNDS_COLUMNS, ("alert_id", "valid_from")),
                [(*key, to, *box) for key, (to, box) in bounds.items()],
            )

    def _open_boxes(self, conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, Box]]:
        """Per alert, its open box: (valid_from, box)."""
        boxes: dict[str, tuple[str, Box]] = {}
        for chunk in chunks(ids):
            for alert_id, since, *box in conn.execute(
                f"SELECT alert_id, valid_from, min_lat, min_lon, max_lat, max_lon"
                f" FROM {self.prefix}alert_bounds"
                f" WHERE alert_id IN ({marks(chunk)}) AND valid_to IS NULL",
                list(chunk),
            ):
                boxes[alert_id] = (since, (box[0], box[1], box[2], box[3]))
        return boxes

    def _where(
        self, state: AlertState, known: dict[str, tuple[AlertState, set[str], Box | None]]
    ) -> tuple[set[str], Box | None]:
        """The places and box of the state's area: asked of the geography once per area an
        alert takes in the page."""
        alert_id, areas = str(state.alert_id), _areas(state)
        seen = known.get(alert_id)
        if seen is not None and _areas(seen[0]) == areas:
            return seen[1], seen[2]
        found, box = self.places.codes_of(state), self.places.bounds(state)
        known[alert_id] = (state, found, box)
        return found, box


def _areas(state: AlertState) -> list[Area]:
    """What the geography's answer depends on: the areas of the content shown."""
    return [area for info in state.current.info for area in info.areas]
