"""The CAP 1.2 channel: spec examples, real-world messages, hostile input, XSD-valid output."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings

from adapters.cap import channel, parse_cap, render_cap
from domain.errors import InvalidMessageError, MalformedMessageError
from domain.model import AlertMessage
from tests.strategies import alert_messages

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "messages" / "cap"
FIXTURES = ROOT / "tests" / "fixtures" / "cap"


@cache
def cap_schema() -> xmlschema.XMLSchema:
    """The CAP 1.2 XSD, offline; ds:Signature content is lax (skipped), as in the schema."""
    return xmlschema.XMLSchema(
        str((FIXTURES / "CAP-v1.2.xsd").resolve()), allow="sandbox", use_fallback=False
    )


def assert_valid(xml: str) -> None:
    cap_schema().validate(xmlschema.XMLResource(xml, defuse="always"))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.xml")), ids=lambda p: p.name)
def test_spec_examples_parse_with_every_info_block(path: Path) -> None:
    """Each CAP 1.2 appendix example parses, keeping every info block and area."""
    body = path.read_bytes()
    message = parse_cap(body)
    assert len(message.info) == body.count(b"<info>")
    assert sum(len(i.areas) for i in message.info) == body.count(b"<area>")


def test_multilingual_amber_alert() -> None:
    """A.4: English and Spanish info blocks, SAME event code CAE, geocode only."""
    message = parse_cap((EXAMPLES / "a4-amber-alert-multilingual.xml").read_bytes())
    assert [i.language for i in message.info] == ["en-US", "es-US"]
    assert message.info[0].event_codes[0].value == "CAE"


def test_update_with_references_and_circle() -> None:
    """A.3: an Update referencing its original, with a zero-radius circle."""
    message = parse_cap((EXAMPLES / "a3-earthquake-update.xml").read_bytes())
    assert message.msg_type == "Update"
    assert message.references[0].identifier == "TRI13970876.1"
    assert message.info[0].areas[0].circles[0].radius_km == 0


VALID_REAL = [p for p in (FIXTURES / "real").glob("*.xml") if "not-xsd-valid" not in p.name]


@pytest.mark.parametrize(
    "path", sorted([*EXAMPLES.glob("*.xml"), *VALID_REAL]), ids=lambda p: p.name
)
def test_rendering_is_xsd_valid_and_round_trips(path: Path) -> None:
    """Parse -> render gives an XSD-valid CAP 1.2 document that parses to the same message."""
    message = parse_cap(path.read_bytes())
    xml = render_cap(message)
    assert_valid(xml)
    assert parse_cap(xml.encode()) == message


def test_real_world_signature_is_kept_verbatim() -> None:
    """An enveloped XML-DSig Signature survives parse and render byte for byte."""
    body = (FIXTURES / "real" / "ipaws-cancel-signed-no-info.xml").read_bytes()
    message = parse_cap(body)
    assert message.signature is not None
    assert message.signature.encode() in body
    assert message.info == []
    assert message.signature in render_cap(message)


def test_several_references_and_incidents() -> None:
    message = parse_cap(
        (FIXTURES / "real" / "ntwc-tsunami-update-references-incidents.xml").read_bytes()
    )
    assert len(message.references) >= 3
    assert message.incidents


def test_prefixed_namespace_and_odd_whitespace() -> None:
    message = parse_cap((FIXTURES / "real" / "bom-australia-prefixed-whitespace.xml").read_bytes())
    assert message.identifier == message.identifier.strip()
    assert message.info


def test_non_cap_elements_are_refused_with_their_place() -> None:
    """A real message with foreign elements inside <area> is refused, naming the element."""
    body = (FIXTURES / "real" / "krisinformation-sweden-not-xsd-valid.xml").read_bytes()
    with pytest.raises(InvalidMessageError) as caught:
        parse_cap(body)
    assert caught.value.location == "alert/info[0]/area[0]/Type"


HOSTILE = {
    "billion-laughs.xml": (MalformedMessageError, "alert"),
    "quadratic-blowup.xml": (MalformedMessageError, "alert"),
    "external-entity.xml": (MalformedMessageError, "alert"),
    "external-dtd.xml": (MalformedMessageError, "alert"),
    "malformed.xml": (MalformedMessageError, "alert"),
    "wrong-namespace.xml": (InvalidMessageError, "alert"),
    "naive-time.xml": (InvalidMessageError, "alert/sent"),
    "z-time.xml": (InvalidMessageError, "alert/sent"),
    "bad-enum.xml": (InvalidMessageError, "alert/status"),
    "update-without-references.xml": (InvalidMessageError, "alert"),
    "unclosed-polygon.xml": (InvalidMessageError, "alert/info[0]/area[0]/polygon[0]"),
    "three-point-polygon.xml": (InvalidMessageError, "alert/info[0]/area[0]/polygon[0]"),
    "polygon-out-of-range.xml": (InvalidMessageError, "alert/info[0]/area[0]/polygon[0]"),
    "bad-circle.xml": (InvalidMessageError, "alert/info[0]/area[0]/circle[0]"),
}


@pytest.mark.parametrize(("name", "expected"), sorted(HOSTILE.items()))
def test_hostile_input_is_refused_naming_the_element(
    name: str, expected: tuple[type[Exception], str]
) -> None:
    error, location = expected
    with pytest.raises(error) as caught:
        parse_cap((FIXTURES / "hostile" / name).read_bytes())
    assert caught.value.location.startswith(location)  # type: ignore[attr-defined]


def test_every_hostile_fixture_is_covered() -> None:
    assert {p.name for p in (FIXTURES / "hostile").glob("*.xml")} == set(HOSTILE)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"", "alert"),
        (b"   ", "alert"),
        (b"\xff\xfe<", "alert"),
        (b"<alert/>", "alert"),
        (
            b"<a:alert xmlns:a='urn:oasis:names:tc:emergency:cap:1.2'><a:bogus/></a:alert>",
            "alert/bogus",
        ),
    ],
)
def test_degenerate_documents(body: bytes, where: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse_cap(body)
    assert caught.value.location == where


def test_ack_messages_are_refused_by_the_channel() -> None:
    """Ack/Error are answers between systems; the channel says so rather than guessing."""
    body = (EXAMPLES / "a3-earthquake-update.xml").read_bytes().replace(b">Update<", b">Ack<")
    with pytest.raises(InvalidMessageError, match="Ack"):
        channel.parse(body, "application/cap+xml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alert_messages())
def test_any_canonical_message_round_trips_through_valid_cap(message: AlertMessage) -> None:
    """canonical -> CAP XML (XSD-valid) -> canonical is the identity."""
    xml = render_cap(message)
    assert_valid(xml)
    assert parse_cap(xml.encode()) == message
