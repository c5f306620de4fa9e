"""CAP as written: what an authority wrote comes back unchanged, value for value.

UTC is `-00:00` everywhere a CAP date-time is shown (XML, JSON, Avro), the sender's offset is
kept, reference strings still match the `sent` they name, free text keeps its whitespace and
numbers keep their lexical form (`52.530`, a radius `0.0`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4
from xml.etree.ElementTree import Element, fromstring, tostring

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cap import parse_cap, render_cap
from adapters.cap.names import CAP_NS
from domain.alert import Alert
from domain.commands import command_for
from domain.model import AlertMessage, Area
from hub.streaming.avro import AvroCodec
from tests.strategies import alert_messages
from tests.unit.test_cap import assert_valid

NWS, OID = "w-nws.webmaster@noaa.gov", "urn:oid:2.49.0.1.840.0.abc"
REFERENCES = (
    f"{NWS},{OID}.001.1,2025-03-14T17:52:00-00:00 {NWS},{OID}.000.1,2025-03-14T12:52:00-05:00"
)
US_UPDATE = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP_NS}">
  <identifier>urn:oid:2.49.0.1.840.0.abc.002.1</identifier>
  <sender>w-nws.webmaster@noaa.gov</sender>
  <sent>2025-03-14T18:05:00-00:00</sent>
  <status>Actual</status>
  <msgType>Update</msgType>
  <scope>Public</scope>
  <references>{REFERENCES}</references>
  <info>
    <language>en-US</language>
    <category>Met</category>
    <event>Severe Thunderstorm Warning</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <expires>2025-03-14T18:45:00-00:00</expires>
    <description>
  At 204 PM EDT, a severe thunderstorm was located near Sanford.

  HAZARD...60 mph wind gusts.
</description>
    <instruction>  Move to an interior room.  </instruction>
    <area>
      <areaDesc>Seminole, FL</areaDesc>
      <polygon>28.750,-81.330 28.820,-81.250 28.700,-81.200 28.750,-81.330</polygon>
      <circle>28.800,-81.270 0.0</circle>
      <altitude>0.0</altitude>
      <ceiling>1000.50</ceiling>
    </area>
  </info>
</alert>
"""


def texts(xml: str | bytes) -> list[tuple[str, str | None]]:
    """Every element's tag and text in document order: the values a CAP consumer reads."""
    return [(e.tag, e.text) for e in fromstring(xml).iter()]


def test_a_us_update_comes_back_as_written() -> None:
    """References, -00:00, the other offset, whitespace and lexical numbers all survive."""
    message = parse_cap(US_UPDATE.encode())
    xml = render_cap(message)
    assert_valid(xml)
    original = {
        tag: text
        for tag, text in texts(US_UPDATE)
        if not tag.endswith(("}alert", "}info", "}area"))
    }
    rendered = {
        tag: text for tag, text in texts(xml) if not tag.endswith(("}alert", "}info", "}area"))
    }
    assert rendered == original
    area = message.info[0].areas[0]
    assert area.circles[0].radius_km == 0.0
    assert area.written_circles == ["28.800,-81.270 0.0"]
    assert message.info[0].instruction == "  Move to an interior room.  "


def test_utc_is_minus_zero_in_xml_json_and_avro() -> None:
    """CAP §3.3.2: UTC is written -00:00, never Z or +00:00, wherever a CAP date-time shows."""
    message = parse_cap(US_UPDATE.encode())
    assert "<sent>2025-03-14T18:05:00-00:00</sent>" in render_cap(message)
    document = message.to_json()
    assert document["sent"] == "2025-03-14T18:05:00-00:00"
    assert document["references"][0]["sent"] == "2025-03-14T17:52:00-00:00"
    assert document["references"][1]["sent"] == "2025-03-14T12:52:00-05:00"
    assert document["info"][0]["expires"] == "2025-03-14T18:45:00-00:00"
    assert AlertMessage.model_validate(document) == message


def test_the_avro_stream_carries_cap_date_times() -> None:
    message = parse_cap(US_UPDATE.encode())
    event = Alert.start(uuid4(), command_for("cap", message)).collect_events()[0]
    codec = AvroCodec()
    record = codec.read(codec.encode(event)[0])
    assert record["occurred_at"] == "2025-03-14T18:05:00-00:00"
    assert record["origin"]["sent"] == "2025-03-14T18:05:00-00:00"
    assert codec.decode(codec.encode(event)[0]) == event


@pytest.mark.parametrize(
    ("offset", "written"),
    [
        (timezone(timedelta(hours=2)), "2025-06-02T14:00:00+02:00"),
        (timezone(timedelta(hours=-7)), "2025-06-02T05:00:00-07:00"),
        (UTC, "2025-06-02T12:00:00-00:00"),
    ],
)
def test_the_senders_offset_is_kept(offset: timezone, written: str) -> None:
    sent = datetime(2025, 6, 2, 12, tzinfo=UTC).astimezone(offset)
    assert f"<sent>{written}</sent>" in render_cap(_message(sent))
    assert _message(sent).to_json()["sent"] == written


def _message(sent: datetime) -> AlertMessage:
    return AlertMessage(
        identifier="m1",
        sender="s@example.nl",
        sent=sent,
        status="Actual",
        msg_type="Alert",
        scope="Public",
    )


def test_written_numbers_must_say_the_parsed_numbers() -> None:
    """The kept text and the value can never disagree: the model refuses a mismatch."""
    ring = [(52.0, 4.0), (52.1, 4.0), (52.1, 4.1), (52.0, 4.0)]
    Area(description="x", polygons=[ring], written_polygons=["52.00,4 52.1,4.0 52.1,4.1 52,4"])
    with pytest.raises(ValueError, match="written_polygons"):
        Area(description="x", polygons=[ring], written_polygons=["52.2,4 52.1,4 52.1,4.1 52,4"])
    with pytest.raises(ValueError, match="does not say"):
        Area(description="x", altitude=1.0, written_altitude="1.5")


# --- the round trip, as a property ----------------------------------------------------------


def _lexical(number: str, rng: random.Random) -> str:
    """Another lexical form of the same number: trailing zeros, as real senders write them."""
    if "e" in number or rng.random() < 0.3:
        return number
    return f"{number}{'0' * rng.randint(1, 3)}" if "." in number else f"{number}.0"


def _rewrite(element: Element, rng: random.Random) -> None:
    """A canonical document written the way authorities do: padded numbers, spaced text."""
    local = element.tag.rpartition("}")[2]
    if local in {"polygon", "circle", "altitude", "ceiling"} and element.text:
        element.text = " ".join(
            ",".join(_lexical(n, rng) for n in token.split(",")) for token in element.text.split()
        )
    elif local in {"description", "instruction", "headline", "note", "areaDesc"} and element.text:
        element.text = rng.choice(["", " ", "\n  ", "\t"]) + element.text + rng.choice(["", "\n"])
    for child in element:
        _rewrite(child, rng)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alert_messages(), st.randoms(use_true_random=False))
def test_valid_canonical_cap_renders_back_value_for_value(
    message: AlertMessage, rng: random.Random
) -> None:
    """For XSD-valid CAP in canonical form, parse then render gives back every element's text."""
    root = fromstring(render_cap(message))
    _rewrite(root, rng)
    written = tostring(root, encoding="unicode", default_namespace=CAP_NS)
    assert_valid(written)
    rendered = render_cap(parse_cap(written.encode()))
    assert texts(rendered) == texts(written)
