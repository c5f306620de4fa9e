"""Analysts' tools on real SQLite files (and real Kafka): windows, exports, replays, shadows.

Event timestamps are the hub's clock, so the tests ingest in batches with pauses between them and
take the window's bounds from the recorded timestamps of the batches' first events.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import fastavro
import pytest
import structlog

from adapters.base import PersonalData, Rendering
from devtools.kafka_broker import KafkaBroker
from domain.alert import ALERT_EVENTS, AlertIssued
from domain.commands import Instruction
from domain.errors import ConfigurationError
from domain.state import AlertState
from hub.analysts import (
    CSV_COLUMNS,
    PROJECTION_GROUP,
    Format,
    WholeAlerts,
    export,
    load_projections,
    projection_names,
    reading_hub,
    replay,
    shadow,
    window,
)
from hub.analysts.notebook import alerts_as_of, events
from hub.bootstrap import Hub
from hub.cli.main import main
from hub.settings import load_settings
from hub.streaming.avro import AvroCodec
from hub.streaming.embedded import EmbeddedStream
from projections.alerts import AlertQuery, AlertsProjection, find_alerts
from projections.stream import Event, StreamRecord
from tests.conftest import EXAMPLES, HubFactory
from tests.integration.kafka_helpers import eventually, kafka_settings

MEDIA = {"cap": "application/cap+xml"}
BATCHES: list[list[tuple[str, str]]] = [
    [("cap", "a1-homeland-security-advisory.xml"), ("amber", "01-amber-alert-national.json")],
    [("amber", "02-amber-update-clothing.json"), ("cap", "a2-severe-thunderstorm.xml")],
    [("burgernet", "01-vermissing-start.json"), ("amber", "03-vermist-kind-alert-regional.json")],
    [("cap", "a3-earthquake-update.xml"), ("amber", "05-amber-cancel-found.json")],
]
Key = tuple[str, int]


def key(event: Event) -> Key:
    return str(event.originator_id), event.originator_version


def ingest_batches(hub: Hub) -> list[list[StreamRecord]]:
    """Each batch's records, batches 30 ms apart so their recorded times never interleave."""
    source, batches, at = EmbeddedStream(hub.store), [], hub.store.max_position()
    for batch in BATCHES:
        time.sleep(0.03)
        for channel, name in batch:
            body = (EXAMPLES / channel / name).read_bytes()
            hub.service.ingest(channel, body, MEDIA.get(channel, "application/json"))
        records = source.read({0: at}, 1000)
        at = hub.store.max_position()
        batches.append(records)
    return batches


@pytest.fixture
def history(make_hub: HubFactory) -> tuple[Hub, list[list[StreamRecord]]]:
    hub = make_hub()
    return hub, ingest_batches(hub)


def bounds(batches: list[list[StreamRecord]], first: int, last: int) -> tuple[datetime, datetime]:
    """The window holding batches first..last: from its first event to the next batch's first."""
    return batches[first][0].event.timestamp, batches[last + 1][0].event.timestamp


def expected(batches: list[list[StreamRecord]], first: int, last: int) -> list[Key]:
    return [key(r.event) for batch in batches[first : last + 1] for r in batch]


def test_a_window_holds_exactly_the_events_recorded_in_it(
    history: tuple[Hub, list[list[StreamRecord]]],
) -> None:
    hub, batches = history
    start, end = bounds(batches, 1, 2)
    found = [key(r.event) for r in window(hub.stream, start, end, page_size=2)]
    assert found == expected(batches, 1, 2)
    assert [key(r.event) for r in window(hub.stream)] == expected(batches, 0, 3)
    assert list(window(hub.stream, end, end)) == []
    with pytest.raises(ValueError, match="UTC offset"):
        list(window(hub.stream, start.replace(tzinfo=None)))


def test_the_channel_filter_keeps_the_messages_of_that_channel(
    history: tuple[Hub, list[list[StreamRecord]]],
) -> None:
    hub, batches = history
    amber = [r.event for r in window(hub.stream, channel="amber")]
    assert amber
    assert all(getattr(e, "channel", None) == "amber" for e in amber)
    everything = [r.event for batch in batches for r in batch]
    assert len(amber) == sum(getattr(e, "channel", None) == "amber" for e in everything)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "avro"])
def test_an_export_holds_exactly_the_window(
    history: tuple[Hub, list[list[StreamRecord]]], fmt: Format
) -> None:
    hub, batches = history
    start, end = bounds(batches, 1, 2)
    out = io.BytesIO()
    report = export(window(hub.stream, start, end), fmt, out, AvroCodec())
    rows = read_back(fmt, out.getvalue())
    assert [(str(r["alert_id"]), int(r["version"])) for r in rows] == expected(batches, 1, 2)
    assert report.count == len(rows)
    assert (report.first, report.last) == (
        batches[1][0].event.timestamp,
        batches[2][-1].event.timestamp,
    )


def read_back(fmt: Format, data: bytes) -> list[dict[str, Any]]:
    """Each format read with its plain reader: json, csv, fastavro (no hub code)."""
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode().splitlines()]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(data.decode()))
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        return [row for row in reader if row["info_index"] in ("", "0")]  # a row per language
    avro = fastavro.reader(io.BytesIO(data))
    assert json.loads(avro.metadata["avro.schema"])["name"] == "alerthub.v1.AlertEvent"
    assert avro.codec == "deflate"
    return [dict(record) for record in avro if isinstance(record, dict)]


def test_csv_rows_carry_the_message_head_and_first_info(
    history: tuple[Hub, list[list[StreamRecord]]],
) -> None:
    hub, _ = history
    out = io.BytesIO()
    export(window(hub.stream, channel="amber"), "csv", out, AvroCodec())
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    first = rows[0]
    assert first["event_type"] == "AlertIssued"
    assert first["channel"] == "amber"
    assert first["status"] == "Actual"
    assert first["msg_type"] == "Alert"
    assert "Noor" in first["headline"]
    assert datetime.fromisoformat(first["recorded_at"]).utcoffset() is not None
    ended = [r for r in rows if r["event_type"] == "AlertEnded"]
    assert ended
    assert ended[0]["outcome"] == "found"
    assert {(r["publisher"], r["auth_method"], r["signature"]) for r in rows} == {
        ("operator", "local", "absent")
    }  # every row names who published it


def test_jsonl_lines_are_envelope_records(history: tuple[Hub, list[list[StreamRecord]]]) -> None:
    hub, _ = history
    out = io.BytesIO()
    export(window(hub.stream), "jsonl", out, AvroCodec())
    first = json.loads(out.getvalue().splitlines()[0])
    assert set(first) >= {"event_id", "alert_id", "version", "event_type", "recorded_at", "payload"}
    assert first["origin"]["channel"] == first["payload"]["channel"]
    assert datetime.fromisoformat(first["recorded_at"]).utcoffset() is not None


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("views*")}


def test_a_replay_rebuilds_the_live_view_elsewhere(
    history: tuple[Hub, list[list[StreamRecord]]], tmp_path: Path
) -> None:
    hub, _ = history
    hub.follower.catch_up()
    live = find_alerts(
        hub.views.connect(), AlertQuery(lifecycle=None, limit=1000), datetime.now(UTC)
    ).items
    before = digest(hub.settings.data_dir)
    alerts = AlertsProjection(lifetimes=hub.lifetimes)  # as the live view assumes expiries
    report = replay(window(hub.stream), [alerts], tmp_path / "replayed")
    assert digest(hub.settings.data_dir) == before
    with sqlite3.connect(report.path) as conn:
        conn.row_factory = sqlite3.Row
        rebuilt = find_alerts(conn, AlertQuery(lifecycle=None, limit=1000), datetime.now(UTC)).items
    assert sorted(rebuilt, key=str) == sorted(live, key=str)
    assert (report.alerts, report.events, report.skipped) == (len(live), 8, 0)
    assert report.ended == sum(s.ended is not None for s in live) == 1
    assert report.tables["alert_versions"] == 8
    with pytest.raises(ConfigurationError, match="already exists"):
        replay(window(hub.stream), ["alerts"], tmp_path / "replayed")


def test_a_replay_of_a_later_window_skips_alerts_begun_before_it(
    history: tuple[Hub, list[list[StreamRecord]]], tmp_path: Path
) -> None:
    hub, batches = history
    start, _ = bounds(batches, 1, 2)
    report = replay(window(hub.stream, start), [], tmp_path / "later")
    begun = [r for batch in batches[1:] for r in batch if isinstance(r.event, AlertIssued)]
    assert report.alerts == len(begun)
    assert report.skipped > 0
    assert report.events + report.skipped == sum(len(b) for b in batches[1:])


class CountingProjection:
    """A projection plugin as an outside package would write one."""

    name = "counting"
    prefix = ""
    tables = ("event_counts",)

    def create_tables(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS event_counts (type TEXT PRIMARY KEY, n INTEGER)")

    def apply(self, conn: sqlite3.Connection, event: Event) -> None:
        conn.execute(
            "INSERT INTO event_counts VALUES (?, 1) ON CONFLICT(type) DO UPDATE SET n = n + 1",
            (type(event).__name__,),
        )


def test_projection_plugins_are_found_through_their_entry_point_group(
    history: tuple[Hub, list[list[StreamRecord]]], tmp_path: Path
) -> None:
    hub, _ = history
    plugin = EntryPoint("counting", f"{__name__}:CountingProjection", PROJECTION_GROUP)
    installed = [*entry_points(group=PROJECTION_GROUP), plugin]
    assert projection_names(installed) == ["alerts", "counting", "incidents", "places", "views"]
    found = load_projections(["alerts", "counting"], installed)
    assert [p.name for p in found] == ["alerts", "counting"]
    with pytest.raises(ConfigurationError, match="no projection named 'nope'"):
        load_projections(["nope"], installed)
    report = replay(window(hub.stream), found, tmp_path / "plugin")
    assert report.projections == ("alerts", "counting")
    assert report.tables["event_counts"] == len({type(r.event) for r in window(hub.stream)})


def test_shadowing_amber_against_the_other_channels(
    history: tuple[Hub, list[list[StreamRecord]]],
) -> None:
    hub, batches = history
    amber = hub.channels["amber"]
    report = shadow(window(hub.stream), amber, hub.channels)
    summary = report.summary()
    assert report.compared_with == ("burgernet", "cap", "nlalert")
    assert summary["events"] == sum(len(b) for b in batches)
    assert summary["alerts"] == len({r.event.originator_id for b in batches for r in b})
    assert summary["render_failures"] == 0
    # cap shows every public alert, so nothing is amber's alone; amber leaves the storm out
    assert report.only_new == []
    assert len(report.both) >= 2  # the AMBER Alert and the Vermist Kind Alert
    assert report.not_new
    assert summary["public"] == len(report.both) + len(report.not_new)
    assert summary["renderings"] >= len(report.both)
    for alert in report.both:
        assert report.alerts[alert].by >= {"cap"}


class BrokenAmber:
    """Amber's choice, a render that fails: what shadowing is there to catch."""

    name = "amber-next"
    media_types: tuple[str, ...] = ("application/json",)
    personal_data = PersonalData(fields=("info[].description",))

    def __init__(self, hub: Hub) -> None:
        self.amber = hub.channels["amber"]

    def parse(self, body: bytes, media_type: str) -> list[Instruction]:
        return []

    def selects(self, alert: AlertState) -> bool:
        return self.amber.selects(alert)

    def render(self, alert: AlertState) -> Rendering:
        if alert.ended is not None:
            raise ValueError("cannot render an ended alert")
        return Rendering({}, b"{}", "application/json", lost=("info.areas",))


def test_a_shadow_reports_render_failures_and_lost_fields(
    history: tuple[Hub, list[list[StreamRecord]]],
) -> None:
    hub, _ = history
    report = shadow(window(hub.stream), BrokenAmber(hub), hub.channels)
    assert report.failure_count == 1  # the AMBER Alert's Cancel
    assert report.failures[0].stage == "render"
    assert "ended" in report.failures[0].error
    assert report.lost["info.areas"] == report.renderings > 0
    assert "amber" in report.compared_with


def test_notebook_events_are_typed_domain_events(
    history: tuple[Hub, list[list[StreamRecord]]],
) -> None:
    hub, batches = history
    start, end = bounds(batches, 1, 2)
    found = list(events(start, end, data_dir=hub.settings.data_dir))
    assert [key(e) for e in found] == expected(batches, 1, 2)
    assert all(isinstance(e, ALERT_EVENTS) for e in found)
    assert {e.channel for e in events(data_dir=hub.settings.data_dir, channel="cap")} == {"cap"}


def test_notebook_alerts_as_of_matches_the_view(
    history: tuple[Hub, list[list[StreamRecord]]],
) -> None:
    hub, batches = history
    hub.follower.catch_up()
    moment = batches[2][-1].event.timestamp
    folded = alerts_as_of(moment, data_dir=hub.settings.data_dir)
    everything = AlertQuery(lifecycle=None, limit=1000)
    viewed = find_alerts(hub.views.connect(), everything, moment, as_of=moment).items
    assert sorted(folded, key=lambda s: str(s.alert_id)) == sorted(
        viewed, key=lambda s: str(s.alert_id)
    )
    assert len(folded) == len({r.event.originator_id for b in batches[:3] for r in b})


def test_reading_a_missing_store_is_an_error(tmp_path: Path) -> None:
    with (
        pytest.raises(ConfigurationError, match="no event store"),
        reading_hub(load_settings(data_dir=tmp_path / "nothing")),
    ):
        pass
    assert not (tmp_path / "nothing").exists()


def test_whole_alerts_counts_what_it_drops(history: tuple[Hub, list[list[StreamRecord]]]) -> None:
    _, batches = history
    whole = WholeAlerts()
    kept = list(whole(r for b in batches[1:] for r in b))
    assert len(kept) + whole.skipped == sum(len(b) for b in batches[1:])


@pytest.fixture
def cli_logs() -> Iterator[None]:
    """The CLI configures logging for its process; put the test process's back afterwards."""
    root, config = logging.getLogger(), structlog.get_config()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)


@pytest.mark.usefixtures("cli_logs")
def test_the_cli_exports_a_window(
    history: tuple[Hub, list[list[StreamRecord]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub, batches = history
    start, end = bounds(batches, 1, 2)
    target = tmp_path / "window.avro"
    data_dir = str(hub.settings.data_dir)
    argv = ["export", "--data-dir", data_dir, "--format", "avro", "--output", str(target)]
    assert main([*argv, "--from", start.isoformat(), "--to", end.isoformat()]) == 0
    keys = [(str(r["alert_id"]), r["version"]) for r in read_back("avro", target.read_bytes())]
    assert keys == expected(batches, 1, 2)
    assert not target.with_name("window.avro.partial").exists()
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--from", start.replace(tzinfo=None).isoformat()])
    assert exit_.value.code == 2
    assert "argument --from" in capsys.readouterr().err
    assert main([*argv, "--from", end.isoformat(), "--to", start.isoformat()]) == 2


@pytest.mark.usefixtures("cli_logs")
def test_the_cli_replays_and_shadows(
    history: tuple[Hub, list[list[StreamRecord]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub, _ = history
    data_dir = str(hub.settings.data_dir)
    assert main(["replay", "--data-dir", data_dir, "--output", str(tmp_path / "r")]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert (replayed["events"], replayed["projections"]) == (8, ["alerts"])
    assert main(["shadow", "amber", "--data-dir", data_dir, "--alerts"]) == 0
    shadowed = json.loads(capsys.readouterr().out)
    assert shadowed["events"] == 8
    assert len(shadowed["per_alert"]) == shadowed["alerts"]
    assert main(["shadow", "nope", "--data-dir", data_dir]) == 2


@pytest.mark.kafka
def test_an_export_from_kafka_holds_exactly_the_window(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    """The same window read from the canonical topic (3 partitions) instead of the store."""
    settings = kafka_settings(kafka)
    hub = make_hub(**settings)
    hub.start()
    batches = ingest_batches(hub)
    eventually(lambda: hub.relay is not None and hub.relay.lag() == 0)
    start, end = bounds(batches, 1, 2)
    kafka_mode = load_settings(data_dir=hub.settings.data_dir, **settings)
    formats: tuple[Format, ...] = ("jsonl", "avro")
    for fmt in formats:
        with reading_hub(kafka_mode) as reader:
            assert type(reader.stream).__name__ == "KafkaStream"
            out = io.BytesIO()
            report = export(window(reader.stream, start, end), fmt, out, AvroCodec())
        rows = read_back(fmt, out.getvalue())
        keys = [(str(r["alert_id"]), int(r["version"])) for r in rows]
        assert sorted(keys) == sorted(expected(batches, 1, 2))
        assert report.count == len(keys)
        per_alert: dict[str, list[int]] = {}
        for alert, version in keys:
            per_alert.setdefault(alert, []).append(version)
        assert all(v == sorted(v) for v in per_alert.values())
