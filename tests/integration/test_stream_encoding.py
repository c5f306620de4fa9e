"""The relay's fast encoding on a real store: the very bytes and headers of the schema walk.

A history as the relay reads it (sealed, from a real SQLite event store): every event type,
Burgernet actions whose personal fields are sealed, one of them erased. The compiled writers
(`AvroCodec.encode`) must give byte for byte what `to_record` + fastavro gave before them, and
the relay's way from the stored JSON (`EventStore.sealed_state`, `AvroCodec.encode_state`) the
bytes of the event the mapper builds.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.alert import ALERT_EVENTS, PersonalDataErased
from hub.bootstrap import Hub
from hub.streaming.avro import AvroCodec
from hub.streaming.embedded import EmbeddedStream
from tests.conftest import HubFactory
from tests.factories import alert_with_every_event_type, message
from tests.privacy_helpers import burgernet_action, unique_person


@pytest.fixture
def hub_backend(both_backends: dict[str, Any]) -> dict[str, Any]:
    """The relay reads stored JSON from either store: SQLite, then PostgreSQL."""
    return both_backends


def post(hub: Hub, body: bytes) -> UUID:
    return hub.service.ingest("burgernet", body, "application/json").accepted[0].alert_id


def sealed_history(hub: Hub) -> UUID:
    """Every event type, sealed personal fields, one erasure (the erased alert's id)."""
    hub.store.save(alert_with_every_event_type(message(), message(note="tweede"), "AMBER-7"))
    post(hub, burgernet_action(unique_person(), update="Gezien bij het station", ended=True))
    erased = post(hub, burgernet_action(unique_person(), ended=True))
    assert hub.eraser.erase(erased, by="admin:test", reason="closed case") is not None
    return erased


def test_compiled_encoding_equals_the_schema_walk_on_a_sealed_history(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    erased = sealed_history(hub)

    events = [r.event for r in EmbeddedStream(hub.store, sealed=True).read({}, limit=1000)]
    assert {type(e) for e in events} == set(ALERT_EVENTS)
    assert sum(1 for e in events if vars(e).get("sealed")) >= 3  # personal fields, sealed
    assert any(isinstance(e, PersonalDataErased) and e.originator_id == erased for e in events)
    codec = AvroCodec()
    for event in events:
        assert codec.encode_compiled(event) == codec.encode_walking(event)


def test_the_stored_json_encodes_to_the_bytes_of_its_sealed_event(make_hub: HubFactory) -> None:
    hub = make_hub()
    sealed_history(hub)
    stream, codec = EmbeddedStream(hub.store, sealed=True), AvroCodec()

    stored = stream.read_stored({}, limit=1000)
    assert len(stored) == len(stream.read({}, limit=1000))
    for notification in stored:
        found = hub.store.sealed_state(notification)
        assert found is not None, notification.topic  # every event the hub writes takes it
        cls, state = found
        event = stream.event_of(notification)
        assert cls is type(event)
        assert state == {
            k: v for k, v in vars(event).items() if k not in {"originator_id", "originator_version"}
        }
        assert isinstance(notification.originator_id, UUID)
        encoded = codec.encode_state(
            cls, notification.originator_id, notification.originator_version, state
        )
        assert encoded == codec.encode(event)


def test_stored_json_the_shortcut_cannot_read_is_left_to_the_mapper(make_hub: HubFactory) -> None:
    hub = make_hub()
    sealed_history(hub)
    first = EmbeddedStream(hub.store, sealed=True).read_stored({}, limit=1)[0]
    assert hub.store.sealed_state(first) is not None
    older = first.state.replace(b'"class_version":2', b'"class_version":1')
    typed = first.state.replace(  # an attribute of a type JSON does not have
        b'"channel":',
        b'"linked":{"_type_":"uuid","_data_":"%s"},"channel":' % str(uuid4()).encode(),
    )
    unknown_topic = replace(first, topic="domain.alert:Elsewhere")
    for changed in (replace(first, state=older), replace(first, state=typed), unknown_topic):
        assert changed != first
        assert hub.store.sealed_state(changed) is None
