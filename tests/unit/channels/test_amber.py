"""The `amber` channel: AMBER Alert feed items to canonical commands and back."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.amber import AmberChannel, channel
from adapters.amber.render import main_info
from adapters.amber.schema import circle_text
from adapters.base import Channel
from adapters.cap import CapChannel
from adapters.conformance import NOW, ChannelConformance, Sample, fold
from domain.alert import Alert
from domain.commands import EndAlert, EndMissingAlerts, IssueAlert, Outcome, UpdateAlert
from domain.errors import IdentifierReusedError, InvalidMessageError, MalformedMessageError
from domain.identity import alert_id
from domain.model import AlertMessage, MsgType, NamedValue, Severity, Status
from domain.state import AlertState
from tests.strategies import alert_messages

EXAMPLES = Path(__file__).parents[3] / "examples" / "messages" / "amber"
CAP_EXAMPLES = Path(__file__).parents[3] / "examples" / "messages" / "cap"
JSON = "application/json"
CAP = cast(Channel, CapChannel())  # CapChannel's inferred `tuple[str, str, str]` trips mypy
SENT = 1757851500  # Sunday 14 September 2025, 14:05 Dutch time


class TestAmberConformance(ChannelConformance):
    channel = AmberChannel()
    samples = [Sample.from_file(p, JSON) for p in sorted(EXAMPLES.glob("*.json"))]
    malformed = [
        Sample(b"{", JSON, "truncated JSON"),
        Sample(b"", JSON, "empty body"),
        Sample(b"\xff\xfe[]", JSON, "not UTF-8"),
        Sample(b"42", JSON, "neither array nor object"),
        Sample(b'[{"AlertId": "1"}]', JSON, "item without required fields"),
        Sample(b'{"AlertId": NaN}', JSON, "NaN is not JSON"),
        Sample(b"[" * 100_000, JSON, "nesting deeper than any feed"),
    ]


def item(**overrides: Any) -> dict[str, Any]:
    """A valid national AMBER Alert item; `Area`/`Message` overrides are merged one level deep."""
    base: dict[str, Any] = {
        "AlertId": "1001",
        "Sent": str(SENT),
        "Type": "Alert",
        "State": "Actual",
        "AlertLevel": "10",
        "Scope": "Public",
        "Message": {
            "Title": "AMBER Alert: Noor Voorbeeld (9)",
            "Description": "Noor draagt een gele regenjas.",
            "DescriptionExt": "Ontvoerd",
            "Readmore_URL": "https://amberalert.example/alerts/1001",
            "Media": {"Image": "https://media.burgernet.example/1001.jpg"},
        },
        "Area": {"Description": "Zwolle", "Circle": "52.5125,6.0944 100000", "CircleKM": "100"},
    }
    for key in ("Message", "Area"):
        if isinstance(overrides.get(key), dict):
            overrides[key] = base[key] | overrides[key]
    return base | overrides


def body(data: Any) -> bytes:
    return json.dumps(data).encode()


def parse(data: Any) -> list[Any]:
    return channel.parse(body(data), JSON)


def state_of(*bodies: Any) -> AlertState:
    """Post bodies in order to an in-memory hub; the one alert they make."""
    inbox = fold(channel, [Sample(body(b), JSON) for b in bodies])
    (alert,) = inbox.alerts.values()
    return alert.state


# --- parse: good input ---------------------------------------------------------------------------


def test_one_item_issues_an_alert_on_its_thread() -> None:
    """An object is one item: one command, no snapshot end."""
    (command,) = parse(item())
    assert isinstance(command, IssueAlert)
    assert command.thread == "amber:1001"
    message = command.message
    assert (message.identifier, message.sender) == ("amber-1001", "amberalert.nl")
    assert message.sent.isoformat() == "2025-09-14T12:05:00+00:00"
    assert message.status is Status.ACTUAL
    assert message.references == []
    (info,) = message.info
    assert (info.event, info.severity, info.language) == ("AMBER Alert", Severity.EXTREME, "nl-NL")
    assert info.headline == "AMBER Alert: Noor Voorbeeld (9)"
    assert info.web == "https://amberalert.example/alerts/1001"
    assert [(c.name, c.value) for c in info.event_codes] == [("SAME", "CAE")]
    assert info.parameter("amber:DescriptionExt") == "Ontvoerd"
    assert info.parameter("amber:CircleKM") == "100"
    (resource,) = info.resources
    assert (resource.mime_type, resource.uri) == ("image/jpeg", item()["Message"]["Media"]["Image"])
    (area,) = info.areas
    assert area.description == "Zwolle"
    assert [(c.lat, c.lon, c.radius_km) for c in area.circles] == [(52.5125, 6.0944, 100.0)]


def test_a_whole_feed_ends_with_the_snapshot() -> None:
    """An array is the complete feed: its commands, then EndMissingAlerts naming the threads."""
    update = item(Type="Update", Sent=str(SENT + 60))
    regional = item(AlertId="1002", AlertLevel="5")
    commands = parse([update, regional])
    assert [type(c) for c in commands] == [UpdateAlert, IssueAlert, EndMissingAlerts]
    assert commands[0].message.identifier == f"amber-1001-{SENT + 60}"
    assert commands[0].message.references[0].identifier == "amber-1001"
    assert commands[1].message.info[0].event == "Vermist Kind Alert"
    assert commands[1].message.info[0].severity is Severity.SEVERE
    assert commands[2] == EndMissingAlerts(
        channel="amber", present=frozenset({"amber:1001", "amber:1002"})
    )


def test_an_empty_feed_says_nothing_is_active() -> None:
    assert parse([]) == [EndMissingAlerts(channel="amber", present=frozenset())]


@pytest.mark.parametrize(
    ("state", "status"),
    [("Actual", Status.ACTUAL), ("Test", Status.TEST), ("Exercise", Status.EXERCISE)],
)
def test_state_is_the_cap_status(state: str, status: Status) -> None:
    (command,) = parse(item(State=state))
    assert command.message.status is status


def test_milliseconds_are_normalised_and_kept_for_the_view() -> None:
    """A 13-digit Sent is milliseconds; the view gives back the original text."""
    sent = f"{SENT}250"
    (command,) = parse(item(Sent=sent, Type="Update"))
    assert command.message.sent.isoformat() == "2025-09-14T12:05:00.250000+00:00"
    assert command.message.identifier == f"amber-1001-{sent}"
    assert channel.render(state_of(item(Sent=sent, Type="Update"))).native["Sent"] == sent


def test_null_and_empty_values_are_absent_and_unknown_keys_ignored() -> None:
    data = item(Message={"Title": None, "Description": "", "Media": None}, Extra={"x": 1})
    (command,) = parse(data)
    info = command.message.info[0]
    assert (info.headline, info.description, info.resources) == (None, None, [])


def test_a_byte_order_mark_is_tolerated() -> None:
    assert channel.parse(b"\xef\xbb\xbf" + body(item()), JSON)


def test_circle_text_in_another_form_is_kept_exactly() -> None:
    """'52.51250, 6.0944 100000.0' reads as the same circle and renders as it came."""
    circle = "52.51250, 6.0944 100000.0"
    state = state_of(item(Area={"Circle": circle}))
    assert state.current.info[0].areas[0].circles[0].radius_km == 100.0
    assert channel.render(state).native["Area"]["Circle"] == circle


@pytest.mark.parametrize(("km", "metres"), [("2.5", 2540), ("3", 2540), (25, 25000), (2.5, 2500)])
def test_circle_km_may_round_the_circle_radius(km: object, metres: int) -> None:
    """CircleKM agrees with Circle up to its own rounding; a JSON number is read as text."""
    (command,) = parse(item(Area={"Circle": f"51.5555,5.0913 {metres}", "CircleKM": km}))
    assert command.message.info[0].parameter("amber:CircleKM") == str(km)


# --- parse: bad input ----------------------------------------------------------------------------


def _area(**fields: Any) -> dict[str, Any]:
    return item(Area={"CircleKM": None, **fields})


BAD = [
    (b"{", "$", "malformed JSON"),
    (b"", "$", "malformed JSON"),
    (b'{"AlertId": "1",}', "$", "malformed JSON"),
    (b"\xff\xfe[]", "$", "not UTF-8"),
    (b'["caf\xe9"]', "$", "not UTF-8"),
    (b"42", "$", "array"),
    (b"null", "$", "array"),
    (b'"alert"', "$", "array"),
    (b"[1]", "[0]", "object"),
    (b'{"AlertId": NaN}', "$", "NaN"),
    (b'{"AlertId": "1", "AlertId": "2"}', "$", "duplicate key"),
    (b"[" * 100_000, "$", "nested too deeply"),
    (body({k: v for k, v in item().items() if k != "AlertId"}), "AlertId", "required"),
    (body(item(AlertId=1001)), "AlertId", "valid string"),
    (body(item(AlertId="10a1")), "AlertId", "digits"),
    (body(item(AlertId="")), "AlertId", "digits"),
    (body(item(AlertLevel="7")), "AlertLevel", "'10' or '5'"),
    (body(item(AlertLevel=10)), "AlertLevel", "'10' or '5'"),
    (body(item(Sent="gisteren")), "Sent", "digits"),
    (body(item()).replace(b'"1757851500"', b"1757851500"), "Sent", "valid string"),
    (body(item(Sent="-1757851500")), "Sent", "digits"),
    (body(item(Sent="12345678901234")), "Sent", "too many digits"),
    (body(item(Sent="999999999999")), "Sent", "9999"),
    (body(item(Type="Ack")), "Type", "'Alert', 'Update' or 'Cancel'"),
    (body(item(State="Oefening")), "State", "'Actual'"),
    (body(item(Message="Noor is vermist")), "Message", "dictionary"),
    (body(item(Message={"Title": 9})), "Message.Title", "valid string"),
    (body(item(Message={"Title": "\ud800"})), "Message.Title", "unicode"),
    (body(item(Message={"Readmore_URL": "www.politie.nl"})), "Message.Readmore_URL", "absolute"),
    (body(item(Area=[])), "Area", "dictionary"),
    (body(_area(Circle="52.5125,6.0944")), "Area.Circle", "'lat,lon radius'"),
    (body(_area(Circle="52.5125 6.0944 100")), "Area.Circle", "'lat,lon radius'"),
    (body(_area(Circle="nan,6.0944 100")), "Area.Circle", "'lat,lon radius'"),
    (body(_area(Circle="1e2,6 100")), "Area.Circle", "'lat,lon radius'"),
    (body(_area(Circle="95,6.0944 100")), "Area.Circle", "latitude 95.0"),
    (body(_area(Circle="52.5,-181 100")), "Area.Circle", "longitude -181.0"),
    (body(_area(Circle="52.5,6.1 -100")), "Area.Circle", "negative"),
    (body(_area(Circle="52.5,6.1 30000000")), "Area.Circle", "circumference"),
    (body(_area(Circle=52.5)), "Area.Circle", "valid string"),
    (body(item(Area={"CircleKM": "3"})), "Area.CircleKM", "disagrees with the Circle radius"),
    (body(item(Area={"CircleKM": "-100"})), "Area.CircleKM", "non-negative"),
    (body(item(Area={"CircleKM": True})), "Area.CircleKM", "valid string"),
    (body([item(), item(Area={"Circle": "52,6"})]), "[1].Area.Circle", "'lat,lon radius'"),
]


@pytest.mark.parametrize(("raw", "location", "says"), BAD)
def test_bad_input_names_the_field(raw: bytes, location: str, says: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        channel.parse(raw, JSON)
    assert caught.value.location == location
    assert says in str(caught.value)


def test_malformed_bytes_are_malformed_not_merely_invalid() -> None:
    with pytest.raises(MalformedMessageError):
        channel.parse(b"\xff", JSON)


def test_circle_km_disagreement_names_both_fields() -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse(item(Area={"CircleKM": "3"}))
    assert "CircleKM 3 km" in str(caught.value)
    assert "Circle radius 100000 m (100 km)" in str(caught.value)


def test_every_bad_item_of_a_feed_is_reported() -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse([item(AlertLevel="7"), item(), item(Sent="nu")])
    assert [p.location for p in caught.value.problems] == ["[0].AlertLevel", "[2].Sent"]


# --- Cancel: found or withdrawn ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "description", "outcome"),
    [
        ("AMBER Alert beëindigd", "Noor is gevonden.", Outcome.FOUND),
        ("Noor is teruggevonden", None, Outcome.FOUND),
        ("Vermist Kind Alert ingetrokken", "Daan is ongedeerd aangetroffen.", Outcome.FOUND),
        ("Daan is weer terecht", None, Outcome.FOUND),
        ("Noor is veilig thuis", None, Outcome.FOUND),
        ("AMBER Alert ingetrokken", "Noor is nog niet gevonden; het onderzoek gaat door.", None),
        ("Vermist Kind Alert ingetrokken", "Daan is niet teruggevonden.", None),
        ("AMBER Alert ingetrokken", None, None),
        (None, None, None),
    ],
)
def test_cancel_outcome_comes_from_the_text(
    title: str | None, description: str | None, outcome: Outcome | None
) -> None:
    """Found when the text says so (and does not negate it); otherwise withdrawn."""
    message = {"Title": title, "Description": description}
    (command,) = parse(item(Type="Cancel", Message=message))
    assert isinstance(command, EndAlert)
    assert command.outcome is (outcome or Outcome.WITHDRAWN)
    assert command.message.msg_type is MsgType.CANCEL
    assert command.message.references[0].identifier == "amber-1001"


# --- identity in the hub -------------------------------------------------------------------------


def test_the_same_item_twice_is_a_duplicate() -> None:
    inbox = fold(channel, [Sample(body(item()), JSON)] * 2)
    assert inbox.duplicates == 1


def test_same_alert_and_sent_with_other_content_conflicts() -> None:
    update = item(Type="Update", Sent=str(SENT + 60))
    changed = item(Type="Update", Sent=str(SENT + 60), Message={"Title": "Anders"})
    with pytest.raises(IdentifierReusedError):
        fold(channel, [Sample(body(update), JSON), Sample(body(changed), JSON)])


def test_an_alert_item_republished_with_a_new_sent_conflicts() -> None:
    """The documented cost of a derivable root: a second 'Alert' must come as an Update."""
    with pytest.raises(IdentifierReusedError):
        fold(channel, [Sample(body(item()), JSON), Sample(body(item(Sent=str(SENT + 1))), JSON)])


def test_an_update_seen_first_links_its_alert_when_it_arrives() -> None:
    """The hub started mid-alert: the Update awaits the root, which the Alert item then is."""
    update = item(Type="Update", Sent=str(SENT + 60))
    first = state_of(update)
    assert [r.identifier for r in first.awaiting] == ["amber-1001"]
    state = state_of(update, item())
    assert state.awaiting == []
    assert state.origin.identifier == "amber-1001"
    assert state.current.identifier == f"amber-1001-{SENT + 60}"


def test_an_item_missing_from_the_feed_ends() -> None:
    inbox = fold(channel, [Sample(body([item(), item(AlertId="1002")]), JSON)])
    fold(channel, [Sample(body([item()]), JSON)], inbox)
    ended = inbox.alerts[alert_id("amber:1002")].state.ended
    assert ended is not None
    assert ended.outcome is Outcome.RESOLVED
    assert inbox.alerts[alert_id("amber:1001")].state.ended is None


# --- render --------------------------------------------------------------------------------------


def test_the_view_of_a_cancelled_alert_is_the_cancel() -> None:
    """Folded without a store: Alert.start, then receive; the view shows Type Cancel."""
    issue, cancel = parse(item())[0], parse(item(Type="Cancel", Sent=str(SENT + 3600)))[0]
    alert = Alert.start(alert_id("amber:1001"), issue)
    alert.receive(cancel)
    rendering = channel.render(alert.state)
    assert rendering.native["Type"] == "Cancel"
    assert rendering.native["Sent"] == str(SENT + 3600)
    assert rendering.lost == ()
    assert json.loads(rendering.body)["Type"] == "Cancel"  # one item: never a snapshot


def test_an_alert_that_vanished_shows_as_cancelled_without_inventing_an_item() -> None:
    inbox = fold(channel, [Sample(body([item()]), JSON), Sample(b"[]", JSON)])
    rendering = channel.render(inbox.alerts[alert_id("amber:1001")].state)
    assert rendering.native["Type"] == "Cancel"
    assert rendering.native["Sent"] == str(int(NOW.timestamp()))
    assert json.loads(rendering.body) == item()


def test_a_cap_child_abduction_alert_is_in_the_view_with_what_it_loses() -> None:
    """OASIS CAP 1.2 example A.4 (SAME=CAE, English and Spanish) in the feed's shape."""
    cap = Sample.from_file(CAP_EXAMPLES / "a4-amber-alert-multilingual.xml", "application/cap+xml")
    (alert,) = fold(CAP, [cap]).alerts.values()
    assert channel.selects(alert.state)
    rendering = channel.render(alert.state)
    native = rendering.native
    assert native["AlertLevel"] == "5"  # severity Severe: regional
    assert native["AlertId"] == str(alert.state.alert_id.int)
    assert native["Message"]["Title"] == "Amber Alert in Los Angeles County"
    assert native["Area"] == {"Description": "Los Angeles County"}
    assert {"identifier", "sender", "info[0].contact", "info[1]"} <= set(rendering.lost)
    assert "info[0].areas[0].geocodes[SAME]" in rendering.lost
    assert "info[0].headline" not in rendering.lost
    assert channel.parse(rendering.body, rendering.media_type)


def test_other_alerts_are_not_in_the_view() -> None:
    cap = Sample.from_file(CAP_EXAMPLES / "a2-severe-thunderstorm.xml", "application/cap+xml")
    (alert,) = fold(CAP, [cap]).alerts.values()
    assert not channel.selects(alert.state)


def test_a_burgernet_amber_action_is_in_the_view() -> None:
    cap = Sample.from_file(CAP_EXAMPLES / "a2-severe-thunderstorm.xml", "application/cap+xml")
    (alert,) = fold(CAP, [cap]).alerts.values()
    info = alert.state.current.info[0]
    flag = NamedValue(name="burgernet:amberAlert", value="true")
    flagged = info.model_copy(update={"parameters": [*info.parameters, flag]})
    current = alert.state.current.model_copy(update={"info": [flagged]})
    assert channel.selects(alert.state.model_copy(update={"current": current}))


# --- property: native -> canonical -> native -----------------------------------------------------

# Control characters are refused by the canonical model (they cannot travel in CAP XML).
_TEXT = st.text(
    st.characters(codec="utf-8", blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
)
_URL = st.from_regex(r"https://[a-z]{1,12}\.example/[a-z0-9/]{0,16}", fullmatch=True)


@st.composite
def circles(draw: st.DrawFn) -> tuple[str, str | None]:
    """A Circle text (in the canonical form or as a sender may write it) and a CircleKM."""
    lat = draw(st.decimals(-90, 90, places=draw(st.integers(0, 7))))
    lon = draw(st.decimals(-180, 180, places=draw(st.integers(0, 7))))
    metres = draw(st.decimals(0, 20_037_500, places=draw(st.integers(0, 3))))
    if draw(st.booleans()):
        text = circle_text(float(lat), float(lon), float(metres) / 1000)
    else:
        text = f"{lat:f},{draw(st.sampled_from(['', ' ']))}{lon:f} {metres:f}"
    places = draw(st.integers(0, 3))
    km = round(Decimal(text.split()[-1]) / 1000, places)
    return text, draw(st.none() | st.just(f"{km:f}"))


@st.composite
def feed_items(draw: st.DrawFn, alert: str, sent: str, kind: str) -> dict[str, Any]:
    """One item with any subset of the optional fields, absent ones left out (as render does)."""
    media = {"Image": draw(_URL) + draw(st.sampled_from([".jpg", ".png", ""]))}
    message = {
        "Title": draw(st.none() | _TEXT),
        "Description": draw(st.none() | _TEXT),
        "DescriptionExt": draw(st.none() | st.sampled_from(["Vermist", "Ontvoerd"])),
        "Readmore_URL": draw(st.none() | _URL),
        "Media": draw(st.none() | st.just(media)),
    }
    circle, km = draw(st.none() | circles()) or (None, None)
    area = {"Description": draw(st.none() | _TEXT), "Circle": circle, "CircleKM": km}
    data = {
        "AlertId": alert,
        "Sent": sent,
        "Type": kind,
        "State": draw(st.sampled_from(["Actual", "Exercise", "System", "Test", "Draft"])),
        "AlertLevel": draw(st.sampled_from(["10", "5"])),
        "Scope": draw(st.none() | _TEXT),
        "Message": {k: v for k, v in message.items() if v is not None} or None,
        "Area": {k: v for k, v in area.items() if v is not None} or None,
    }
    return {k: v for k, v in data.items() if v is not None}


@st.composite
def threads(draw: st.DrawFn) -> list[dict[str, Any]]:
    """An Alert, then maybe Updates, then maybe a Cancel, Sent rising (seconds or milliseconds)."""
    alert = str(draw(st.integers(1, 10**12)))
    kinds = [
        "Alert",
        *["Update"] * draw(st.integers(0, 2)),
        *draw(st.sampled_from([[], ["Cancel"]])),
    ]
    millis = draw(st.booleans())
    low, high = (10**12, 10**13 - 10) if millis else (0, 253_402_300_700)
    sent = [draw(st.integers(low, high))]
    for _ in kinds[1:]:
        sent.append(sent[-1] + draw(st.integers(1, 3)))
    return [draw(feed_items(alert, str(s), k)) for s, k in zip(sent, kinds, strict=True)]


@settings(max_examples=200, deadline=None)
@given(items=threads(), as_feed=st.booleans())
def test_native_items_survive_the_hub(items: list[dict[str, Any]], as_feed: bool) -> None:
    """Items -> parse -> fold -> render give back the same native fields, every one of them."""
    bodies = [items] if as_feed else items
    state = state_of(*bodies)
    rendering = channel.render(state)
    assert rendering.native == items[-1]
    assert json.loads(rendering.body) == items[-1]
    assert rendering.lost == ()


@settings(max_examples=200, deadline=None)
@given(message=alert_messages())
def test_any_canonical_alert_renders_to_a_feed_that_parses(message: AlertMessage) -> None:
    """Whatever another channel said, the view is valid feed JSON and names what it lost."""
    issue = IssueAlert(channel="cap", message=message)
    state = Alert.start(alert_id(message.key), issue).state
    rendering = channel.render(state)
    (command,) = [c for c in channel.parse(rendering.body, JSON) if isinstance(c, IssueAlert)]
    assert json.loads(rendering.body) == rendering.native
    assert ("identifier" in rendering.lost) == (message.identifier != command.message.identifier)
    main = main_info(message)
    for index, info in enumerate(message.info):
        if info is not main:
            assert f"info[{index}]" in rendering.lost
        elif info.areas and info.areas[0].polygons:
            assert f"info[{index}].areas[0].polygons" in rendering.lost
