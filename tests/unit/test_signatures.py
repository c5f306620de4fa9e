"""XML signatures: found in the tree, verified only against pinned certificates, never fooled."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cap import parse_cap
from domain.provenance import Verdict
from hub.security.signatures import check_signature
from tests.signing import IPAWS_SIGNED, Signer, ipaws_certificate, make_signer

IPAWS = IPAWS_SIGNED.read_bytes()
IPAWS_SENT = datetime(2019, 4, 19, 17, 46, 20, tzinfo=UTC)
CAP_BODY = IPAWS[: IPAWS.index(b"<ds:Signature")]  # the signed part: `<?xml ...><alert>...`
SENT = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
FAKE = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>'


@cache
def signer(name: str) -> Signer:
    return make_signer(name)


def cap(description: str = "Brand") -> bytes:
    return (
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>s1</identifier>'
        "<sender>vr01@example.nl</sender><sent>2025-06-02T14:00:00+02:00</sent>"
        "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info>"
        "<category>Fire</category><event>Brand</event><urgency>Immediate</urgency>"
        "<severity>Severe</severity><certainty>Observed</certainty>"
        f"<description>{description}</description><area><areaDesc>Tolbert</areaDesc></area>"
        "</info></alert>"
    ).encode()


def test_the_real_ipaws_message_verifies_with_its_own_certificate_pinned() -> None:
    check = check_signature(IPAWS, [ipaws_certificate()], at=IPAWS_SENT)
    assert check.verdict is Verdict.VERIFIED
    assert check.signer is not None
    assert "CN=IPAWSOPEN_200302" in check.signer
    assert check.fingerprint is not None
    assert len(check.fingerprint) == 64  # SHA-256 in hex


def test_unpinned_it_is_intact_but_untrusted() -> None:
    check = check_signature(IPAWS, [signer("someone else").cert], at=IPAWS_SENT)
    assert check.verdict is Verdict.UNTRUSTED
    assert check.signer is not None
    assert "IPAWSOPEN" in check.signer


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"AlertSense", b"AlertSensf"),  # content
        (b"<scope>Public", b"<scope>Pablic"),  # content the hub shows
        (b"z7I8lE0Q", b"z7I8lE1Q"),  # the digest
        (b"dstYURn0", b"dstYURn1"),  # the signature value
    ],
)
def test_one_character_changed_is_never_verified(old: bytes, new: bytes) -> None:
    tampered = IPAWS.replace(old, new, 1)
    assert tampered != IPAWS
    check = check_signature(tampered, [ipaws_certificate()], at=IPAWS_SENT)
    assert check.verdict is Verdict.INVALID
    assert check.reason


def test_the_certificate_must_cover_the_moment_the_message_was_sent() -> None:
    """The IPAWS certificate expired in 2022: a message claiming to be sent later fails."""
    check = check_signature(IPAWS, [ipaws_certificate()], at=datetime(2023, 1, 1, tzinfo=UTC))
    assert check.verdict is Verdict.INVALID
    assert "expired" in check.reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_changed_byte_of_the_signed_content_is_never_verified(data: st.DataObject) -> None:
    start = CAP_BODY.index(b"<alert")
    index = data.draw(st.integers(start, len(CAP_BODY) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != IPAWS[index]))
    tampered = IPAWS[:index] + bytes([byte]) + IPAWS[index + 1 :]
    check = check_signature(tampered, [ipaws_certificate()], at=IPAWS_SENT)
    assert check.verdict is not Verdict.VERIFIED


def test_a_self_made_signature_is_untrusted_unless_pinned_then_verified() -> None:
    body = signer("vr01").sign(cap())
    assert check_signature(body, [], at=SENT).verdict is Verdict.UNTRUSTED
    assert check_signature(body, [ipaws_certificate()], at=SENT).verdict is Verdict.UNTRUSTED
    pinned = check_signature(body, [signer("vr01").cert], at=SENT)
    assert pinned.verdict is Verdict.VERIFIED
    assert pinned.signer == "CN=vr01"


def test_a_forged_signature_naming_a_pinned_certificate_is_invalid() -> None:
    """Signed with the forger's key but carrying the IPAWS certificate: the key does not match."""
    forged = signer("forger").sign(cap(), cert=ipaws_certificate())
    check = check_signature(forged, [ipaws_certificate()], at=IPAWS_SENT)
    assert check.verdict is Verdict.INVALID


def test_a_signature_moved_onto_other_content_is_invalid() -> None:
    """The IPAWS signature grafted onto another alert: the digest no longer matches."""
    signature = IPAWS[IPAWS.index(b"<ds:Signature") : IPAWS.index(b"</alert>")]
    grafted = cap().replace(b"</alert>", signature + b"</alert>")
    check = check_signature(grafted, [ipaws_certificate()], at=IPAWS_SENT)
    assert check.verdict is Verdict.INVALID


def test_a_reference_to_part_of_the_document_is_invalid() -> None:
    """Only `URI=""` (the whole alert) counts: a signature over a fragment could be wrapped."""
    body = signer("vr01").sign(cap()).replace(b'URI=""', b'URI="#part"')
    check = check_signature(body, [signer("vr01").cert], at=SENT)
    assert check.verdict is Verdict.INVALID
    assert "whole document" in check.reason


@pytest.mark.parametrize(
    "description",
    [
        f"<![CDATA[{FAKE}]]>",  # CDATA
        FAKE.replace("<", "&lt;").replace(">", "&gt;"),  # escaped text
        f"see <!-- {FAKE} --> this",  # a comment
    ],
    ids=["cdata", "text", "comment"],
)
def test_a_signature_inside_cdata_text_or_a_comment_is_not_a_signature(description: str) -> None:
    body = cap(description)
    assert check_signature(body, [signer("vr01").cert], at=SENT).verdict is Verdict.ABSENT
    assert parse_cap(body).signature is None


def test_the_real_signature_is_kept_verbatim_even_behind_a_cdata_decoy() -> None:
    """The old pattern over raw bytes kept the decoy; the parser keeps the element."""
    escaped = FAKE.replace("<", "&lt;").replace(">", "&gt;").encode()
    signed = signer("vr01").sign(cap(escaped.decode()))
    body = signed.replace(escaped, f"<![CDATA[{FAKE}]]>".encode())  # the same text to c14n
    assert b"<![CDATA[" in body
    assert body.index(b"CDATA") < body.index(b"SignatureValue")
    message = parse_cap(body)
    assert message.signature is not None
    assert "SignatureValue" in message.signature
    assert message.signature.encode() in body
    assert check_signature(body, [signer("vr01").cert], at=SENT).verdict is Verdict.VERIFIED


def test_not_xml_means_no_signature() -> None:
    assert check_signature(b'{"json": true}', [], at=SENT).verdict is Verdict.ABSENT
    assert check_signature(b"", [], at=SENT).verdict is Verdict.ABSENT


@settings(max_examples=80, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("<>/:ds=\"' Signature[]!CDAT-x")), max_size=80))
def test_no_text_in_an_element_is_ever_a_signature(text: str) -> None:
    """Whatever characters a description holds (escaped, or as CDATA), there is no signature."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for description in (escaped, f"<![CDATA[{text.replace(']]>', '')}]]>"):
        body = cap(description)
        assert parse_cap(body).signature is None
        assert check_signature(body, [], at=SENT).verdict is Verdict.ABSENT


def test_an_empty_signature_element_is_kept_whole_and_invalid() -> None:
    empty = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="a/>b"/>'
    body = cap().replace(b"</alert>", empty.encode() + b"</alert>")
    assert parse_cap(body).signature == empty
    assert check_signature(body, [], at=SENT).verdict is Verdict.INVALID
