"""The canonical stream on real Apache Kafka: relay, decoding with only schemas/, outages."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastavro import schemaless_reader
from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form

from devtools.kafka_broker import KafkaBroker
from tests.conftest import EXAMPLES, HubFactory
from tests.integration.kafka_helpers import eventually, kafka_settings, read_topic

pytestmark = pytest.mark.kafka
SCHEMAS = Path(__file__).parents[2] / "schemas"
CAP = sorted((EXAMPLES / "cap").glob("*.xml"))


def decode_with_schemas_only(value: bytes) -> dict[str, Any]:
    """What a partner does: fastavro and the published .avsc files, no hub code."""
    schema = load_schema(str(SCHEMAS / "alerthub.v1.AlertEvent.avsc"))
    assert value[:2] == b"\xc3\x01"
    expected = fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO")
    assert value[2:10] == bytes.fromhex(expected)
    record: dict[str, Any] = schemaless_reader(io.BytesIO(value[10:]), schema, None)
    return record


def test_every_event_reaches_the_topic_keyed_and_decodable(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    settings = kafka_settings(kafka)
    hub = make_hub(**settings)
    hub.start()
    results = [hub.service.ingest("cap", p.read_bytes(), "application/cap+xml") for p in CAP]
    expected = {(str(a.alert_id), e.version) for r in results for a in r.accepted for e in a.events}
    eventually(lambda: hub.relay is not None and hub.relay.lag() == 0)
    records = read_topic(kafka.bootstrap, settings["kafka_topic"])
    seen = set()
    for record in records:
        decoded = decode_with_schemas_only(record.value)
        assert record.key.decode() == str(decoded["alert_id"])
        headers = dict(record.headers)
        assert headers["event_type"].decode() == decoded["event_type"]
        seen.add((str(decoded["alert_id"]), decoded["version"]))
    assert seen == expected


def test_views_follow_the_topic_with_read_your_writes(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    """In Kafka mode the projections read the topic; a POST's alert is visible when it returns."""
    hub = make_hub(**kafka_settings(kafka))
    hub.start()
    result = hub.service.ingest("cap", CAP[0].read_bytes(), "application/cap+xml")
    assert hub.wait_for_views(result.position, timeout=30)
    assert hub.follower.lag() == {"alerts": 0, "views": 0, "incidents": 0, "places": 0}


def test_messages_accepted_while_the_broker_is_down_arrive_when_it_returns(
    make_hub: HubFactory, kafka: KafkaBroker
) -> None:
    settings = kafka_settings(kafka)
    hub = make_hub(**settings)
    hub.start()
    hub.service.ingest("cap", CAP[0].read_bytes(), "application/cap+xml")
    eventually(lambda: hub.relay is not None and hub.relay.lag() == 0)
    kafka.stop(keep_work_dir=True)
    try:
        accepted = [
            hub.service.ingest("cap", p.read_bytes(), "application/cap+xml") for p in CAP[1:]
        ]
        assert all(r.accepted for r in accepted)  # accepted means durable, broker or not
        assert hub.relay is not None
        eventually(lambda: hub.relay is not None and hub.relay.last_error is not None, timeout=60)
        assert hub.relay.lag() > 0
    finally:
        kafka.start()
    eventually(lambda: hub.relay is not None and hub.relay.lag() == 0, timeout=90)
    keys = {
        (str(decode_with_schemas_only(r.value)["alert_id"]))
        for r in read_topic(kafka.bootstrap, settings["kafka_topic"])
    }
    assert len(keys) == len(CAP)
