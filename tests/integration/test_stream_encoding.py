"""The relay's fast encoding on a real store: the very bytes and headers of the schema walk.

A history as the relay reads it (sealed, from a real SQLite event store): every event type,
Burgernet actions whose personal fields are sealed, one of them erased. The compiled writers
(`AvroCodec.encode`) must give byte for byte what `to_record` + fastavro gave before them.
"""

from __future__ import annotations

from uuid import UUID

from domain.alert import ALERT_EVENTS, PersonalDataErased
from hub.bootstrap import Hub
from hub.streaming.avro import AvroCodec
from hub.streaming.embedded import EmbeddedStream
from tests.conftest import HubFactory
from tests.factories import alert_with_every_event_type, message
from tests.privacy_helpers import burgernet_action, unique_person


def post(hub: Hub, body: bytes) -> UUID:
    return hub.service.ingest("burgernet", body, "application/json").accepted[0].alert_id


def test_compiled_encoding_equals_the_schema_walk_on_a_sealed_history(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    hub.store.save(alert_with_every_event_type(message(), message(note="tweede"), "AMBER-7"))
    post(hub, burgernet_action(unique_person(), update="Gezien bij het station", ended=True))
    erased = post(hub, burgernet_action(unique_person(), ended=True))
    assert hub.eraser.erase(erased, by="admin:test", reason="closed case") is not None

    events = [r.event for r in EmbeddedStream(hub.store, sealed=True).read({}, limit=1000)]
    assert {type(e) for e in events} == set(ALERT_EVENTS)
    assert sum(1 for e in events if vars(e).get("sealed")) >= 3  # personal fields, sealed
    assert any(isinstance(e, PersonalDataErased) and e.originator_id == erased for e in events)
    codec = AvroCodec()
    for event in events:
        assert codec.encode_compiled(event) == codec.encode_walking(event)
