"""Signed messages through the real ingest path: verdicts, refusals, kept originals, re-checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from domain.errors import SignatureRequiredError
from domain.original import OriginalMessage, body_digest, original_id
from domain.partner import PartnerRights
from domain.provenance import OPERATOR, AuthMethod, Provenance, Verdict
from domain.rights import Publisher
from hub.cli.main import main
from tests.conftest import HubFactory
from tests.signing import IPAWS_SIGNED, ipaws_certificate

CAP = "application/cap+xml"
IPAWS = IPAWS_SIGNED.read_bytes()
IPAWS_PEM = ipaws_certificate().public_bytes(Encoding.PEM).decode()
RIGHTS = PartnerRights(
    channels=frozenset({"cap"}),
    senders=frozenset({"bbrundage@dps.state.nv.us"}),
    require_signature=True,
    certificates=(IPAWS_PEM,),
)
MUST_SIGN = Publisher(
    rights=RIGHTS, provenance=Provenance(partner="nv", auth_method=AuthMethod.API_KEY)
)


def test_a_verified_message_is_accepted_and_its_original_kept(make_hub: HubFactory) -> None:
    hub = make_hub()
    result = hub.service.ingest("cap", IPAWS, CAP, publisher=MUST_SIGN)
    assert result.signature is not None
    assert result.signature.verdict is Verdict.VERIFIED
    original = hub.store.repository.get(original_id(body_digest(IPAWS)))
    assert isinstance(original, OriginalMessage)
    assert original.raw == IPAWS
    assert original.signature["verdict"] == "verified"
    assert original.partner == "nv"
    assert original.alerts == [str(a.alert_id) for a in result.accepted]
    events = list(hub.store.events.get(result.accepted[0].alert_id))  # issued, then ended
    for event in events:
        assert event.provenance["partner"] == "nv"  # type: ignore[attr-defined]
        assert event.provenance["signature"]["verdict"] == "verified"  # type: ignore[attr-defined]
        assert "IPAWSOPEN" in event.provenance["signature"]["signer"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        IPAWS.replace(b"AlertSense", b"AlertSensf"),
        IPAWS[: IPAWS.index(b"<ds:Signature")] + b"</alert>",
    ],
    ids=["tampered", "unsigned"],
)
def test_a_partner_that_must_sign_is_refused_anything_else(
    make_hub: HubFactory, body: bytes
) -> None:
    hub = make_hub()
    with pytest.raises(SignatureRequiredError) as refused:
        hub.service.ingest("cap", body, CAP, publisher=MUST_SIGN)
    assert "must sign every message" in str(refused.value)
    assert hub.store.max_position() == 0  # nothing written, the original neither


def test_other_partners_get_the_verdict_recorded(make_hub: HubFactory) -> None:
    hub = make_hub()
    result = hub.service.ingest("cap", IPAWS.replace(b"AlertSense", b"AlertSensf"), CAP)
    assert result.signature is not None
    assert result.signature.verdict is Verdict.INVALID
    assert hub.store.max_position() > 0


def test_the_same_bytes_twice_keep_one_original(make_hub: HubFactory) -> None:
    hub = make_hub()
    hub.service.ingest("cap", IPAWS, CAP)
    position = hub.store.max_position()
    again = hub.service.ingest("cap", IPAWS, CAP)
    assert again.duplicates == 1
    assert hub.store.max_position() == position


def test_recheck_repeats_the_verdict_and_shows_an_unpinned_certificate(
    make_hub: HubFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the partner's pins of today: unpinning its certificate turns `verified` untrusted."""
    hub = make_hub()
    hub.registry.add("nv", RIGHTS, by=OPERATOR.to_json())
    hub.service.ingest("cap", IPAWS, CAP, publisher=MUST_SIGN)
    data_dir = str(hub.settings.data_dir)
    capsys.readouterr()  # what setting up the hub logged (a new master key, say)

    assert main(["signatures", "--data-dir", data_dir]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["now"]["verdict"] == same["recorded"]["verdict"] == "verified"
    assert same["intact"] is True

    unpinned = RIGHTS.model_copy(update={"certificates": (), "require_signature": False})
    hub.registry.grant("nv", unpinned, by=OPERATOR.to_json())
    assert main(["signatures", "--data-dir", data_dir, "--changed-only"]) == 1
    changed = json.loads(capsys.readouterr().out)
    assert changed["now"]["verdict"] == "untrusted"
    assert changed["changed"] is True

    pem = tmp_path / "ipaws.pem"
    pem.write_text(IPAWS_PEM)
    assert main(["signatures", "--data-dir", data_dir, "--trust-cert", str(pem)]) == 0
