"""A small API for notebooks: the hub's history as typed domain events and alert states.

Example (a Jupyter cell)::

    from datetime import datetime, timedelta, UTC
    from collections import Counter
    from hub.analysts.notebook import events, alerts_as_of

    day = datetime(2025, 6, 2, tzinfo=UTC)
    Counter(type(e).__name__ for e in events(day, day + timedelta(days=1), data_dir="var"))
    # Counter({'AlertIssued': 12, 'AlertUpdated': 30, 'AlertEnded': 9})

    [s.current.info[0].headline for s in alerts_as_of(day, data_dir="var") if s.is_public]

    frame = dataframe(day, day + timedelta(days=1), data_dir="var")  # needs alerthub[pandas]
    frame.groupby(["channel", "language"]).size()

Without `kafka_bootstrap` the event store under `data_dir` is read (default: the settings'
`ALERTHUB_DATA_DIR`, else `./var`); with it, the canonical Kafka topic (`kafka_topic`, default
`alerthub.alerts.v1`). The hub is built by the one bootstrap with every worker off: nothing is
written. Events stream lazily: stop iterating and the hub is closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.alert import AlertEnded, AlertIssued, AlertUpdated, MessageRecorded, OriginalLinked
from domain.state import AlertState
from hub.analysts import CSV_COLUMNS, WholeAlerts, document, fold, reading_hub, table_rows, window
from hub.settings import Settings, load_settings
from hub.streaming.avro import AvroCodec

if TYPE_CHECKING:
    import pandas

AlertHistoryEvent = AlertIssued | AlertUpdated | OriginalLinked | MessageRecorded | AlertEnded
_EVENT_TYPES = (AlertIssued, AlertUpdated, OriginalLinked, MessageRecorded, AlertEnded)
_TICK = timedelta(microseconds=1)


def _settings(
    data_dir: str | Path | None, kafka_bootstrap: str | None, kafka_topic: str | None
) -> Settings:
    given = {"data_dir": data_dir, "kafka_bootstrap": kafka_bootstrap, "kafka_topic": kafka_topic}
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    return load_settings(**overrides)


def events(
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    data_dir: str | Path | None = None,
    kafka_bootstrap: str | None = None,
    kafka_topic: str | None = None,
    channel: str | None = None,
) -> Iterator[AlertHistoryEvent]:
    """The alert events recorded in `[start, end)`, typed, in stream order (`hub.analysts.window`).

    Times need a UTC offset. `channel` keeps events of messages that came in through it.
    """
    with reading_hub(_settings(data_dir, kafka_bootstrap, kafka_topic)) as hub:
        for record in window(hub.stream, start, end, channel=channel):
            if isinstance(record.event, _EVENT_TYPES):
                yield record.event


def alerts_as_of(
    moment: datetime,
    *,
    data_dir: str | Path | None = None,
    kafka_bootstrap: str | None = None,
    kafka_topic: str | None = None,
) -> list[AlertState]:
    """Every alert as recorded at `moment` (events recorded at or before it), folded in memory.

    The same answer as the API's `as_of` queries, computed from the stream, not the views.
    Lifecycle is derived: `state.lifecycle(moment)`.
    """
    states: dict[UUID, AlertState] = {}
    whole = WholeAlerts()
    with reading_hub(_settings(data_dir, kafka_bootstrap, kafka_topic)) as hub:
        for record in whole(window(hub.stream, None, moment + _TICK)):
            fold(states, record.event)
        stamped = [hub.lifetimes.stamp(state) for state in states.values()]
    return sorted(stamped, key=lambda s: str(s.alert_id))


def dataframe(
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    data_dir: str | Path | None = None,
    kafka_bootstrap: str | None = None,
    kafka_topic: str | None = None,
    channel: str | None = None,
) -> pandas.DataFrame:
    """The events recorded in `[start, end)` as a pandas DataFrame: the CSV export's rows.

    One row per event and info block (language), the columns of `CSV_COLUMNS`, times as
    timezone-aware timestamps. pandas is an optional extra: `pip install "alerthub[pandas]"`.
    """
    try:
        import pandas as pd  # noqa: PLC0415 - optional: only this function needs it
    except ImportError as exc:
        raise ImportError('dataframe() needs pandas: pip install "alerthub[pandas]"') from exc
    codec = AvroCodec()
    rows: list[dict[str, Any]] = []
    with reading_hub(_settings(data_dir, kafka_bootstrap, kafka_topic)) as hub:
        for record in window(hub.stream, start, end, channel=channel):
            rows.extend(table_rows(document(codec.to_record(record.event))))
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    for column in ("recorded_at", "occurred_at", "sent", "effective", "onset", "expires"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame
