"""The hub's guarantees, decided by the `Alert` aggregate and the `Inbox` (no I/O)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.alert import (
    AlertEnded,
    AlertIssued,
    AlertUpdated,
    MessageRecorded,
    OriginalLinked,
    evolve,
)
from domain.commands import EndAlert, EndMissingAlerts, Outcome
from domain.errors import AlertEndedError, IdentifierReusedError
from domain.identity import alert_id
from domain.inbox import Inbox
from domain.provenance import OPERATOR, SignatureVerdict, Verdict
from domain.rights import Publisher
from domain.state import AlertState, Lifecycle
from tests.factories import T0, cap, info, later, message


def event_types(inbox: Inbox) -> list[str]:
    return [type(e).__name__ for a in inbox.alerts.values() for e in a.collect_events()]


def test_first_alert_issues() -> None:
    """A new Alert message opens an alert with one AlertIssued event."""
    inbox = Inbox()
    aid = inbox.apply(cap(message()))
    assert aid == alert_id("vr01@example.nl|m1")
    assert event_types(inbox) == ["AlertIssued"]


def test_same_message_twice_is_a_duplicate() -> None:
    """Idempotent ingest: the second copy is counted as a duplicate and adds no event."""
    inbox = Inbox()
    inbox.apply(cap(message()))
    assert inbox.apply(cap(message())) is None
    assert inbox.duplicates == 1
    assert event_types(inbox) == ["AlertIssued"]


def test_reused_identifier_with_other_content_conflicts() -> None:
    """A sender reusing an identifier for different content is refused, not overwritten."""
    inbox = Inbox()
    inbox.apply(cap(message()))
    with pytest.raises(IdentifierReusedError):
        inbox.apply(cap(message(info=[info(headline="iets anders")])))


def test_update_replaces_content() -> None:
    """A newer Update replaces what the alert shows."""
    inbox = Inbox()
    first = message()
    inbox.apply(cap(first))
    aid = inbox.apply(
        cap(
            message(
                "m2",
                msg_type="Update",
                sent=later(5),
                references=[first],
                info=[info(headline="Brand onder controle")],
            )
        )
    )
    assert aid is not None
    state = inbox.alerts[aid].state
    assert state.current.info[0].headline == "Brand onder controle"
    assert state.version == 2
    assert len(state.messages) == 2


def test_out_of_order_message_is_kept_but_does_not_overwrite() -> None:
    """An older message arriving late is recorded in history, and the newer content stays."""
    inbox = Inbox()
    first = message()
    newer = message(
        "m3",
        msg_type="Update",
        sent=later(10),
        references=[first],
        info=[info(headline="nieuwste")],
    )
    older = message(
        "m2", msg_type="Update", sent=later(5), references=[first], info=[info(headline="ouder")]
    )
    inbox.apply(cap(first))
    inbox.apply(cap(newer))
    aid = inbox.apply(cap(older))
    assert aid is not None
    alert = inbox.alerts[aid]
    assert alert.state.current.info[0].headline == "nieuwste"
    assert [m.identifier for m in alert.state.messages] == ["m1", "m2", "m3"]
    assert isinstance(alert.collect_events()[-1], MessageRecorded)


def test_update_before_its_original_is_flagged_then_linked() -> None:
    """An Update whose original was never seen opens the alert flagged; the original links later."""
    inbox = Inbox()
    original = message()
    update = message(
        "m2",
        msg_type="Update",
        sent=later(5),
        references=[original],
        info=[info(headline="update")],
    )
    aid = inbox.apply(cap(update))
    assert aid is not None
    state = inbox.alerts[aid].state
    assert state.first_message_type == "Update"
    assert [r.identifier for r in state.awaiting] == ["m1"]
    assert inbox.apply(cap(original)) == aid
    state = inbox.alerts[aid].state
    assert not state.awaiting
    assert [r.identifier for r in state.linked] == ["m1"]
    assert state.current.info[0].headline == "update"  # the older original does not overwrite
    kinds = [type(e) for e in inbox.alerts[aid].collect_events()]
    assert kinds == [AlertIssued, OriginalLinked]


def test_cancel_first_opens_and_ends() -> None:
    """A Cancel for an unseen alert is accepted as its first message and ends it."""
    inbox = Inbox()
    original = message()
    aid = inbox.apply(
        cap(message("c1", msg_type="Cancel", sent=later(9), references=[original], info=[]))
    )
    assert aid is not None
    state = inbox.alerts[aid].state
    assert state.ended is not None
    assert state.ended.outcome is Outcome.CANCELLED
    assert state.lifecycle(later(10)) is Lifecycle.ENDED
    assert event_types(inbox) == ["AlertIssued", "AlertEnded"]


def test_update_after_the_end_conflicts_but_older_is_history() -> None:
    """After a Cancel, a newer Update is a conflict; an older one is only recorded."""
    inbox = Inbox()
    first = message()
    inbox.apply(cap(first))
    inbox.apply(cap(message("c1", msg_type="Cancel", sent=later(10), references=[first])))
    with pytest.raises(AlertEndedError):
        inbox.apply(cap(message("u1", msg_type="Update", sent=later(20), references=[first])))
    aid = inbox.apply(cap(message("u0", msg_type="Update", sent=later(5), references=[first])))
    assert aid is not None
    assert isinstance(inbox.alerts[aid].collect_events()[-1], MessageRecorded)


def test_second_cancel_is_history() -> None:
    """Ending an ended alert records the message and keeps the first ending."""
    inbox = Inbox()
    first = message()
    inbox.apply(cap(first))
    inbox.apply(cap(message("c1", msg_type="Cancel", sent=later(10), references=[first])))
    aid = inbox.apply(cap(message("c2", msg_type="Cancel", sent=later(11), references=[first])))
    assert aid is not None
    state = inbox.alerts[aid].state
    assert state.ended is not None
    assert state.ended.identifier == "c1"


def test_expiry_is_derived_at_read_time() -> None:
    """No event marks expiry: the same state reads active before `expires` and expired after."""
    inbox = Inbox()
    aid = inbox.apply(cap(message(info=[info(expires=later(60))])))
    assert aid is not None
    state = inbox.alerts[aid].state
    assert state.lifecycle(later(59)) is Lifecycle.ACTIVE
    assert state.lifecycle(later(60)) is Lifecycle.EXPIRED
    assert event_types(inbox) == ["AlertIssued"]


def test_an_info_block_without_expires_never_expires() -> None:
    """If any info block has no expiry, the alert does not expire by time."""
    inbox = Inbox()
    aid = inbox.apply(cap(message(info=[info(expires=later(1)), info(language="en-US")])))
    assert aid is not None
    assert inbox.alerts[aid].state.lifecycle(later(600)) is Lifecycle.ACTIVE


@pytest.mark.parametrize("status", ["Test", "Exercise", "Draft", "System"])
def test_non_actual_alerts_are_kept_but_not_public(status: str) -> None:
    """Test and Exercise messages are recorded, but never public."""
    inbox = Inbox()
    aid = inbox.apply(cap(message(status=status)))
    assert aid is not None
    assert not inbox.alerts[aid].state.is_public


def test_thread_fixes_the_alert_across_messages() -> None:
    """Channels that name their incident put every message of it on one alert."""
    inbox = Inbox()
    a = inbox.apply(cap(message("x1"), thread="burgernet:42"))
    b = inbox.apply(cap(message("x2", sent=later(3)), thread="burgernet:42"))
    assert a == b == alert_id("burgernet:42")


def test_snapshot_ends_vanished_threads() -> None:
    """EndMissingAlerts ends the channel's open threads that the snapshot no longer lists."""
    inbox = Inbox()
    inbox.apply(cap(message("k1"), thread="cap:1"))
    inbox.apply(cap(message("k2"), thread="cap:2"))

    snapshot = EndMissingAlerts(channel="cap", present=frozenset({"cap:2"}))
    inbox.apply_all([snapshot], now=T0 + timedelta(hours=1))
    ended = {a.state.thread: a.state.ended for a in inbox.alerts.values()}
    assert ended["cap:2"] is None
    assert ended["cap:1"] is not None
    assert ended["cap:1"].outcome is Outcome.RESOLVED
    # The same snapshot again changes nothing.
    versions = {aid: a.version for aid, a in inbox.alerts.items()}
    inbox.apply_all([snapshot], now=T0 + timedelta(hours=2))
    assert {aid: a.version for aid, a in inbox.alerts.items()} == versions


def test_end_command_carries_outcome() -> None:
    """An EndAlert's outcome and reason are what the alert reports."""
    inbox = Inbox()
    first = message()
    inbox.apply(cap(first, thread="amber:7"))
    end = EndAlert(
        channel="amber",
        thread="amber:7",
        outcome=Outcome.FOUND,
        reason="gevonden",
        message=message("e", msg_type="Cancel", sent=later(30), references=[first]),
    )
    aid = inbox.apply(end)
    assert aid is not None
    events = inbox.alerts[aid].collect_events()
    assert isinstance(events[-1], AlertEnded)
    assert isinstance(events[0], AlertIssued)
    assert not any(isinstance(e, AlertUpdated) for e in events)
    ended = inbox.alerts[aid].state.ended
    assert ended is not None
    assert (ended.outcome, ended.reason) == (Outcome.FOUND, "gevonden")


def test_the_state_shows_the_signature_verdict_of_the_message_it_shows() -> None:
    """The verdict follows `current`: a newer message brings its own, an outdated one does not.

    The aggregate and a projection folding the same events (`evolve`) reach the same state.
    """
    first, newer, older = (
        message(),
        message("m3", msg_type="Update", sent=later(10), references=[message()]),
        message("m2", msg_type="Update", sent=later(5), references=[message()]),
    )
    inbox = Inbox()
    for command, verdict in ((first, Verdict.VERIFIED), (newer, Verdict.ABSENT)):
        inbox.publisher = signed(verdict)
        aid = inbox.apply(cap(command))
    inbox.publisher = signed(Verdict.INVALID)
    assert inbox.apply(cap(older)) == aid
    assert aid is not None
    alert = inbox.alerts[aid]
    assert alert.state.signature == SignatureVerdict(verdict=Verdict.ABSENT)
    folded = None
    for event in alert.collect_events():
        folded = evolve(folded, event)
        assert folded.signature is not None
    assert folded == alert.state
    assert AlertState.issued(aid, "cap", first, T0).signature is None  # before verdicts


def signed(verdict: Verdict) -> Publisher:
    provenance = OPERATOR.model_copy(update={"signature": SignatureVerdict(verdict=verdict)})
    return Publisher.operator(provenance)
