"""Alert states kept by a view: the state without its history, and each message once.

An `AlertState` carries every message of its alert (renderers need them), so storing it whole at
each version would grow a long alert's storage with the square of its messages. A view stores
the state with `messages` left empty, and each message in a messages table once, tagged with the
version that brought it; the whole state of any version is the two read back together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from domain.alert import AlertEvent, AlertIssued, evolve
from domain.model import AlertMessage
from domain.personal import erased
from domain.state import AlertState
from projections.database import Connection
from projections.dialect import upsert
from projections.stream import Event

MESSAGE_COLUMNS = ("alert_id", "message_key", "version", "sent", "message")


def utc_text(moment: datetime | None) -> str | None:
    """A UTC timestamp whose text order is time order, for SQL comparisons."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bare(state: AlertState) -> str:
    """The state as stored: JSON without the message history."""
    return state.model_copy(update={"messages": []}).model_dump_json()


class StateTables:
    """A `states` table (alert_id, version, state) and a `messages` table, under one view."""

    def __init__(self, states: str, messages: str | None) -> None:
        self.states, self.messages = states, messages  # messages None: history not kept

    def fold(self, conn: Connection, event: Event) -> AlertState | None:
        """The alert's next state (without history), and the event's message stored once.

        None when the event is no alert event or is already applied (at or below the kept
        version): the stream is at-least-once, a view is exactly-once.
        """
        if not isinstance(event, AlertIssued | AlertEvent):
            return None
        row = conn.execute(
            f"SELECT version, state FROM {self.states} WHERE alert_id=?",
            (str(event.originator_id),),
        ).fetchone()
        if row is not None and row[0] >= event.originator_version:
            return None
        state = evolve(AlertState.model_validate_json(row[1]) if row else None, event)
        if self.messages is None:
            return state
        self.keep_messages(conn, [message_row(state, event.alert_message)])
        return state

    def keep_messages(self, conn: Connection, rows: Sequence[tuple[object, ...]]) -> None:
        """Store `message_row`s, each message once: the first version that brought it stays."""
        assert self.messages is not None
        statement = upsert(self.messages, MESSAGE_COLUMNS, MESSAGE_COLUMNS[:2], keep_existing=True)
        conn.executemany(statement, rows)

    def erase_history(self, conn: Connection, state: AlertState) -> None:
        """After an erasure: every kept message of the alert rewritten without the erased fields
        (the current state itself is scrubbed by the fold)."""
        if self.messages is None or state.erasure is None:
            return
        fields = state.erasure.fields
        rows = conn.execute(
            f"SELECT message_key, message FROM {self.messages} WHERE alert_id=?",
            (str(state.alert_id),),
        ).fetchall()
        for key, document in rows:
            kept = AlertMessage.model_validate_json(document)
            scrubbed = AlertMessage.model_validate(erased(kept.to_json(), fields))
            conn.execute(
                f"UPDATE {self.messages} SET message=? WHERE alert_id=? AND message_key=?",
                (scrubbed.model_dump_json(), str(state.alert_id), key),
            )

    def whole(self, conn: Connection, states: Sequence[AlertState]) -> list[AlertState]:
        """The states with their message history as of each one's version."""
        if not states or self.messages is None:
            return list(states)
        ids = [str(s.alert_id) for s in states]
        rows = conn.execute(
            f"SELECT alert_id, version, message FROM {self.messages}"
            f" WHERE alert_id IN ({','.join('?' * len(ids))}) ORDER BY sent, version",
            ids,
        )
        history: dict[str, list[tuple[int, str]]] = {}
        for alert_id, version, message in rows:
            history.setdefault(alert_id, []).append((version, message))
        return [_with_history(s, history.get(str(s.alert_id), [])) for s in states]

    def current(self, conn: Connection, alert_id: UUID) -> AlertState | None:
        row = conn.execute(
            f"SELECT state FROM {self.states} WHERE alert_id=?", (str(alert_id),)
        ).fetchone()
        return None if row is None else self.whole(conn, [parse(row[0])])[0]


def keep_set(
    conn: Connection, table: str, column: str, alert_id: str, *, values: set[str], at: str | None
) -> None:
    """Keep an alert's set of `column` values in `table` as validity intervals: the values gone
    are closed at `at`, the new ones open there (the rows true at any moment stay readable)."""
    rows = conn.execute(
        f"SELECT {column} FROM {table} WHERE alert_id=? AND valid_to IS NULL", (alert_id,)
    )
    kept = {row[0] for row in rows}
    for gone in sorted(kept - values):
        conn.execute(
            f"UPDATE {table} SET valid_to=? WHERE alert_id=? AND {column}=? AND valid_to IS NULL",
            (at, alert_id, gone),
        )
    columns = ("alert_id", column, "valid_from", "valid_to")
    for new in sorted(values - kept):
        conn.execute(upsert(table, columns, columns[:3]), (alert_id, new, at, None))


def parse(document: str) -> AlertState:
    return AlertState.model_validate_json(document)


def parse_all(rows: Iterable[Sequence[str]]) -> list[AlertState]:
    return [parse(row[0]) for row in rows]


def message_row(state: AlertState, message: AlertMessage) -> tuple[object, ...]:
    """A message as a messages table keeps it, tagged with the version it came in."""
    return (
        str(state.alert_id),
        message.key,
        state.version,
        utc_text(message.sent),
        message.model_dump_json(),
    )


def _with_history(state: AlertState, messages: list[tuple[int, str]]) -> AlertState:
    kept = [AlertMessage.model_validate_json(m) for v, m in messages if v <= state.version]
    return state.model_copy(update={"messages": kept})
