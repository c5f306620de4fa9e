"""A page of events folded into alert states in memory: one read and one write per alert.

The per-event path (`StateTables.fold`) reads an alert's state, parses its JSON, evolves it and
writes it back for every event. A page holding several events of one alert pays that once: the
states of every alert the page touches are read in one query, each event evolves the state in
memory (events at or below an alert's kept version are skipped: the stream is at-least-once, a
view is exactly-once), and only the last state of each alert is written back, in one
`executemany`. The states evolve exactly as they would event by event: without their message
history, as the per-event path keeps them. Sets kept as validity intervals (`keep_sets`) are
computed the same way: one read of the open rows, the intervals in memory, one write. A view that
needs each state with its message history reads the page's alerts' messages once (`histories`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from domain.alert import AlertEvent, AlertIssued, PersonalDataErased, evolve
from domain.model import AlertMessage
from domain.state import AlertState
from projections.database import Connection
from projections.dialect import upsert
from projections.states import parse, utc_text
from projections.stream import Event

CHUNK = 500  # values per IN list: far below SQLite's and PostgreSQL's limits on parameters


@dataclass(frozen=True)
class Step:
    """One applied event: the alert's state after it, and the event's message, parsed once."""

    event: AlertIssued | AlertEvent
    state: AlertState
    message: AlertMessage

    @property
    def alert_id(self) -> str:
        return str(self.state.alert_id)

    @cached_property
    def document(self) -> str:
        """The state as a view stores it (JSON): dumped once, however many rows hold it."""
        return self.state.model_dump_json()


def chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def around_erasures(
    events: Sequence[Event],
    run: Callable[[Sequence[Event]], None],
    one: Callable[[Event], None],
) -> None:
    """Each run of events between erasures folded in one pass (`run`), each erasure applied on
    its own (`one`) in its place: an erasure rewrites rows the events before it wrote."""
    between: list[Event] = []
    for event in events:
        if isinstance(event, PersonalDataErased):
            run(between)
            one(event)
            between = []
        else:
            between.append(event)
    run(between)


def fold_page(
    conn: Connection,
    table: str,
    events: Sequence[Event],
    stamp: Callable[[AlertState], AlertState] | None = None,
) -> list[Step]:
    """The page's alert events not yet applied, each with the state it leads to (`stamp`ed, as
    the view keeps it), in the page's order."""
    alert_events = [e for e in events if isinstance(e, AlertIssued | AlertEvent)]
    ids = sorted({str(e.originator_id) for e in alert_events})
    kept: dict[str, str] = {}
    for chunk in chunks(ids):
        for alert_id, document in conn.execute(
            f"SELECT alert_id, state FROM {table} WHERE alert_id IN ({marks(chunk)})",
            list(chunk),
        ):
            kept[alert_id] = document
    states: dict[str, AlertState | None] = {}
    steps: list[Step] = []
    for event in alert_events:
        alert_id = str(event.originator_id)
        if alert_id not in states:
            states[alert_id] = parse(kept[alert_id]) if alert_id in kept else None
        before = states[alert_id]
        if before is not None and before.version >= event.originator_version:
            continue
        state = evolve(before, event)
        state = stamp(state) if stamp is not None else state
        # From a state without history the fold's one message is the event's own (an erasure
        # brings none): parsed once, not again by each view that reads it.
        message = state.messages[0] if len(state.messages) == 1 else event.alert_message
        state = state.model_copy(update={"messages": []})  # kept without history, as stored
        states[alert_id] = state
        steps.append(Step(event, state, message))
    return steps


def write_states(conn: Connection, table: str, steps: Sequence[Step]) -> None:
    """Each alert's last state of the page, written once."""
    last = {step.alert_id: step for step in steps}
    if not last:
        return
    conn.executemany(
        upsert(table, ("alert_id", "version", "state"), ("alert_id",)),
        [(alert_id, s.state.version, s.document) for alert_id, s in last.items()],
    )


def histories(
    conn: Connection, table: str, steps: Sequence[Step]
) -> dict[str, list[tuple[int, AlertMessage]]]:
    """Each alert's messages as `StateTables.keep_messages` of the steps' messages keeps them
    (call it before), in the order a state holds them, each with the version that brought it:
    the ones kept before read and parsed once, the steps' own added as they are."""
    ids = sorted({step.alert_id for step in steps})
    kept: dict[str, dict[str, tuple[str | None, int, AlertMessage]]] = {}  # by message key
    for chunk in chunks(ids):
        for alert_id, key, sent, version, message in conn.execute(
            f"SELECT alert_id, message_key, sent, version, message FROM {table}"
            f" WHERE alert_id IN ({marks(chunk)})",
            list(chunk),
        ):
            found = AlertMessage.model_validate_json(message)
            kept.setdefault(alert_id, {})[key] = (sent, version, found)
    for step in steps:  # the first version that brought a message keeps it
        sent = utc_text(step.message.sent)
        kept.setdefault(step.alert_id, {}).setdefault(
            step.message.key, (sent, step.state.version, step.message)
        )
    return {
        alert_id: [
            (version, message) for _, version, message in sorted(by_key.values(), key=_order)
        ]
        for alert_id, by_key in kept.items()
    }


def _order(kept: tuple[str | None, int, AlertMessage]) -> tuple[str, int]:
    """As `StateTables.whole` reads them: by sent, then version."""
    return kept[0] or "", kept[1]


def with_history(state: AlertState, history: Sequence[tuple[int, AlertMessage]]) -> AlertState:
    """The state with the messages of `history` it had at its version."""
    kept = [message for version, message in history if version <= state.version]
    return state.model_copy(update={"messages": kept})


SetChange = tuple[str, str | None, set[str]]
"""alert_id, at, the alert's set of values from then on."""


def keep_sets(conn: Connection, table: str, column: str, changes: Sequence[SetChange]) -> None:
    """`projections.states.keep_set` for a page of changes, in order: one read of the open rows
    of their alerts, the intervals computed in memory, one `executemany` of the rows opened or
    closed (a row opened and closed inside the page is written once, closed)."""
    # alert_id -> value -> valid_from of its open rows; then the rows to write, by their key.
    open_rows: dict[str, dict[str, list[str | None]]] = {}
    ids = sorted({alert_id for alert_id, _, _ in changes})
    for chunk in chunks(ids):
        for alert_id, value, since in conn.execute(
            f"SELECT alert_id, {column}, valid_from FROM {table}"
            f" WHERE alert_id IN ({marks(chunk)}) AND valid_to IS NULL",
            list(chunk),
        ):
            open_rows.setdefault(alert_id, {}).setdefault(value, []).append(since)
    written: dict[tuple[str, str, str | None], str | None] = {}
    for alert_id, at, values in changes:
        now = open_rows.setdefault(alert_id, {})
        for gone in sorted(now.keys() - values):
            for since in now.pop(gone):
                written[(alert_id, gone, since)] = at
        for new in sorted(values - now.keys()):
            now[new] = [at]
            written[(alert_id, new, at)] = None
    if written:
        columns = ("alert_id", column, "valid_from", "valid_to")
        conn.executemany(
            upsert(table, columns, columns[:3]), [(*key, until) for key, until in written.items()]
        )
