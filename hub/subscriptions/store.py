"""The subscriptions' own SQLite file: subscriptions, who follows which alert, the delivery queue
with every attempt, and the matcher's stream position. The queue holds references (alert, version),
never alert content: a payload is built when it is sent, so what was erased is not sent again.

It is the push side's working state, not a view: the matcher queues deliveries and moves its
position in one transaction (a restart never queues an event twice), and the queue is what the
delivery worker drains. `secure_delete` is on, so a deleted subscription's address and secret do
not linger in freed pages.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from hub.subscriptions.errors import SubscriptionNotFoundError
from hub.subscriptions.model import State, Subscription, SubscriptionRequest

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, request TEXT NOT NULL, secret TEXT NOT NULL,
  state TEXT NOT NULL, pause_reason TEXT, confirm_token TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS subscriptions_owner ON subscriptions (owner);
CREATE TABLE IF NOT EXISTS follows (
  subscription_id TEXT NOT NULL, alert_id TEXT NOT NULL, PRIMARY KEY (alert_id, subscription_id));
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, subscription_id TEXT NOT NULL, alert_id TEXT NOT NULL,
  event_id TEXT NOT NULL, event_type TEXT NOT NULL, version INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  next_at REAL NOT NULL, last_error TEXT, created_at REAL NOT NULL, done_at REAL,
  UNIQUE (subscription_id, event_id));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_at);
CREATE INDEX IF NOT EXISTS deliveries_order ON deliveries (subscription_id, alert_id, state, id);
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id INTEGER NOT NULL, at REAL NOT NULL, outcome TEXT NOT NULL, status INTEGER,
  error TEXT);
CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id);
CREATE TABLE IF NOT EXISTS position (partition INTEGER PRIMARY KEY, position INTEGER NOT NULL);
"""

# The delivery at the head of its (subscription, alert) line, whose subscription is active.
_DUE = """
SELECT d.id, d.subscription_id, d.alert_id, d.event_id, d.event_type, d.version,
       d.attempts, d.created_at
FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id AND s.state = 'active'
WHERE d.state = 'pending' AND d.next_at <= ?
  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription_id = d.subscription_id
                  AND e.alert_id = d.alert_id AND e.state = 'pending' AND e.id < d.id)
ORDER BY d.next_at, d.id LIMIT ?
"""


@dataclass(frozen=True)
class Delivery:
    delivery_id: int
    subscription_id: UUID
    alert_id: UUID
    event_id: str
    event_type: str
    version: int
    attempts: int
    created_at: float


@dataclass(frozen=True)
class Attempt:
    """What one try of a delivery came to; `next_at` is when to try again (None: done)."""

    delivery: Delivery
    outcome: str
    status: int | None
    error: str | None
    next_at: float | None
    dead: bool = False

    @property
    def state(self) -> str:
        return "dead" if self.dead else "pending" if self.next_at is not None else "delivered"


@dataclass(frozen=True)
class Queued:
    subscription_id: UUID
    alert_id: UUID
    event_id: str
    event_type: str
    version: int


class SubscriptionStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        # synchronous=NORMAL: a power cut may lose the last commits, never consistency; the queue
        # and the position roll back together, so events are matched again, not lost.
        pragmas = (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "secure_delete=ON",
            "busy_timeout=30000",
        )
        for pragma in pragmas:
            self._conn.execute(f"PRAGMA {pragma}")
        self._conn.executescript(SCHEMA)
        self.changes = 0  # bumped on every change of the active set, so the index knows to rebuild

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

    # -- subscriptions -------------------------------------------------------------------------

    def add(self, sub: Subscription, secret: str, confirm_token: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(sub.subscription_id),
                    sub.owner,
                    sub.request.model_dump_json(),
                    secret,
                    sub.state.value,
                    sub.pause_reason,
                    confirm_token,
                    sub.created_at.isoformat(),
                ),
            )
        self.changes += 1

    def get(self, subscription_id: UUID, owner: str | None = None) -> Subscription:
        row = self._row(subscription_id, owner)
        return _subscription(row)

    def secret(self, subscription_id: UUID) -> str:
        return str(self._row(subscription_id, None)["secret"])

    def confirm_token(self, subscription_id: UUID) -> str | None:
        token = self._row(subscription_id, None)["confirm_token"]
        return None if token is None else str(token)

    def find(self, owner: str | None = None) -> list[Subscription]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM subscriptions WHERE ? IS NULL OR owner = ? ORDER BY created_at, id",
                (owner, owner),
            ).fetchall()
        return [_subscription(r) for r in rows]

    def active(self) -> list[Subscription]:
        return [s for s in self.find() if s.state is State.ACTIVE]

    def set_state(self, subscription_id: UUID, state: State, reason: str | None = None) -> None:
        with self.transaction() as conn:
            updated = conn.execute(
                "UPDATE subscriptions SET state = ?, pause_reason = ?, confirm_token = CASE"
                " WHEN ? = 'active' THEN NULL ELSE confirm_token END WHERE id = ?",
                (state.value, reason, state.value, str(subscription_id)),
            ).rowcount
        if not updated:
            raise SubscriptionNotFoundError(f"no subscription {subscription_id}")
        self.changes += 1

    def delete(self, subscription_id: UUID) -> None:
        """Forget the subscription and its queue; its address and secret go with it."""
        sid = str(subscription_id)
        with self.transaction() as conn:
            if not conn.execute("DELETE FROM subscriptions WHERE id = ?", (sid,)).rowcount:
                raise SubscriptionNotFoundError(f"no subscription {subscription_id}")
            conn.execute(
                "DELETE FROM attempts WHERE delivery_id IN"
                " (SELECT id FROM deliveries WHERE subscription_id = ?)",
                (sid,),
            )
            conn.execute("DELETE FROM deliveries WHERE subscription_id = ?", (sid,))
            conn.execute("DELETE FROM follows WHERE subscription_id = ?", (sid,))
        self.changes += 1

    def _row(self, subscription_id: UUID, owner: str | None) -> sqlite3.Row:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM subscriptions WHERE id = ? AND (? IS NULL OR owner = ?)",
                (str(subscription_id), owner, owner),
            ).fetchone()
        if row is None:
            raise SubscriptionNotFoundError(f"no subscription {subscription_id}")
        return row  # type: ignore[no-any-return]

    # -- matching ------------------------------------------------------------------------------

    def position(self) -> dict[int, int]:
        with self._lock:
            rows = self._conn.execute("SELECT partition, position FROM position").fetchall()
        return {int(r[0]): int(r[1]) for r in rows}

    def followers(self, conn: sqlite3.Connection, alert_id: UUID) -> set[UUID]:
        rows = conn.execute(
            "SELECT subscription_id FROM follows WHERE alert_id = ?", (str(alert_id),)
        ).fetchall()
        return {UUID(r[0]) for r in rows}

    def follow(self, conn: sqlite3.Connection, alert_id: UUID, subs: Sequence[UUID]) -> None:
        """From now on these subscriptions get every event of the alert (its updates, its end)."""
        conn.executemany(
            "INSERT OR IGNORE INTO follows VALUES (?, ?)", [(str(s), str(alert_id)) for s in subs]
        )

    def enqueue(
        self,
        conn: sqlite3.Connection,
        queued: Sequence[Queued],
        partition: int,
        position: int,
    ) -> None:
        """Queue deliveries and move the position, inside the caller's transaction."""
        now = time.time()
        conn.executemany(
            "INSERT OR IGNORE INTO deliveries (subscription_id, alert_id, event_id, event_type,"
            " version, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    str(q.subscription_id),
                    str(q.alert_id),
                    q.event_id,
                    q.event_type,
                    q.version,
                    now,
                    now,
                )
                for q in queued
            ],
        )
        conn.execute(
            "INSERT INTO position VALUES (?, ?) ON CONFLICT (partition)"
            " DO UPDATE SET position = excluded.position",
            (partition, position),
        )

    # -- delivering ----------------------------------------------------------------------------

    def due(self, limit: int = 50, now: float | None = None) -> list[Delivery]:
        with self._lock:
            rows = self._conn.execute(_DUE, (time.time() if now is None else now, limit)).fetchall()
        return [
            Delivery(
                delivery_id=r["id"],
                subscription_id=UUID(r["subscription_id"]),
                alert_id=UUID(r["alert_id"]),
                event_id=r["event_id"],
                event_type=r["event_type"],
                version=r["version"],
                attempts=r["attempts"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    def record_attempts(self, attempts: Sequence[Attempt]) -> None:
        """Record a page of attempts in one transaction: delivered, to retry later, or dead."""
        now = time.time()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO attempts VALUES (?, ?, ?, ?, ?)",
                [(a.delivery.delivery_id, now, a.outcome, a.status, a.error) for a in attempts],
            )
            conn.executemany(
                "UPDATE deliveries SET attempts = attempts + 1, state = ?, next_at = ?,"
                " last_error = ?, done_at = ? WHERE id = ?",
                [
                    (
                        a.state,
                        now if a.next_at is None else a.next_at,
                        a.error,
                        None if a.state == "pending" else now,
                        a.delivery.delivery_id,
                    )
                    for a in attempts
                ],
            )

    def deliveries(self, subscription_id: UUID, limit: int = 100) -> list[dict[str, Any]]:
        """The subscription's deliveries, newest first, each with its attempts."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, alert_id, event_id, event_type, version, state, attempts, last_error,"
                " created_at, done_at FROM deliveries WHERE subscription_id = ?"
                " ORDER BY id DESC LIMIT ?",
                (str(subscription_id), limit),
            ).fetchall()
            tries = {
                r["id"]: self._conn.execute(
                    "SELECT at, outcome, status, error FROM attempts WHERE delivery_id = ?"
                    " ORDER BY at",
                    (r["id"],),
                ).fetchall()
                for r in rows
            }
        return [
            {
                "delivery_id": r["id"],
                "alert_id": r["alert_id"],
                "event_id": r["event_id"],
                "event_type": r["event_type"],
                "version": r["version"],
                "state": r["state"],
                "attempts": [
                    {
                        "at": _iso(t["at"]),
                        "outcome": t["outcome"],
                        "status": t["status"],
                        "error": t["error"],
                    }
                    for t in tries[r["id"]]
                ],
                "last_error": r["last_error"],
                "created_at": _iso(r["created_at"]),
                "done_at": None if r["done_at"] is None else _iso(r["done_at"]),
            }
            for r in rows
        ]

    def dead_letters(self, subscription_id: UUID | None = None) -> list[int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id FROM deliveries WHERE state = 'dead'"
                " AND (? IS NULL OR subscription_id = ?) ORDER BY id",
                (None if subscription_id is None else str(subscription_id),) * 2,
            ).fetchall()
        return [int(r[0]) for r in rows]

    def requeue(self, delivery_ids: Sequence[int]) -> int:
        """Put dead letters back in the queue (an operator's replay), due now."""
        with self.transaction() as conn:
            return conn.executemany(
                "UPDATE deliveries SET state = 'pending', next_at = ?, done_at = NULL"
                " WHERE id = ? AND state = 'dead'",
                [(time.time(), i) for i in delivery_ids],
            ).rowcount

    def queue_depth(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM deliveries WHERE state = 'pending'"
            ).fetchone()
        return int(row[0])


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        subscription_id=UUID(row["id"]),
        owner=row["owner"],
        request=SubscriptionRequest.model_validate_json(row["request"]),
        state=State(row["state"]),
        pause_reason=row["pause_reason"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()
