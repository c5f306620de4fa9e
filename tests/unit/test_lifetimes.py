"""Default lifetimes: an alert without `expires` expires at sent + its channel's lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import hypothesis.strategies as st
from hypothesis import given

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


@given(
    hours=st.floats(min_value=0.01, max_value=24 * 365, allow_nan=False),
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    channel=st.sampled_from(["cap", "nlalert", "amber", "burgernet"]),
)
def test_an_alert_without_expires_expires_exactly_at_sent_plus_its_lifetime(
    hours: float, after: timedelta, channel: str
) -> None:
    lifetimes = Lifetimes({"*": hours})
    stamped = lifetimes.stamp(state(channel))
    assert lifetimes.stamp(stamped) == stamped  # stamping again changes nothing
    now = SENT + after
    expired = now >= SENT + timedelta(hours=hours)
    assert (stamped.lifecycle(now) is Lifecycle.EXPIRED) is expired


@given(
    hours=st.floats(min_value=0.01, max_value=24 * 365, allow_nan=False),
    stated=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=400)),
)
def test_a_stated_expiry_wins_over_any_lifetime(hours: float, stated: timedelta) -> None:
    stamped = Lifetimes({"*": hours}).stamp(state(expires=SENT + stated))
    assert (stamped.expires_at, stamped.assumed_expiry) == (SENT + stated, None)
