"""Exports analysts can use: every language in plain columns, the area as WKT, a BOM on request,
filters by recorded or sent time, a pandas DataFrame; on real SQLite files."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.analysts import CSV_COLUMNS, export, sent_between, window, window_size
from hub.analysts.notebook import dataframe
from hub.bootstrap import Hub
from hub.cli.main import main
from hub.streaming.avro import AvroCodec
from tests.conftest import HubFactory
from tests.factories import cap_xml

CAP = "application/cap+xml"
SENT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def hub(make_hub: HubFactory) -> Hub:
    """Two bilingual alerts sent a day apart (recorded now), with a polygon and a circle."""
    built = make_hub()
    for day, identifier in enumerate(("export-one", "export-two")):
        sent = SENT + timedelta(days=day)
        body = cap_xml(identifier, sent=sent, expires=sent + timedelta(days=30))
        built.service.ingest("cap", body, CAP)
    return built


def rows_of(data: bytes) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def test_csv_has_a_row_per_language_with_text_times_and_wkt(hub: Hub) -> None:
    out = io.BytesIO()
    report = export(window(hub.stream), "csv", out, AvroCodec())
    rows = rows_of(out.getvalue())
    assert report.count == 2
    assert len(rows) == 4, "two events, two languages each"
    dutch, english = rows[0], rows[1]
    assert (dutch["language"], english["language"]) == ("nl-NL", "en-GB")
    assert dutch["headline"] == "Grote brand, sluit ramen en deuren"
    assert english["description"] == "There is a large fire with a lot of smoke."
    assert english["instruction"] == "Close windows and doors, turn off ventilation."
    assert dutch["status"] == "Actual"
    assert datetime.fromisoformat(dutch["sent"]) == SENT
    assert datetime.fromisoformat(dutch["expires"]) == SENT + timedelta(days=30)
    assert dutch["area_wkt"].startswith("MULTIPOLYGON (((4.45 51.88, 4.55 51.88, ")
    assert dutch["area_wkt"].count("((") == 2, "the polygon and the circle"
    assert english["area_wkt"].count("((") == 1
    assert english["circles"] == "51.9,4.5 2.5"


def test_csv_round_trips_through_the_csv_module(hub: Hub) -> None:
    """Written, read back and written again: the same bytes (quotes, commas, newlines kept)."""
    out = io.BytesIO()
    export(window(hub.stream), "csv", out, AvroCodec())
    rows = rows_of(out.getvalue())
    again = io.StringIO(newline="")
    writer = csv.DictWriter(again, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    assert again.getvalue().encode() == out.getvalue()


def test_a_bom_on_request_so_spreadsheets_read_utf8(hub: Hub) -> None:
    plain, marked = io.BytesIO(), io.BytesIO()
    export(window(hub.stream), "csv", plain, AvroCodec())
    export(window(hub.stream), "csv", marked, AvroCodec(), bom=True)
    assert marked.getvalue() == codecs.BOM_UTF8 + plain.getvalue()
    assert not plain.getvalue().startswith(codecs.BOM_UTF8)


def test_filter_by_sent_time_not_recorded_time(hub: Hub) -> None:
    first_day = list(sent_between(window(hub.stream), SENT, SENT + timedelta(hours=1)))
    assert [r.event.message["identifier"] for r in first_day] == ["export-one"]
    assert list(sent_between(window(hub.stream), None, SENT)) == []
    assert window_size(hub.stream) >= 2


def test_the_cli_exports_by_sent_time_with_a_bom(hub: Hub, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    code = main(
        [
            "export", "--data-dir", str(hub.settings.data_dir), "--format", "csv", "--bom",
            "--time", "sent", "--from", "2026-03-02T00:00:00Z", "--output", str(target),
        ]
    )  # fmt: skip
    assert code == 0
    data = target.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert {row["identifier"] for row in rows_of(data)} == {"export-two"}


def test_the_notebook_gives_a_dataframe(hub: Hub) -> None:
    frame = dataframe(data_dir=hub.settings.data_dir)
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert len(frame) == 4
    assert set(frame["language"]) == {"nl-NL", "en-GB"}
    assert str(frame["sent"].dt.tz) == "UTC"
    assert frame.groupby("identifier").size().to_dict() == {"export-one": 2, "export-two": 2}
