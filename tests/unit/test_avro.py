"""The Avro contract of the stream: lossless events, spec-exact framing, readable anywhere."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from eventsourcing.domain import Aggregate
from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.alert import ALERT_EVENTS, Alert, AlertUpdated, MessageReceipt, PersonalDataErased
from domain.errors import AlertHubError
from domain.identity import NAMESPACE
from domain.model import AlertMessage, Area, Circle, Info, MessageRef, NamedValue, Resource
from domain.provenance import Provenance, SignatureVerdict
from hub.streaming.avro import (
    ENVELOPE,
    AvroCodec,
    MalformedRecordError,
    SchemaError,
    UnknownSchemaError,
    history_files,
    schema_fingerprint,
    schemas_dir,
    standalone_json,
)
from tests.factories import cap, every_event_type, info, later, message, variant
from tests.strategies import alert_messages

SCHEMAS = schemas_dir()
EMPTY64 = 0xC15D213AA4D7A795


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec()


def crc64_avro(data: bytes) -> bytes:
    """The Avro spec's fingerprint algorithm ("Schema Fingerprints"), written out independently."""
    table = []
    for byte in range(256):
        fp = byte
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY64 if fp & 1 else 0)
        table.append(fp)
    fp = EMPTY64
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


def any_history(test: Any) -> Any:
    """Hypothesis over one alert's every event type, its messages and thread drawn at random."""
    return settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
        given(
            first=alert_messages(),
            second=alert_messages(),
            thread=st.none() | st.from_regex(r"[A-Za-z0-9-]{1,20}", fullmatch=True),
        )(test)
    )


def issued(msg: AlertMessage | None = None, thread: str | None = None) -> Any:
    """The AlertIssued event of a fresh alert."""
    return Alert.start(uuid4(), cap(msg or message(), thread)).collect_events()[0]


@any_history
def test_every_event_type_round_trips_with_any_message(
    codec: AvroCodec, first: AlertMessage, second: AlertMessage, thread: str | None
) -> None:
    """decode(encode(e)) == e: same class, ids, version, time (µs), channel, message, extras."""
    events = every_event_type(first, second, thread)
    assert {type(e) for e in events} == set(ALERT_EVENTS)
    for event in events:
        decoded = codec.decode(codec.encode(event)[0])
        assert decoded == event
        normalised = AlertMessage.model_validate(event.message).to_json()
        assert decoded.message == normalised  # type: ignore[attr-defined]


@any_history
def test_compiled_writers_give_the_bytes_of_the_schema_walk(
    codec: AvroCodec, first: AlertMessage, second: AlertMessage, thread: str | None
) -> None:
    """`encode` (compiled writers) and `encode_walking` (`to_record` + fastavro) agree byte for
    byte on every event type, whatever the message holds."""
    for event in every_event_type(first, second, thread):
        assert codec.encode_compiled(event) == codec.encode_walking(event)


def test_value_is_single_object_encoding_with_headers(codec: AvroCodec) -> None:
    """C3 01, then the spec's CRC-64-AVRO of the parsing canonical form, little-endian; the
    headers let consumers route or skip without decoding (the fingerprint as ASCII hex)."""
    value, headers = codec.encode(issued())
    canonical = to_parsing_canonical_form(load_schema(str(SCHEMAS / f"{ENVELOPE}.avsc")))
    assert value[:2] == b"\xc3\x01"
    assert value[2:10] == crc64_avro(canonical.encode()) == bytes.fromhex(codec.fingerprint_hex)
    assert headers == [
        ("event_type", b"AlertIssued"),
        ("schema_fingerprint", codec.fingerprint_hex.encode()),
        ("content-type", b"application/vnd.alerthub.event+avro"),
    ]


def test_fingerprint_algorithm_matches_the_spec_example() -> None:
    """The spec's example: "null" has fingerprint 0x63dd24e7cc258f8a, sent as 8a8f25cce724dd63."""
    assert crc64_avro(b'"null"').hex() == "8a8f25cce724dd63"
    assert schema_fingerprint("null").hex() == "8a8f25cce724dd63"


def test_a_record_decodes_with_only_fastavro_and_the_schemas_folder(codec: AvroCodec) -> None:
    """Another team needs no hub code: the folder and any Avro library read the topic."""
    event = issued(thread="AMBER-7")
    value, _ = codec.encode(event)
    schema = load_schema(str(SCHEMAS / "alerthub.v1.AlertEvent.avsc"))
    assert fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO") == value[2:10].hex()
    record: Any = schemaless_reader(io.BytesIO(value[10:]), schema)
    assert record["alert_id"] == event.originator_id
    assert (record["version"], record["event_type"]) == (1, "AlertIssued")
    assert record["recorded_at"] == event.timestamp
    assert record["occurred_at"] == "2025-06-02T12:00:00-00:00"  # CAP spells UTC -00:00
    assert record["origin"] == {
        "channel": "cap",
        "sender": "vr01@example.nl",
        "identifier": "m1",
        "sent": "2025-06-02T12:00:00-00:00",
    }
    assert record["payload"]["thread"] == "AMBER-7"
    area = record["payload"]["message"]["info"][0]["areas"][0]
    assert area["polygons"][0][0] == {"lat": 53.16, "lon": 6.35}
    assert area["geocodes"] == [{"name": "CBS-GM", "value": "GM0086"}]
    assert codec.from_record(record) == event  # a plain record (payload without its name) maps too


def test_an_event_that_does_not_fit_is_a_schema_error(codec: AvroCodec) -> None:
    """Encoding refuses, naming the event and the place, rather than publish a partial record.

    Message receipts are the hub's bookkeeping, not part of the canonical stream.
    """
    event = issued()
    for message_, complaint in [
        ({"identifier": "m1", "sender": "s"}, r"AlertIssued v1 .*: message\.sent: required"),
        (event.message | {"colour": "red"}, r"message: \['colour'\] not in alerthub.v1.Alert"),
    ]:
        with pytest.raises(SchemaError, match=complaint):
            codec.encode(dataclasses.replace(event, message=message_))
    receipt = MessageReceipt.record(uuid4(), uuid4(), "digest").collect_events()[0]
    with pytest.raises(SchemaError, match="not a canonical alert event"):
        codec.encode(receipt)


def test_parts_the_strategy_leaves_out_round_trip(codec: AvroCodec) -> None:
    """Resources, altitude/ceiling, restriction, signature...; and CAP offsets stay as sent."""
    sent = datetime.fromisoformat("2025-06-02T14:00:00+02:00")
    resource = {"description": "foto", "mime_type": "image/jpeg", "size": 1, "uri": "https://x"}
    circle = {"lat": 52.1, "lon": 4.2, "radius_km": 0.0}
    area = {"description": "Zee", "circles": [circle], "altitude": 0.0, "ceiling": 9.5}
    extra = {"audience": "a", "onset": sent, "sender_name": "VR", "resources": [resource]}
    rich = message(sent=sent, scope="Restricted", restriction="p", signature="<X/>")
    rich = variant(rich, info=[info(areas=[area], **extra)])
    for event in every_event_type(rich, rich, None):
        assert codec.decode(codec.encode(event)[0]) == event
    record = codec.read(codec.encode(issued(rich))[0])
    assert record["occurred_at"] == record["origin"]["sent"] == "2025-06-02T14:00:00+02:00"


def test_event_ids_are_deterministic(codec: AvroCodec) -> None:
    """A re-sent event has the same id: UUIDv5 of alert id and version in the hub's namespace."""
    event = issued()
    first, second = (codec.read(codec.encode(event)[0]) for _ in range(2))
    expected = uuid5(NAMESPACE, f"event:{event.originator_id}:1")
    assert first["event_id"] == second["event_id"] == expected
    assert isinstance(first["alert_id"], UUID)  # logicalType uuid: typed readers get UUIDs


def test_correlation_and_causation(codec: AvroCodec) -> None:
    """Correlation: the thread, else the reference root; causation: the message's own key."""
    original = message("m1")
    update = message("m2", msg_type="Update", sent=later(5), references=[original])
    alert = Alert.start(uuid4(), cap(original))
    alert.receive(cap(update))
    records = [codec.read(codec.encode(e)[0]) for e in alert.collect_events()]
    assert [(r["correlation_id"], r["causation_id"]) for r in records] == [
        ("vr01@example.nl|m1", "vr01@example.nl|m1"),
        ("vr01@example.nl|m1", "vr01@example.nl|m2"),
    ]
    threaded = codec.read(codec.encode(issued(thread="BN-1"))[0])
    assert threaded["correlation_id"] == "BN-1"


def test_unknown_fingerprint_is_refused_precisely(codec: AvroCodec) -> None:
    """A value of a schema this code does not keep names the fingerprint it could not find."""
    value, _ = codec.encode(issued())
    with pytest.raises(UnknownSchemaError, match="0123456789abcdef") as caught:
        codec.decode(value[:2] + bytes.fromhex("0123456789abcdef") + value[10:])
    assert isinstance(caught.value, AlertHubError)
    assert caught.value.fingerprint_hex == "0123456789abcdef"


def test_every_truncation_and_extension_is_refused(codec: AvroCodec) -> None:
    """No prefix decodes (MalformedRecordError, never a bare EOFError); nor do trailing bytes."""
    value, _ = codec.encode(every_event_type(message("m1"), message("m2"), "T")[-1])
    for size in range(len(value)):
        with pytest.raises(MalformedRecordError):
            codec.decode(value[:size])
    with pytest.raises(MalformedRecordError, match="1 bytes left"):
        codec.decode(value + b"\x00")


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (b"\x00\x00\x00\x00\x01" + b"\x00" * 20, "not Avro single-object encoding"),
        (b"\xc3\x01\x00", "shorter than the 10-byte header"),
    ],
)
def test_other_framings_are_refused(codec: AvroCodec, value: bytes, complaint: str) -> None:
    """A Confluent-framed or empty value is named for what it is."""
    with pytest.raises(MalformedRecordError, match=complaint):
        codec.decode(value)


def test_an_old_writer_reads_with_the_current_reader(tmp_path: Path) -> None:
    """A value written with a kept older version (fewer fields) decodes, defaults filled in."""
    directory = tmp_path / "schemas"  # a private copy, to add an older version to
    shutil.copytree(SCHEMAS, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    old = json.loads(standalone_json(AvroCodec().schema))
    old["fields"] = [f for f in old["fields"] if f["name"] != "causation_id"]
    (directory / "history" / ENVELOPE / "0000.avsc").write_text(json.dumps(old))
    event = issued()
    record = AvroCodec().to_record(event)
    old_schema = load_schema(str(directory / "history" / ENVELOPE / "0000.avsc"))
    body = io.BytesIO(b"\xc3\x01" + schema_fingerprint(old_schema))
    body.seek(0, io.SEEK_END)
    schemaless_writer(body, old_schema, record)  # the extra causation_id is dropped
    codec = AvroCodec(directory)
    assert len(codec.writer_schemas) == len(history_files(SCHEMAS)) + 1  # the one added here
    assert codec.decode(body.getvalue()) == event
    assert codec.read(body.getvalue())["causation_id"] is None


def test_the_current_version_is_kept_in_history(codec: AvroCodec) -> None:
    """Every published version stays decodable: the current one has its history copy."""
    kept = history_files(SCHEMAS)
    assert kept, "run `python -m hub.streaming.schema_check --freeze`"
    assert codec.fingerprint_hex in codec.writer_schemas
    alone = [schema_fingerprint(load_schema(str(path))).hex() for path in kept]  # no other file
    assert set(alone) <= set(codec.writer_schemas)
    assert alone[-1] == codec.fingerprint_hex


MODELS = [AlertMessage, Info, Area, Circle, NamedValue, Resource, MessageRef, Provenance]
MODELS += [SignatureVerdict]
MODELS = [AlertMessage, Info, Area, Circle, NamedValue, Resource, MessageRef]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_message_records_mirror_the_model(codec: AvroCodec, model: Any) -> None:
    """A field added to the domain model fails here until the schema carries it too."""
    fields = codec.schema["__named_schemas"][f"alerthub.v1.{model.__name__}"]["fields"]
    assert [f["name"] for f in fields] == list(model.model_fields)


@pytest.mark.parametrize("event_class", ALERT_EVENTS, ids=lambda c: c.__name__)
def test_payload_records_mirror_the_events(
    codec: AvroCodec, event_class: type[Aggregate.Event]
) -> None:
    """Each payload branch carries exactly its event's own fields (the envelope the rest).

    An erasure travels as an AlertUpdated branch, what it adds in the envelope's `erasure`.
    """
    envelope = {"originator_id", "originator_version", "timestamp", "provenance"}
    named = codec.schema["__named_schemas"]
    own = [f.name for f in dataclasses.fields(event_class) if f.name not in envelope]
    if event_class is PersonalDataErased:
        erasure = [f["name"] for f in named["alerthub.v1.Erasure"]["fields"]]
        own = [name for name in own if name not in erasure]
        event_class = AlertUpdated
    fields = named[f"alerthub.v1.{event_class.__name__}"]["fields"]
    assert sorted(f["name"] for f in fields) == sorted(own)


def test_events_written_before_provenance_decode_with_none(codec: AvroCodec) -> None:
    """Version 0001 had no provenance: its values still decode, the publisher unknown."""
    first = load_schema(str(history_files(SCHEMAS)[0]))
    record = codec.to_record(issued())
    body = io.BytesIO(b"\xc3\x01" + schema_fingerprint(first))
    body.seek(0, io.SEEK_END)
    schemaless_writer(body, first, record)
    assert codec.decode(body.getvalue()).provenance is None  # type: ignore[attr-defined]
    assert codec.decode(codec.encode(issued())[0]).provenance == {  # type: ignore[attr-defined]
        "partner": "operator",
        "auth_method": "local",
        "signature": {"verdict": "absent"},
    }
