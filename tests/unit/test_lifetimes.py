"""Default lifetimes: an alert without `expires` expires at sent + its channel's lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.lifetimes import NEVER, Lifetimes
from domain.model import AlertMessage
from domain.state import AlertState, Lifecycle

SENT = datetime(2026, 1, 1, 12, tzinfo=UTC)


def state(channel: str = "cap", expires: datetime | None = None) -> AlertState:
    info = {
        "category": ["Safety"],
        "event": "e",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        **({"expires": expires} if expires else {}),
    }
    message = AlertMessage.model_validate(
        {
            "identifier": "x",
            "sender": "s",
            "sent": SENT,
            "status": "Actual",
            "msg_type": "Alert",
            "scope": "Public",
            "info": [info],
        }
    )
    return AlertState.issued(uuid4(), channel, message, SENT)


def test_without_expires_the_channels_lifetime_is_assumed() -> None:
    lifetimes = Lifetimes({"*": 24, "amber": 72})
    cap, amber = lifetimes.stamp(state("cap")), lifetimes.stamp(state("amber"))
    assert cap.assumed_expiry == cap.expires_at == SENT + timedelta(hours=24)
    assert amber.expires_at == SENT + timedelta(hours=72)
    assert cap.lifecycle(SENT + timedelta(hours=23)) is Lifecycle.ACTIVE
    assert cap.lifecycle(SENT + timedelta(hours=24)) is Lifecycle.EXPIRED


def test_a_stated_expiry_is_never_replaced() -> None:
    stated = SENT + timedelta(hours=2)
    stamped = Lifetimes({"*": 24}).stamp(state(expires=stated))
    assert stamped.assumed_expiry is None
    assert stamped.expires_at == stated


def test_no_lifetime_means_never_and_stamping_again_clears() -> None:
    assert NEVER.stamp(state()).expires_at is None
    assert Lifetimes({"nlalert": 1}).stamp(state("cap")).expires_at is None
    stamped = Lifetimes({"*": 1}).stamp(state())
    assert NEVER.stamp(stamped).assumed_expiry is None  # recomputed on every write


def test_the_end_of_the_calendar_does_not_overflow() -> None:
    far = state().model_copy()
    far = far.model_copy(
        update={
            "current": far.current.model_copy(update={"sent": datetime(9999, 12, 31, tzinfo=UTC)})
        }
    )
    assert Lifetimes({"*": 48}).stamp(far).assumed_expiry == datetime.max.replace(tzinfo=UTC)
