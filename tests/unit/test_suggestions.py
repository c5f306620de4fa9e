"""Incidents suggested across systems from place, time and subject; never from place alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from uuid import uuid4

import hypothesis.strategies as st
from hypothesis import given

from adapters.amber import channel as amber
from adapters.burgernet import channel as burgernet
from adapters.cap import channel as cap
from domain.commands import Command
from domain.model import AlertMessage, Status
from domain.state import AlertState
from domain.suggestions import THRESHOLD, suggest, suggestion_id
from geography import Geography
from tests import factories
from tests.conftest import EXAMPLES


@cache
def geography() -> Geography:
    return Geography()


def state_of(channel: str, command: Command) -> AlertState:
    return AlertState.issued(
        uuid4(), channel, command.message, datetime.now(UTC), getattr(command, "thread", None)
    )


def amber_alert() -> AlertState:
    body = (EXAMPLES / "amber" / "01-amber-alert-national.json").read_bytes()
    (command,) = amber.parse(body, "application/json")
    return state_of("amber", command)  # type: ignore[arg-type]


def burgernet_action(title: str, body: str, *, minutes_later: int, amber_flag: bool) -> AlertState:
    native = factories.burgernet_action(
        52999, title, body, amber=amber_flag, minutes_after_amber=minutes_later
    )
    (command,) = burgernet.parse(native, "application/json")
    return state_of("burgernet", command)  # type: ignore[arg-type]


def fire_in_zwolle(sent: datetime) -> AlertState:
    xml = f"""<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>vr04-brand-1</identifier><sender>vr04@example.nl</sender>
  <sent>{sent.isoformat()}</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>nl-NL</language><category>Fire</category><event>Brand</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <headline>Grote brand bij het Wilhelminapark in Zwolle</headline>
    <area><areaDesc>Zwolle</areaDesc>
      <geocode><valueName>CBS-GM</valueName><value>GM0193</value></geocode></area></info>
</alert>"""
    (command,) = cap.parse(xml.encode(), "application/cap+xml")
    return state_of("cap", command)


def places(state: AlertState) -> set[str]:
    return geography().codes_of(state)


def test_an_amber_alert_and_a_burgernet_action_about_one_child_are_suggested() -> None:
    child = amber_alert()
    action = burgernet_action(
        "AMBER Alert: Noor Voorbeeld (9) ontvoerd",
        "Burgernet: De politie zoekt Noor Voorbeeld (9), meegenomen bij het Wilhelminapark. "
        "Ziet u Noor? Bel direct 112.",
        minutes_later=10,
        amber_flag=True,
    )
    found = suggest(child, action, places(child), places(action))
    assert found is not None
    assert found.score >= THRESHOLD
    assert found.suggestion_id == suggestion_id(action.alert_id, child.alert_id)
    text = " ".join(found.reasons)
    assert "GM0193" in text  # Zwolle
    assert "missing child" in text
    assert "Noor" in text
    assert "minutes apart" in text


def test_two_unrelated_alerts_in_one_town_are_not() -> None:
    """Same town, same hour: a fire and a burglar's car are not one incident."""
    car = burgernet_action(
        "Gezocht: grijze Volkswagen Golf",
        "Burgernet: Gezocht: grijze Volkswagen Golf in Zwolle. Ziet u de auto? Bel Burgernet.",
        minutes_later=0,
        amber_flag=False,
    )
    fire = fire_in_zwolle(car.current.sent + timedelta(minutes=20))
    assert places(car) & places(fire) >= {"GM0193"}
    assert suggest(car, fire, places(car), places(fire)) is None


def test_out_of_scope_pairs_are_never_suggested() -> None:
    child = amber_alert()
    same_child = burgernet_action(
        "AMBER Alert: Noor Voorbeeld (9)", "Noor Voorbeeld.", minutes_later=5, amber_flag=True
    )
    late = burgernet_action(
        "AMBER Alert: Noor Voorbeeld (9)", "Noor Voorbeeld.", minutes_later=60 * 49, amber_flag=True
    )
    test = same_child.model_copy(
        update={"current": same_child.current.model_copy(update={"status": Status.TEST})}
    )
    assert suggest(child, late, places(child), places(late)) is None  # two days apart
    assert suggest(child, test, places(child), places(test)) is None  # a test never joins
    assert suggest(child, child, places(child), places(child)) is None  # one system's own


CHANNELS = ("cap", "nlalert", "amber", "burgernet")
PLACES = st.sets(st.sampled_from(["GM0193", "GM0363", "VR04", "VR13", "PV23"]), max_size=4)
WORDS = st.sampled_from(
    ["Noor", "Voorbeeld", "Zwolle", "brand", "Gezocht", "auto", "AB-12-CD", "Ziet", "water"]
)
TEXTS = st.lists(WORDS, max_size=8).map(" ".join)


def alert(channel: str, category: str, headline: str, minutes: int) -> AlertState:
    message = AlertMessage.model_validate(
        {
            "identifier": f"id-{uuid4()}",
            "sender": "s@example.nl",
            "sent": datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(minutes=minutes),
            "status": "Actual",
            "msg_type": "Alert",
            "scope": "Public",
            "info": [
                {
                    "category": [category],
                    "event": "Melding",
                    "urgency": "Immediate",
                    "severity": "Severe",
                    "certainty": "Observed",
                    "headline": headline,
                }
            ],
        }
    )
    return AlertState.issued(uuid4(), channel, message, message.sent)


alerts = st.builds(
    alert,
    st.sampled_from(CHANNELS),
    st.sampled_from(["Safety", "Fire", "Met", "Health", "Other"]),
    TEXTS,
    st.integers(min_value=0, max_value=60 * 72),
)


@given(alerts, alerts, PLACES, PLACES)
def test_a_suggestion_does_not_depend_on_the_order_of_the_pair(
    a: AlertState, b: AlertState, places_a: set[str], places_b: set[str]
) -> None:
    one, other = suggest(a, b, places_a, places_b), suggest(b, a, places_b, places_a)
    assert one == other
    if one is not None:
        assert THRESHOLD <= one.score <= 1.0
        assert set(one.alert_ids) == {a.alert_id, b.alert_id}
        assert one.reasons  # a suggestion always says why


@given(
    channels=st.lists(st.sampled_from(CHANNELS), min_size=2, max_size=2),
    texts=st.lists(TEXTS, min_size=2, max_size=2),
    minutes=st.integers(min_value=0, max_value=60 * 72),
    places=PLACES,
)
def test_place_time_and_names_without_a_shared_subject_are_never_enough(
    channels: list[str], texts: list[str], minutes: int, places: set[str]
) -> None:
    """Two alerts of generic categories in the same places, sent together, naming the same
    words: still not one incident unless their subject agrees."""
    a = alert(channels[0], "Safety", texts[0], 0)
    b = alert(channels[1], "Other", texts[1], minutes)
    assert suggest(a, b, places, places) is None
