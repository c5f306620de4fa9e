"""The Burgernet channel: parsing, snapshot folding, closing messages, the view, conformance."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.burgernet import BurgernetChannel
from adapters.burgernet.closing import closing_outcome
from adapters.conformance import ChannelConformance, Sample
from adapters.conformance import fold as conformance_fold
from domain.alert import Alert
from domain.commands import (
    Command,
    EndAlert,
    EndMissingAlerts,
    IssueAlert,
    Outcome,
    UpdateAlert,
)
from domain.errors import (
    AlertEndedError,
    InvalidMessageError,
    MalformedMessageError,
    UnsupportedMediaTypeError,
)
from domain.identity import alert_id
from domain.model import AlertMessage
from domain.state import AlertState

EXAMPLES = Path(__file__).parents[3] / "examples" / "messages" / "burgernet"
SAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
JSON = "application/json"
channel = BurgernetChannel()


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text("utf-8"))
    return data


def body(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def commands(data: object) -> list[Command]:
    return [c for c in channel.parse(body(data), JSON) if isinstance(c, Command)]


class Hub:
    """A minimal hub: one alert per thread, duplicates skipped by message key (as the hub does)."""

    def __init__(self) -> None:
        self.alerts: dict[UUID, Alert] = {}
        self.digests: dict[str, str] = {}
        self.duplicates = 0

    def post(self, data: object) -> None:
        for command in commands(data):
            self.receive(command)

    def receive(self, command: Command) -> None:
        message = command.message
        if message.key in self.digests:
            assert self.digests[message.key] == message.digest(), "identity reused"
            self.duplicates += 1
            return
        assert command.thread is not None
        aid = alert_id(command.thread)
        if aid in self.alerts:
            self.alerts[aid].receive(command)
        else:
            self.alerts[aid] = Alert.start(aid, command)
        self.digests[message.key] = message.digest()

    def state(self, action_id: int | str) -> AlertState:
        return self.alerts[alert_id(f"burgernet:{action_id}")].state


def folded(*names: str) -> Hub:
    hub = Hub()
    for name in names:
        hub.post(sample(name))
    return hub


AMERSFOORT = (
    "01-vermissing-start.json",
    "02-vermissing-aanvulling.json",
    "03-vermissing-aangetroffen.json",
)

# --- parse ---------------------------------------------------------------------------------------


def test_whole_feed_issues_each_action_and_ends_vanished_ones() -> None:
    parsed = channel.parse((EXAMPLES / "05-feed-twee-acties.json").read_bytes(), JSON)
    assert [type(i) for i in parsed] == [IssueAlert, UpdateAlert, IssueAlert, EndMissingAlerts]
    last = parsed[-1]
    assert isinstance(last, EndMissingAlerts)
    assert last.channel == "burgernet"
    assert last.present == frozenset({"burgernet:52310", "burgernet:52318"})


def test_single_action_does_not_end_others() -> None:
    parsed = channel.parse((EXAMPLES / "01-vermissing-start.json").read_bytes(), JSON)
    assert [type(i) for i in parsed] == [IssueAlert]


def test_first_message_mapping() -> None:
    (issue,) = commands(sample("01-vermissing-start.json"))
    message, info = issue.message, issue.message.info[0]
    assert issue.thread == "burgernet:41872"
    assert (message.sender, message.identifier) == ("burgernet.nl", "burgernet-41872-1744463040")
    assert message.sent == datetime(2025, 4, 12, 13, 4, tzinfo=UTC)
    assert (info.language, info.event, info.category) == ("nl-NL", "Vermissing", ["Rescue"])
    assert (info.urgency, info.severity, info.certainty) == ("Immediate", "Moderate", "Observed")
    assert info.headline == "Vermiste man in Amersfoort"
    assert info.web == "https://www.burgernet.nl/acties/41872"
    area = info.areas[0]
    assert area.description == "Amersfoort"
    assert (area.circles[0].lat, area.circles[0].lon, area.circles[0].radius_km) == (
        52.1786,
        5.4095,
        2.0,
    )
    assert info.parameter("burgernet:startTimestamp") == "1744463040"
    assert info.parameter("burgernet:speechId") == '"41872-1"'


def test_milliseconds_are_detected_and_kept() -> None:
    (issue,) = commands(sample("04-voertuig-gezocht.json"))
    message = issue.message
    assert message.sent == datetime(2025, 9, 23, 19, 47, 0, 312_000, tzinfo=UTC)
    assert message.identifier == "burgernet-52310-1758656820312"
    assert message.info[0].parameter("burgernet:lastModifiedTimestamp") == "1758656820312"
    assert message.info[0].category == ["Security"]


def test_seconds_and_milliseconds_of_one_moment_mean_the_same_time() -> None:
    action = sample("01-vermissing-start.json")
    in_ms = copy.deepcopy(action)
    in_ms["messages"][0]["lastModifiedTimestamp"] *= 1000
    assert commands(action)[0].message.sent == commands(in_ms)[0].message.sent


def test_updates_and_closing_messages_reference_the_first_message() -> None:
    issue, update, close, marker = commands(sample("03-vermissing-aangetroffen.json"))
    assert isinstance(update, UpdateAlert)
    assert isinstance(close, EndAlert)
    assert close.outcome is Outcome.FOUND
    assert isinstance(marker, EndAlert)
    assert marker.message.identifier == "burgernet-41872-end-1744467200"
    assert not marker.message.info
    for later in (update, close, marker):
        assert later.message.references == [issue.message.ref]


def test_unknown_fields_are_ignored_and_amber_is_severe() -> None:
    action = sample("01-vermissing-start.json") | {"amberAlert": True, "newField": [1, 2]}
    action["area"] = action["area"] | {"shape": "circle"}
    info = commands(action)[0].message.info[0]
    assert (info.severity, info.category) == ("Severe", ["Rescue"])


def test_message_keys_are_deterministic() -> None:
    """Messages are taken by time; a repeated timestamp gets a suffix; a first one may lack it."""
    action = sample("02-vermissing-aanvulling.json")
    first, second = action["messages"]
    repeat = second | {"title": "Nogmaals", "body": "Tweede bericht op hetzelfde moment."}
    action["messages"] = [first | {"lastModifiedTimestamp": None}, second, repeat]
    ids = [c.message.identifier.removeprefix("burgernet-41872-") for c in commands(action)]
    assert ids == ["i0", "1744464660", "1744464660-2"]
    action["messages"] = [second, first]  # newest first, as a feed might list them
    issue, update = commands(action)
    assert isinstance(issue, IssueAlert)
    assert issue.message.identifier == "burgernet-41872-1744463040"
    assert update.message.references == [issue.message.ref]


# --- lifecycle -----------------------------------------------------------------------------------


def test_snapshots_fold_into_one_alert_that_ends_found() -> None:
    hub = folded(*AMERSFOORT)
    assert len(hub.alerts) == 1
    state = hub.state(41872)
    assert state.ended is not None
    assert state.ended.outcome is Outcome.FOUND
    assert state.current.info[0].headline == "Actie beëindigd"
    assert [m.identifier for m in state.messages][-1] == "burgernet-41872-end-1744467200"
    assert hub.duplicates == 1 + 2  # snapshot 2 repeats one message, snapshot 3 two


def test_reposting_a_snapshot_adds_nothing() -> None:
    hub = folded(*AMERSFOORT)
    version = hub.state(41872).version
    for name in AMERSFOORT:
        hub.post(sample(name))
    assert hub.state(41872).version == version


def test_an_ended_action_that_comes_back_is_refused() -> None:
    hub = folded(*AMERSFOORT)
    revived = sample("03-vermissing-aangetroffen.json") | {"active": True, "endTimestamp": None}
    revived["messages"].append(
        revived["messages"][1] | {"lastModifiedTimestamp": 1744470000, "title": "Opnieuw vermist"}
    )
    update = commands(revived)[-1]
    assert isinstance(update, UpdateAlert)
    with pytest.raises(AlertEndedError):
        hub.alerts[alert_id("burgernet:41872")].receive(update)


def test_inactive_without_closing_message_ends_resolved() -> None:
    hub = folded("01-vermissing-start.json")
    hub.post(sample("01-vermissing-start.json") | {"active": False})
    state = hub.state(41872)
    assert state.ended is not None
    assert state.ended.outcome is Outcome.RESOLVED
    assert state.current.identifier == "burgernet-41872-1744463040"  # content unchanged


def test_closing_message_ends_even_while_the_feed_says_active() -> None:
    action = sample("02-vermissing-aanvulling.json")
    action["messages"].append(
        {"title": "Resultaat", "body": "De vermiste man is niet aangetroffen.", "messageType": None}
        | {"lastModifiedTimestamp": 1744467000}
    )
    hub = Hub()
    hub.post(action)
    ended = hub.state(41872).ended
    assert ended is not None
    assert ended.outcome is Outcome.NOT_FOUND


def test_an_action_missing_from_the_whole_feed_ends() -> None:
    feed = sample("05-feed-twee-acties.json")
    later = {"actions": feed["actions"][1:]}
    inbox = conformance_fold(channel, [Sample(body(feed), JSON), Sample(body(later), JSON)])
    state = inbox.alerts[alert_id("burgernet:52310")].state
    assert state.ended is not None
    assert state.ended.outcome is Outcome.RESOLVED
    assert inbox.alerts[alert_id("burgernet:52318")].state.ended is None


@pytest.mark.parametrize(
    ("message_type", "text", "outcome"),
    [
        ("END", "De gezochte persoon is aangetroffen.", Outcome.FOUND),
        ("end", "De vermiste vrouw is teruggevonden. Bedankt!", Outcome.FOUND),
        ("EINDE", "De gezochte persoon is niet aangetroffen.", Outcome.NOT_FOUND),
        ("CLOSE", "De actie is beëindigd.", Outcome.RESOLVED),
        ("CANCEL", "Deze actie is ingetrokken.", Outcome.WITHDRAWN),
        ("CANCEL", "Excuses, dit bericht was onjuist.", Outcome.CANCELLED),
        (None, "De gezochte persoon is aangetroffen. Bedankt voor uw hulp.", Outcome.FOUND),
        ("UPDATE", "De verdachte is aangehouden.", Outcome.FOUND),
        (None, "De Burgernetactie is beeindigd.", Outcome.RESOLVED),
        ("UPDATE", "De vermiste man is nog niet gevonden. Blijf uitkijken.", None),
        ("UPDATE", "De auto is gevonden; de verdachten worden nog gezocht.", None),
        ("UPDATE", "De auto is gevonden in de Stationsstraat.", None),
        ("START", "Gezocht wordt een man met een rode jas.", None),
    ],
)
def test_closing_classifier(message_type: str | None, text: str, outcome: Outcome | None) -> None:
    assert closing_outcome(message_type, "Burgernet", text) == outcome


# --- bad input -----------------------------------------------------------------------------------


def _broken(path: str, value: Any) -> bytes:
    """The whole feed with one field (a dotted path, `-` deletes it) replaced."""
    feed = {"actions": [sample("03-vermissing-aangetroffen.json")]}
    *parents, last = path.split(".")
    target: Any = feed["actions"][0]
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value == "-":
        del target[last]
    else:
        target[last] = value
    return body(feed)


@pytest.mark.parametrize(
    ("field", "value", "location"),
    [
        ("id", "-", "actions[0].id"),
        ("id", True, "actions[0].id"),
        ("id", "41 872", "actions[0].id"),
        ("amberAlert", "nee", "actions[0].amberAlert"),
        ("active", 1, "actions[0].active"),
        ("municipality", "", "actions[0].municipality"),
        ("startTimestamp", "1744463040", "actions[0].startTimestamp"),
        ("startTimestamp", -2208988800, "actions[0].startTimestamp"),  # 1900
        ("startTimestamp", 32503680000, "actions[0].startTimestamp"),  # 3000, seconds
        ("endTimestamp", 32503680000000, "actions[0].endTimestamp"),  # 3000, milliseconds
        ("endTimestamp", 1744400000, "actions[0].endTimestamp"),  # before the start
        ("area.lat", 90.5, "actions[0].area.lat"),
        ("area.lng", -181, "actions[0].area.lng"),
        ("area.lat", "52.1", "actions[0].area.lat"),
        ("area.radius", -1, "actions[0].area.radius"),
        ("area.radius", 1e12, "actions[0].area.radius"),
        ("area", [52.1, 5.4, 2000], "actions[0].area"),
        ("messages", {"0": {}}, "actions[0].messages"),
        ("messages.0.title", 7, "actions[0].messages[0].title"),
        ("messages.0.body", "a\x00b", "actions[0].messages[0].body"),
        ("messages.0.responseUrl", "/acties/41872", "actions[0].messages[0].responseUrl"),
        ("messages.1.lastModifiedTimestamp", "-", "actions[0].messages[1].lastModifiedTimestamp"),
        ("messages.2.lastModifiedTimestamp", 1.5e9, "actions[0].messages[2].lastModifiedTimestamp"),
    ],
)
def test_invalid_fields_are_named(field: str, value: Any, location: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        channel.parse(_broken(field, value), JSON)
    assert caught.value.location == location


def test_repeated_action_ids_are_refused() -> None:
    action = sample("01-vermissing-start.json")
    with pytest.raises(InvalidMessageError) as caught:
        channel.parse(body({"actions": [action, action]}), JSON)
    assert caught.value.location == "actions[1].id"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"actions": [',
        b"\xff\xfe{}",
        b'{"actions": [], "actions": []}',
        b'{"id": NaN}',
        b"[" * 5000 + b"]" * 5000,
        b"",
    ],
)
def test_malformed_bodies(raw: bytes) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        channel.parse(raw, JSON)
    assert caught.value.location == "$"


def test_a_single_action_names_fields_without_a_prefix() -> None:
    action = sample("01-vermissing-start.json")
    action["area"]["radius"] = -250
    with pytest.raises(InvalidMessageError) as caught:
        channel.parse(body(action), JSON)
    assert caught.value.location == "area.radius"


def test_other_shapes_and_media_types_are_refused() -> None:
    with pytest.raises(InvalidMessageError, match="feed"):
        channel.parse(b"[]", JSON)
    with pytest.raises(UnsupportedMediaTypeError):
        channel.parse(body(sample("01-vermissing-start.json")), "text/xml")


# --- render --------------------------------------------------------------------------------------


def test_render_restores_the_last_snapshot_with_its_closing_message() -> None:
    state = folded(*AMERSFOORT).state(41872)
    assert channel.selects(state)
    rendering = channel.render(state)
    assert rendering.native == sample("03-vermissing-aangetroffen.json")
    assert rendering.lost == ()
    assert rendering.media_type == JSON
    assert commands(json.loads(rendering.body)) == commands(sample(AMERSFOORT[-1]))


def test_render_keeps_milliseconds() -> None:
    hub = folded("04-voertuig-gezocht.json", "05-feed-twee-acties.json")
    for action in sample("05-feed-twee-acties.json")["actions"]:
        assert channel.render(hub.state(action["id"])).native == action


def test_vanished_action_renders_inactive() -> None:
    feed = sample("05-feed-twee-acties.json")
    inbox = conformance_fold(channel, [Sample(body(feed), JSON), Sample(b'{"actions": []}', JSON)])
    native = channel.render(inbox.alerts[alert_id("burgernet:52318")].state).native
    assert native["active"] is False
    assert native["endTimestamp"] is None
    assert [m["title"] for m in native["messages"]] == ["Gezocht: man op zwarte scooter"]


AMBER_INFO: dict[str, Any] = {
    "language": "nl-NL",
    "category": ["Rescue"],
    "event": "Vermist Kind Alert",
    "urgency": "Immediate",
    "severity": "Severe",
    "certainty": "Likely",
    "event_codes": [{"name": "SAME", "value": "CAE"}],
    "headline": "Vermist Kind Alert: Sanne (9) uit Deventer",
    "description": "Sanne is 1.35 meter, heeft lang blond haar en draagt een roze jas.",
    "instruction": "Ziet u Sanne? Bel 112.",
    "web": "https://www.amberalert.nl/",
    "resources": [{"description": "Foto", "mime_type": "image/jpeg", "uri": "https://x.nl/s.jpg"}],
    "areas": [
        {"description": "Deventer", "circles": [{"lat": 52.25, "lon": 6.16, "radius_km": 25}]}
    ],
}


def amber_message(identifier: str, msg_type: str, sent: datetime, **info: Any) -> AlertMessage:
    return AlertMessage.model_validate(
        {
            "identifier": identifier,
            "sender": "amberalert.nl",
            "sent": sent,
            "status": "Actual",
            "msg_type": msg_type,
            "scope": "Public",
            "references": []
            if msg_type == "Alert"
            else [{"sender": "amberalert.nl", "identifier": "amber-2207", "sent": sent}],
            "info": [AMBER_INFO | info],
        }
    )


def amber_alert(*, ended: bool) -> AlertState:
    first = amber_message("amber-2207", "Alert", datetime(2025, 5, 3, 14, 0, tzinfo=UTC))
    alert = Alert.start(
        alert_id("amber:2207"), IssueAlert(channel="amber", message=first, thread="amber:2207")
    )
    if ended:
        end = amber_message(
            "amber-2207-1746288000",
            "Cancel",
            datetime(2025, 5, 3, 16, 0, tzinfo=UTC),
            headline="Vermist Kind Alert ingetrokken",
            description="Sanne is gevonden. Bedankt voor het uitkijken.",
        )
        alert.receive(EndAlert(channel="amber", message=end, thread="amber:2207"))
    return alert.state


def test_amber_alert_from_the_amber_channel_renders_as_an_action() -> None:
    state = amber_alert(ended=True)
    assert channel.selects(state)
    rendering = channel.render(state)
    native = rendering.native
    assert native["id"] == "amber-2207"
    assert (native["amberAlert"], native["active"], native["actionType"]) == (
        True,
        False,
        "Vermist Kind Alert",
    )
    assert (native["startTimestamp"], native["endTimestamp"]) == (1746280800, 1746288000)
    assert native["area"] == {"lat": 52.25, "lng": 6.16, "radius": 25000}
    assert native["municipality"] == "Deventer"
    assert [m["messageType"] for m in native["messages"]] == ["START", "END"]
    assert native["messages"][1]["body"] == "Sanne is gevonden. Bedankt voor het uitkijken."
    assert {"info.instruction", "info.resources", "info.event_codes"} <= set(rendering.lost)
    reparsed = channel.parse(rendering.body, JSON)
    assert isinstance(reparsed[1], EndAlert)
    assert reparsed[1].outcome is Outcome.FOUND


def test_active_amber_alert_renders_active() -> None:
    native = channel.render(amber_alert(ended=False)).native
    assert (native["active"], native["endTimestamp"]) == (True, None)


@pytest.mark.parametrize(
    ("channel_name", "info"),
    [
        ("amber", {"areas": [{"description": "Nederland"}]}),  # no circle to show
        ("amber", {"event": "Brand", "event_codes": []}),  # not a child alert
        ("cap", {}),  # a CAP alert is not sent through Burgernet
    ],
)
def test_other_alerts_are_not_selected(channel_name: str, info: dict[str, Any]) -> None:
    message = amber_message("x-1", "Alert", datetime(2025, 5, 3, tzinfo=UTC), **info)
    command = IssueAlert(channel=channel_name, message=message, thread=f"{channel_name}:1")
    assert not channel.selects(Alert.start(alert_id("x"), command).state)


# --- property: native -> canonical -> native -----------------------------------------------------

SAFE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
)
START = 1_700_000_000  # 2023-11-14


def _stamp(seconds: int, in_ms: bool) -> int:
    return seconds * 1000 if in_ms else seconds


@st.composite
def native_actions(draw: st.DrawFn) -> dict[str, Any]:
    """A Burgernet action as the feed would list it, in the round trip's documented domain."""
    offsets = sorted(draw(st.lists(st.integers(0, 86_400), min_size=1, max_size=4)))
    closed = draw(st.booleans())
    active = False if closed else draw(st.booleans())
    messages = [
        {
            "title": draw(SAFE_TEXT | st.sampled_from(["Vermiste man", "Gezocht: auto"])),
            "body": draw(SAFE_TEXT | st.just("Gezocht wordt een man met een rode jas.")),
            "responseUrl": draw(st.none() | st.just("https://www.burgernet.nl/acties/1")),
            "messageType": draw(st.sampled_from([None, "START", "UPDATE", "INFO"])),
            "lastModifiedTimestamp": _stamp(START + offset, draw(st.booleans())),
            "speechId": draw(st.none() | st.integers(0, 10**6) | st.just("s-1")),
        }
        for offset in offsets
    ]
    if draw(st.booleans()):
        messages[0]["lastModifiedTimestamp"] = None  # the first may fall back to startTimestamp
    if closed:
        messages[-1] |= {"messageType": "END", "body": "De gezochte persoon is aangetroffen."}
    end = None if active else draw(st.none() | st.integers(START, START + 86_400 * 2))
    return {
        "id": draw(
            st.integers(0, 10**12)
            | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
        ),
        "municipality": draw(SAFE_TEXT),
        "actionType": draw(SAFE_TEXT | st.sampled_from(["Vermissing", "Inbraak", "Overval"])),
        "amberAlert": draw(st.booleans()),
        "active": active,
        "startTimestamp": _stamp(START, draw(st.booleans())),
        "endTimestamp": end if end is None else _stamp(end, draw(st.booleans())),
        "area": {
            "lat": draw(st.floats(-90, 90).map(lambda v: round(v, 6))),
            "lng": draw(st.floats(-180, 180).map(lambda v: round(v, 6))),
            "radius": draw(
                st.integers(0, 100_000) | st.floats(0, 100_000).map(lambda v: round(v, 1))
            ),
        },
        "messages": messages,
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=native_actions())
def test_round_trip_native_canonical_native(action: dict[str, Any]) -> None:
    hub = Hub()
    hub.post(action)
    assert channel.render(hub.state(action["id"])).native == action
    hub.post(action)
    assert hub.duplicates == len(commands(action))


# --- conformance ---------------------------------------------------------------------------------


class TestBurgernetConformance(ChannelConformance):
    channel = BurgernetChannel()
    samples = [Sample.from_file(p, JSON) for p in SAMPLE_FILES]
    malformed = [
        Sample(b'{"actions": [', JSON, "truncated JSON"),
        Sample(b"\xc3\x28", JSON, "not UTF-8"),
        Sample(b'{"actions": [{"id": 1}]}', JSON, "an action without its fields"),
        Sample(b'{"actions": {}}', JSON, "actions not a list"),
    ]
