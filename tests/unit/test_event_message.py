"""An alert event's message is validated once per event object, and never stored twice."""

from __future__ import annotations

import copy
import pickle

from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)

from domain.alert import AlertEvent, AlertIssued, AlertUpdated
from domain.inbox import Inbox
from tests.factories import cap, info, later, message


def recorded() -> list[AlertIssued | AlertEvent]:
    """An alert issued and updated, as the aggregate records them."""
    inbox = Inbox()
    first = message()
    inbox.apply(cap(first))
    headline = [info(headline="nieuw")]
    inbox.apply(
        cap(message("m2", msg_type="Update", sent=later(5), references=[first], info=headline))
    )
    events = [e for a in inbox.alerts.values() for e in a.collect_events()]
    return [e for e in events if isinstance(e, AlertIssued | AlertEvent)]


def mapper() -> Mapper:  # type: ignore[type-arg]
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


def test_the_message_is_parsed_once_per_event_and_shared() -> None:
    """Every reader of one event (the fold, each view) gets the same parsed message."""
    for event in recorded():
        assert event.alert_message is event.alert_message
        assert event.alert_message.to_json() == event.message


def test_an_issue_opens_one_state_for_every_fold() -> None:
    """Every view folding one `AlertIssued` starts from the same state, built once."""
    issued = recorded()[0]
    assert isinstance(issued, AlertIssued)
    assert issued.evolve() is issued.evolve()
    assert issued.evolve().current is issued.alert_message
    assert issued.evolve().version == 1


def test_a_read_message_stays_out_of_the_stored_event() -> None:
    """The store reads an event's fields as `vars(event)`: the parsed message and the state an
    issue opens are not among them, so an event stored after a fold reads back as recorded."""
    codec = mapper()
    for event in recorded():
        before = dict(vars(event))
        parsed = event.alert_message
        if isinstance(event, AlertIssued):
            event.evolve()
        assert vars(event) == before
        back = codec.to_domain_event(codec.to_stored_event(event))
        assert isinstance(back, type(event))
        assert vars(back) == before
        assert back.alert_message == parsed
        assert back.alert_message is not parsed


def test_an_event_read_again_parses_its_own_message() -> None:
    """A copy (or an event built from another's fields, as the sealer does) never inherits
    the parsed message of the event it came from."""
    event = recorded()[-1]
    assert isinstance(event, AlertUpdated)
    parsed = event.alert_message
    for other in (copy.copy(event), copy.deepcopy(event), pickle.loads(pickle.dumps(event))):
        assert other == event
        assert other.alert_message == parsed
        assert other.alert_message is not parsed
