"""The NL-Alert channel: feed parsing, text conventions, hostile input, the view, and poll mode."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import media_type_of
from adapters.cap.render import number
from adapters.conformance import ChannelConformance, Sample, fold
from adapters.nlalert import NlAlertChannel, channel
from adapters.nlalert.poll import FeedPoller
from adapters.nlalert.text import compose, split_message
from domain.alert import Alert
from domain.commands import Command, EndMissingAlerts, Instruction, IssueAlert
from domain.errors import InvalidMessageError, MalformedMessageError, PayloadTooLargeError
from domain.identity import alert_id
from domain.model import AlertMessage, Status
from domain.state import AlertState, Lifecycle
from tests.strategies import alert_messages, moment

EXAMPLES = Path(__file__).parents[3] / "examples" / "messages" / "nlalert"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "cap"
JSON = "application/json"
RING = "52.0,4.0 52.1,4.0 52.1,4.1 52.0,4.0"
FIRE = EXAMPLES / "fire-smoke-item.json"
UPDATE = EXAMPLES / "fire-smoke-update.json"
TEST = EXAMPLES / "national-test-item.json"
FEED = EXAMPLES / "feed-two-items.json"


def item(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "x1",
        "message": "NL-Alert 01-12-2025 12:00: Brand. Sluit ramen. *** Fire. Close windows.",
        "area": [RING],
        "start_at": "2025-12-01T11:00:00Z",
        "stop_at": "2025-12-01T15:00:00Z",
    }
    return {**base, **fields}


def parse(data: object) -> list[Instruction]:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return list(channel.parse(body, JSON))


def message_of(data: object) -> AlertMessage:
    first = parse(data)[0]
    assert isinstance(first, Command)
    return first.message


def state_of(*commands: Instruction) -> AlertState:
    """Fold commands of one thread into an alert, as the hub does, without a store."""
    issued = [c for c in commands if isinstance(c, Command)]
    alert = Alert.start(alert_id(issued[0].thread or issued[0].message.key), issued[0])
    for command in issued[1:]:
        alert.receive(command)
    return alert.state


# --- the shared contract ---------------------------------------------------------------------


class TestNlAlertConformance(ChannelConformance):
    """The update sample is left out here: it is a second version of the fire item, and an alert
    with two versions cannot round-trip through a format that shows only the current one (the
    suite compares the whole history). `test_update_replaces_the_text` covers it instead."""

    channel = NlAlertChannel()
    samples: ClassVar[list[Sample]] = [Sample.from_file(p, JSON) for p in (FIRE, TEST, FEED)]
    malformed: ClassVar[list[Sample]] = [
        Sample(b'{"data": [', JSON, "truncated JSON"),
        Sample(b"\xff\xfe{}", JSON, "not UTF-8"),
        Sample(json.dumps(item(area=["52,4 53,4 53,5"])).encode(), JSON, "unclosed ring"),
    ]


# --- parsing ---------------------------------------------------------------------------------


def test_whole_feed_issues_each_item_and_ends_the_vanished() -> None:
    instructions = list(channel.parse(FEED.read_bytes(), JSON))
    issued = [i for i in instructions if isinstance(i, IssueAlert)]
    assert [c.thread for c in issued] == [
        "nlalert:90871",
        "nlalert:c29e4f10-55b7-4d0e-8a3f-0b9d7e6c1a22",
    ]
    end = instructions[-1]
    assert isinstance(end, EndMissingAlerts)
    assert end.channel == "nlalert"
    assert end.present == {c.thread for c in issued}
    assert end.reason == "no longer in the NL-Alert feed"


def test_single_item_does_not_end_others() -> None:
    instructions = list(channel.parse(FIRE.read_bytes(), "application/vnd.nlalert+json"))
    assert len(instructions) == 1
    assert isinstance(instructions[0], IssueAlert)


def test_a_paginated_page_is_not_the_whole_feed() -> None:
    page = {"data": [item()], "links": {"next": "https://example.org/feed?page=2"}}
    assert not any(isinstance(i, EndMissingAlerts) for i in parse(page))


def test_item_maps_to_cap_shaped_message() -> None:
    message = message_of(json.loads(FIRE.read_text()))
    assert message.sender == "nl-alert.nl"
    assert message.identifier.startswith("nlalert-f3b1c0de-7a2e-4c1b-9d55-1a2b3c4d5e6f-")
    assert len(message.identifier.rsplit("-", 1)[1]) == 12
    assert (message.status, message.msg_type, message.scope) == ("Actual", "Alert", "Public")
    assert message.sent == datetime(2025, 3, 14, 14, 43, 10, tzinfo=UTC)  # prefix is before start
    nl, en = message.info
    assert (nl.language, en.language) == ("nl-NL", "en-US")
    assert nl.headline == "Grote brand bij een bedrijf aan de Kraaivenstraat in Tilburg"
    assert en.description is not None
    assert en.description.startswith("Large fire in Tilburg.")
    assert nl.parameter("nlalert:message") == json.loads(FIRE.read_text())["message"]
    assert (nl.event, en.event) == ("Brand", "Fire")  # derived from the text: a fire
    assert nl.parameter("nlalert:classified") == en.parameter("nlalert:classified")
    assert (nl.parameter("nlalert:classified") or "").startswith("fire: brand")
    for info in (nl, en):
        assert (info.category, info.urgency, info.severity, info.certainty) == (
            ["Fire"],
            "Immediate",
            "Severe",
            "Observed",
        )
        assert info.expires == datetime(2025, 3, 14, 18, 43, 10, tzinfo=UTC)
        assert len(info.areas[0].polygons[0]) == 6


def test_integer_ids_are_strings_and_identity_follows_content() -> None:
    assert parse(item(id=7))[0] == parse(item(id="7"))[0]
    one, two = message_of(item()), message_of(item(message="NL-Alert: ander bericht."))
    assert one.identifier != two.identifier
    assert message_of(item()) == one


@pytest.mark.parametrize(
    ("text", "issued", "dutch"),
    [
        ("NL-Alert 1-12-2025 12:00: Brand.", datetime(2025, 12, 1, 11, 0, tzinfo=UTC), "Brand."),
        ("NL-Alert 01-12-2025 12:00:Brand.", datetime(2025, 12, 1, 11, 0, tzinfo=UTC), "Brand."),
        ("nl-alert 02-06-2025 9:05 : Gas.", datetime(2025, 6, 2, 7, 5, tzinfo=UTC), "Gas."),
        ("NL-Alert 31-02-2025 12:00: Rook.", None, "Rook."),  # impossible date: no time
        # without the colon, as real messages are often written
        (
            "NL-Alert 07-11-2023 13:37 Grote brand in Zwolle.",
            datetime(2023, 11, 7, 12, 37, tzinfo=UTC),
            "Grote brand in Zwolle.",
        ),
        ("NL-Alert 7-11-2023 13:37 Brand.", datetime(2023, 11, 7, 12, 37, tzinfo=UTC), "Brand."),
        # with seconds, with and without the colon
        (
            "NL-Alert 02-06-2025 09:05:30: Gas.",
            datetime(2025, 6, 2, 7, 5, 30, tzinfo=UTC),
            "Gas.",
        ),
        ("NL-Alert 2-6-2025 9:05:30 Gas.", datetime(2025, 6, 2, 7, 5, 30, tzinfo=UTC), "Gas."),
        ("NL-Alert: 02-06-2025 09:05 Gas.", datetime(2025, 6, 2, 7, 5, tzinfo=UTC), "Gas."),
        ("Brand in de haven.", None, "Brand in de haven."),
    ],
)
def test_prefix_variants(text: str, issued: datetime | None, dutch: str) -> None:
    parts = split_message(text)
    assert parts.issued == issued
    assert parts.dutch == dutch


@pytest.mark.parametrize(
    ("text", "dutch", "english"),
    [
        ("Sluit ramen. *** Close windows.", "Sluit ramen.", "Close windows."),
        ("Sluit ramen. ### Close windows.", "Sluit ramen.", "Close windows."),
        ("Sluit ramen.***Close windows.", "Sluit ramen.", "Close windows."),
        ("Sluit ramen en deuren.", "Sluit ramen en deuren.", None),
        (
            "Brand in Zwolle. Blijf binnen. Stay inside and keep the windows closed.",
            "Brand in Zwolle. Blijf binnen.",
            "Stay inside and keep the windows closed.",
        ),
        # conservative: one English word, a lone English text, or mixed words never split
        ("Brand in Zwolle. Lockdown area.", "Brand in Zwolle. Lockdown area.", None),
        ("Stay inside. Close the windows.", "Stay inside. Close the windows.", None),
        ("Brand. Close de ramen and doors.", "Brand. Close de ramen and doors.", None),
    ],
)
def test_dutch_and_english_parts(text: str, dutch: str, english: str | None) -> None:
    parts = split_message(text)
    assert (parts.dutch, parts.english) == (dutch, english)


def test_no_english_part_gives_one_info_block() -> None:
    message = message_of(item(message="NL-Alert 01-12-2025 12:00: Brand. Sluit ramen."))
    assert [i.language for i in message.info] == ["nl-NL"]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("NL-Alert 02-06-2025 12:00: TESTBERICHT. Geen actie nodig.", Status.TEST),
        ("NL-Alert 01-06-2020 12:00: CONTROLEBERICHT. U hoeft niets te doen.", Status.TEST),
        ("NL-Alert: Brand. Dit is geen testbericht, sluit ramen.", Status.ACTUAL),
    ],
)
def test_national_tests_are_status_test(text: str, status: Status) -> None:
    assert message_of(item(message=text)).status == status


def test_sent_rule() -> None:
    """start_at; the text's own later stamp inside the window; updated_at above all."""
    start = datetime(2025, 12, 1, 11, 0, 30, tzinfo=UTC)
    base = item(start_at="2025-12-01T11:00:30Z", message="NL-Alert 01-12-2025 12:00: A.")
    assert message_of(base).sent == start
    later = {**base, "message": "NL-Alert 01-12-2025 13:15: B."}
    assert message_of(later).sent == datetime(2025, 12, 1, 12, 15, tzinfo=UTC)
    typo = {**base, "message": "NL-Alert 01-12-2052 13:15: B."}
    assert message_of(typo).sent == start
    stamped = {**base, "updated_at": "2025-12-01T14:00:00+01:00"}
    assert message_of(stamped).sent == datetime(2025, 12, 1, 13, 0, tzinfo=UTC)


def test_update_replaces_the_text_and_the_feed_ends_it() -> None:
    inbox = fold(channel, [Sample.from_file(p, JSON) for p in (FIRE, UPDATE, FEED)])
    fire = inbox.alerts[alert_id("nlalert:f3b1c0de-7a2e-4c1b-9d55-1a2b3c4d5e6f")].state
    first, update = fire.messages[:2]
    assert update.sent > first.sent
    assert fire.current == update
    assert fire.current.info[0].headline is not None
    assert fire.current.info[0].headline.startswith("Update: De brand")
    assert fire.ended is not None
    assert fire.ended.reason == "no longer in the NL-Alert feed"


def test_stop_at_reads_as_expired_later() -> None:
    state = state_of(*parse(item()))
    assert state.lifecycle(datetime(2025, 12, 1, 12, tzinfo=UTC)) is Lifecycle.ACTIVE
    assert state.lifecycle(datetime(2025, 12, 1, 16, tzinfo=UTC)) is Lifecycle.EXPIRED


# --- hostile and malformed input ---------------------------------------------------------------

BAD_ITEMS = [
    ({"message": "Brand.", "start_at": "2025-12-01T11:00:00Z"}, "id"),
    (item(id=None), "id"),
    (item(id=True), "id"),
    (item(id=1.5), "id"),
    (item(id="a b"), "id"),
    (item(message=None), "message"),
    (item(message=42), "message"),
    (item(message="   "), "message"),
    (item(message="Brand\x00."), "message"),
    (item(area=None), "area"),
    (item(area=RING), "area"),
    (item(area=[None]), "area[0]"),
    (item(area=["52,4 53,4 53,5 52,4.5"]), "area[0]"),  # not closed
    (item(area=["52,4 53,4 52,4"]), "area[0]"),  # three points
    (item(area=[RING, "91,4 52,5 53,5 91,4"]), "area[1]"),  # latitude out of range
    (item(area=["52,181 52,5 53,5 52,181"]), "area[0]"),
    (item(area=["52,4 nan,5 53,5 52,4"]), "area[0]"),
    (item(area=["52,4 1e400,5 53,5 52,4"]), "area[0]"),  # a huge number is not a coordinate
    (item(area=["52;4 52,5 53,5 52;4"]), "area[0]"),
    (item(start_at="2025-12-01T11:00:00"), "start_at"),  # naive: UTC or Dutch time?
    (item(start_at=1764586800), "start_at"),
    (item(start_at="yesterday"), "start_at"),
    (item(start_at="9999-12-31T23:59:59-23:59"), "start_at"),  # no room for date arithmetic
    (item(stop_at="0001-01-01T00:00:00+01:00"), "stop_at"),
    (item(stop_at="2025-12-01T10:00:00Z"), "stop_at"),  # before start_at
    (item(updated_at=False), "updated_at"),
]


@pytest.mark.parametrize(("data", "location"), BAD_ITEMS)
def test_bad_item_names_the_field(data: dict[str, Any], location: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse(data)
    assert caught.value.location == location
    with pytest.raises(InvalidMessageError) as in_feed:
        parse({"data": [item(id="ok"), data]})
    assert in_feed.value.location == f"data[1].{location}"


def test_out_of_range_error_names_item_area_and_point() -> None:
    bad = "52,4 52,5 91.5,5 52,4"
    with pytest.raises(InvalidMessageError) as out:
        parse({"data": [item(id="a"), item(id="b", area=[RING, bad])]})
    assert out.value.location == "data[1].area[1]"
    assert "point 2" in str(out.value)
    assert "latitude 91.5 is outside -90..90" in str(out.value)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (b'{"data": [', "$"),
        (b"", "$"),
        (b"\xff\xfe\x00{", "$"),
        (b'{"id": "a", "message": "caf\xe9"}', "$"),  # Latin-1, not UTF-8
        (b"[" * 100_000, "$"),
        (b'{"id": "a", "id": "b"}', "$"),
    ],
)
def test_malformed_bodies(body: bytes, location: str) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        channel.parse(body, JSON)
    assert caught.value.location == location


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (b"[]", "$"),
        (b'"feed"', "$"),
        (b'{"data": null}', "data"),
        (b'{"data": {"id": 1}}', "data"),
        (b'{"data": [1]}', "data[0]"),
        (b'{"id": ' + b"9" * 5000 + b', "message": "x"}', "id"),  # beyond int() digit limits
        (b'{"id": NaN, "message": "x"}', "id"),
        (b'{"data": [' + json.dumps(item()).encode() + b'], "links": 1}', None),
    ],
)
def test_wrong_shapes(body: bytes, location: str | None) -> None:
    if location is None:  # a feed with odd extra keys is still a feed
        assert channel.parse(body, JSON)
        return
    with pytest.raises(InvalidMessageError) as caught:
        channel.parse(body, JSON)
    assert caught.value.location == location


def test_oversized_body_is_refused_before_decoding() -> None:
    with pytest.raises(PayloadTooLargeError):
        channel.parse(b" " * (8 * 1024 * 1024 + 1), JSON)


def test_duplicate_ids_in_one_feed() -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse({"data": [item(id=5), item(id="5")]})
    assert caught.value.location == "data[1].id"


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(InvalidMessageError) as caught:
        channel.parse(b'{"id": "a", "message": "x\\ud800", "start_at": "2025-12-01T11:00Z"}', JSON)
    assert caught.value.location == "message"


# --- the view ----------------------------------------------------------------------------------

FEED_FIELDS = ("id", "message", "area", "start_at", "stop_at")


def test_view_is_the_feed_item_plus_cell_broadcast_and_cap() -> None:
    state = state_of(*channel.parse(FIRE.read_bytes(), JSON))
    rendering = channel.render(state)
    original = json.loads(FIRE.read_text())
    assert {k: rendering.native[k] for k in FEED_FIELDS} == {
        **{k: original[k] for k in FEED_FIELDS},
        "start_at": "2025-03-14T14:43:10+00:00",
        "stop_at": "2025-03-14T18:43:10+00:00",
    }
    assert json.loads(rendering.body) == {k: rendering.native[k] for k in FEED_FIELDS}
    assert rendering.media_type in channel.media_types
    assert rendering.lost == ()
    assert state.current.identifier in rendering.native["cap"]
    cb = rendering.native["cell_broadcast"]
    assert (cb["encoding"], cb["data_coding_scheme"], cb["fits"], cb["overflow"]) == (
        "gsm7",
        0x05,
        True,
        0,
    )
    assert len(cb["pages"]) == 4
    assert all(len(bytes.fromhex(page)) == 82 for page in cb["pages"])


def test_cap_view_is_valid_cap_1_2() -> None:
    schema = xmlschema.XMLSchema(
        str((FIXTURES / "CAP-v1.2.xsd").resolve()), allow="sandbox", use_fallback=False
    )
    inbox = fold(channel, [Sample.from_file(p, JSON) for p in (FIRE, UPDATE, TEST, FEED)])
    for alert in inbox.alerts.values():
        xml = channel.render(alert.state).native["cap"]
        schema.validate(xmlschema.XMLResource(xml, defuse="always"))


def test_updated_at_survives_the_round_trip() -> None:
    native = item(updated_at="2025-12-01T13:00:00+01:00")
    body = channel.render(state_of(*parse(native))).body
    assert json.loads(body)["updated_at"] == "2025-12-01T13:00:00+01:00"
    assert parse(body) == parse(native)


def test_a_text_too_long_for_cell_broadcast_is_flagged_not_cut() -> None:
    long_text = "NL-Alert 01-12-2025 12:00: " + "Sluit ramen en deuren. " * 70
    state = state_of(*parse(item(message=long_text)))
    view = channel.render(state).native
    assert view["message"] == long_text
    cb = view["cell_broadcast"]
    assert cb["fits"] is False
    assert cb["overflow"] == cb["units"] - cb["capacity"] > 0
    assert len(cb["pages"]) == 15


def test_non_gsm_characters_switch_to_ucs2() -> None:
    state = state_of(*parse(item(message="NL-Alert: Brand bij \u201cDe Ster\u201d. Sluit ramen.")))
    cb = channel.render(state).native["cell_broadcast"]
    assert (cb["encoding"], cb["non_gsm_characters"]) == ("ucs2", ["\u201c", "\u201d"])


def cap_state(**info: Any) -> AlertState:
    """An alert that came through the CAP channel, with one Dutch and one English block."""
    block = {
        "category": ["Fire"],
        "event": "Brand",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "headline": "Grote brand",
        "description": "Grote brand in de haven.",
        "instruction": "Sluit ramen en deuren.",
        "areas": [
            {"description": "Haven", "polygons": [[[52, 4], [52.1, 4], [52.1, 4.1], [52, 4]]]}
        ],
        **info,
    }
    message = AlertMessage.model_validate(
        {
            "identifier": "vr-2025-1",
            "sender": "vr@example.nl",
            "sent": "2025-12-01T12:30:00+01:00",
            "status": "Actual",
            "msg_type": "Alert",
            "scope": "Public",
            "info": [
                {**block, "language": "nl-NL"},
                {**block, "language": "en-US", "description": "Big fire.", "instruction": None},
            ],
        }
    )
    return state_of(IssueAlert(channel="cap", message=message))


def test_alerts_from_other_channels_are_composed() -> None:
    state = cap_state()
    rendering = channel.render(state)
    assert rendering.native["message"] == (
        "NL-Alert 01-12-2025 12:30: Grote brand in de haven. Sluit ramen en deuren. "
        "*** Grote brand. Big fire."
    )
    assert rendering.native["id"] == str(state.alert_id)
    assert rendering.native["area"] == ["52,4 52.1,4 52.1,4.1 52,4"]
    assert {"identifier", "sender", "info.instruction", "info.event"} <= set(rendering.lost)
    assert "info.areas.polygons" not in rendering.lost
    copy = message_of(rendering.body)
    assert copy.sent == state.current.sent


def test_a_time_nl_alert_cannot_hold_still_renders() -> None:
    """Year 9999 from another channel: no crash; the body cannot be read back, so all is lost."""
    state = cap_state()
    late = state.current.model_copy(update={"sent": datetime(9999, 12, 31, 23, tzinfo=UTC)})
    rendering = channel.render(state.model_copy(update={"current": late}))
    assert rendering.native["message"].startswith("NL-Alert 31-12-9999 23:00:")
    assert {"identifier", "sent", "info"} <= set(rendering.lost)


def test_selects_own_alerts_and_life_threatening_polygons() -> None:
    assert channel.selects(state_of(*parse(item())))
    assert channel.selects(cap_state())
    assert not channel.selects(cap_state(severity="Moderate"))
    assert not channel.selects(cap_state(urgency="Expected"))
    circle = [{"description": "Haven", "circles": [{"lat": 52, "lon": 4, "radius_km": 2}]}]
    assert not channel.selects(cap_state(areas=circle))


# --- properties ----------------------------------------------------------------------------------

coordinate = st.tuples(
    st.floats(-90, 90, allow_nan=False).map(lambda v: round(v, 5)),
    st.floats(-180, 180, allow_nan=False).map(lambda v: round(v, 5)),
)
ring_text = st.lists(coordinate, min_size=3, max_size=6).map(
    lambda points: " ".join(f"{number(a)},{number(b)}" for a, b in [*points, points[0]])
)
words = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=80,
).filter(str.strip)


@st.composite
def native_items(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(moment)
    stop = draw(st.none() | st.integers(0, 10 * 86400).map(lambda s: start + timedelta(seconds=s)))
    stamp = draw(
        st.none() | st.integers(-3600, 2 * 86400).map(lambda s: start + timedelta(seconds=s))
    )
    english = draw(st.none() | words)
    dutch = draw(words)
    message = compose(stamp, dutch, english) if stamp else dutch
    return {
        "id": draw(
            st.from_regex(r"[A-Za-z0-9._:-]{1,40}", fullmatch=True) | st.integers(0, 10**15)
        ),
        "message": message,
        "area": draw(st.lists(ring_text, max_size=3)),
        "start_at": start.isoformat(),
        "stop_at": stop.isoformat() if stop else None,
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(native=native_items())
def test_native_round_trip(native: dict[str, Any]) -> None:
    """native item -> parse -> fold -> render: every feed field comes back as it was."""
    state = state_of(*parse(native))
    rendering = channel.render(state)
    assert json.loads(rendering.body) == {**native, "id": str(native["id"])}
    assert rendering.lost == ()
    assert parse(rendering.body) == parse(native)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=alert_messages())
def test_any_canonical_alert_renders_and_parses_back(message: AlertMessage) -> None:
    """Alerts of any channel render without error; the body parses; lost is honest."""
    state = state_of(IssueAlert(channel="cap", message=message))
    rendering = channel.render(state)
    json.dumps(rendering.native)
    copy = message_of(rendering.body)
    assert "identifier" in rendering.lost
    if copy.status != message.status:
        assert "status" in rendering.lost
    assert rendering.native["cell_broadcast"]["units"] >= len(rendering.native["message"])


# --- poll mode, against a real HTTP server on 127.0.0.1 -----------------------------------------


class FeedServer(ThreadingHTTPServer):
    body = b""
    status = 200
    requests: list[dict[str, str]]


class FeedHandler(BaseHTTPRequestHandler):
    """Serves the server's body with a strong ETag; a matching If-None-Match gets 304."""

    server: FeedServer

    def do_GET(self) -> None:
        self.server.requests.append(dict(self.headers))
        etag = '"' + hashlib.sha256(self.server.body).hexdigest()[:16] + '"'
        if self.server.status != 200:
            self.send_error(self.server.status)
            return
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test asserts on requests instead."""


@pytest.fixture
def server() -> Iterator[FeedServer]:
    httpd = FeedServer(("127.0.0.1", 0), FeedHandler)
    httpd.requests = []
    httpd.body = FEED.read_bytes()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def url_of(httpd: FeedServer) -> str:
    host, port = httpd.server_address[:2]
    return f"http://{host!s}:{port}/api/v1/providers/nl-alert/alerts"


class Collector:
    """The hub side of poll mode: parse what arrives with the NL-Alert channel."""

    def __init__(self, fail: bool = False) -> None:
        self.received: list[list[Instruction]] = []
        self.fail = fail
        self.arrived = threading.Event()

    def __call__(self, body: bytes, content_type: str) -> None:
        if self.fail:
            raise RuntimeError("store unavailable")
        self.received.append(list(channel.parse(body, media_type_of(content_type))))
        self.arrived.set()


def test_conditional_get_200_then_304_then_200(server: FeedServer) -> None:
    ingest = Collector()
    poller = FeedPoller(url_of(server), ingest, timeout=5)
    assert poller.poll_once() is True
    assert poller.poll_once() is False  # unchanged: 304, nothing ingested
    assert server.requests[1]["If-None-Match"] == poller.etag
    server.body = FIRE.read_bytes()
    assert poller.poll_once() is True
    assert [len(batch) for batch in ingest.received] == [3, 1]
    assert isinstance(ingest.received[0][-1], EndMissingAlerts)


def test_a_failed_ingest_is_fetched_again(server: FeedServer) -> None:
    poller = FeedPoller(url_of(server), Collector(fail=True), timeout=5)
    assert poller.poll_once() is False
    assert poller.etag is None
    assert poller.poll_once() is False
    assert "If-None-Match" not in server.requests[1]


def test_server_errors_and_oversized_feeds_do_not_raise(server: FeedServer) -> None:
    ingest = Collector()
    server.status = 503
    assert FeedPoller(url_of(server), ingest, timeout=5).poll_once() is False
    server.status = 200
    assert FeedPoller(url_of(server), ingest, timeout=5, max_bytes=100).poll_once() is False
    assert ingest.received == []


def test_run_polls_until_stopped(server: FeedServer) -> None:
    ingest = Collector()
    stop = threading.Event()
    poller = FeedPoller(url_of(server), ingest, interval=0.05, timeout=5)
    thread = threading.Thread(target=poller.run, args=(stop,))
    thread.start()
    assert ingest.arrived.wait(timeout=5)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(server.requests) >= 1
    assert len(ingest.received) == 1  # later polls were 304s


def test_only_http_urls() -> None:
    with pytest.raises(ValueError, match="http or https"):
        FeedPoller("file:///etc/passwd", Collector())
