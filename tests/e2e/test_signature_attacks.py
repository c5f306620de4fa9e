"""Signature attacks over real HTTP: forged, tampered, hidden and untrusted never `verified`.

Partners on the module's own real `alerthub serve`: `signer` must sign with its pinned
certificate, `loose` need not (its verdicts are recorded and shown). Each attack is tried against
both: the first refuses it with 422 naming the verdict and records nothing, the second records
it, but never as `verified`.
"""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.e2e.conftest import Server
from tests.e2e.test_attacks import XML, add_partner, cap, problem
from tests.signing import IPAWS_SIGNED, Signer, ipaws_certificate, make_signer

FAKE = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>'


@pytest.fixture(scope="module")
def desk() -> Signer:
    return make_signer("signer.example.nl")


@pytest.fixture(scope="module")
def keys(server: Server, desk: Signer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    pems = tmp_path_factory.mktemp("pems")
    (pems / "desk.pem").write_bytes(desk.cert_pem)
    (pems / "ipaws.pem").write_bytes(ipaws_certificate().public_bytes(Encoding.PEM))
    strict = ("--require-signature", "--trust-cert", str(pems / "desk.pem"))
    return {
        "signer": add_partner(server, "signer", "--channel", "cap", "--sender", "s@nl", *strict),
        "loose": add_partner(server, "loose", "--channel", "cap", "--sender", "l@nl"),
        "nv": add_partner(
            server,
            "nv",
            "--channel",
            "cap",
            "--sender",
            "bbrundage@dps.state.nv.us",
            "--require-signature",
            "--trust-cert",
            str(pems / "ipaws.pem"),
        ),
    }


def post(server: Server, key: str, body: bytes) -> httpx.Response:
    with server.client(key) as client:
        return client.post("/v1/channels/cap/messages", content=body, headers=XML)


def graft(signed: bytes, other: bytes) -> bytes:
    """The signature of `signed` moved onto `other` (a different alert)."""
    signature = signed[signed.index(b"<ds:Signature") : signed.rindex(b"</alert>")]
    return other.replace(b"</alert>", signature + b"</alert>")


def attacks(desk: Signer, identifier: str, sender: str) -> dict[str, tuple[bytes, str]]:
    """Each attack on a message of `sender`, with the verdict it must get."""
    signed = desk.sign(cap(identifier, sender))
    return {
        "tampered": (signed.replace(b"Brand", b"Braad", 1), "invalid"),
        "forged": (make_signer("forger").sign(cap(identifier, sender), cert=desk.cert), "invalid"),
        "untrusted": (make_signer("someone").sign(cap(identifier, sender)), "untrusted"),
        "hidden": (
            cap(identifier, sender).replace(b"Brand<", f"<![CDATA[{FAKE}]]><".encode()),
            "absent",
        ),
        "grafted": (graft(signed, cap(identifier, sender, geocode="GM0999")), "invalid"),
    }


def test_a_message_signed_with_the_pinned_certificate_is_verified(
    server: Server, keys: dict[str, str], desk: Signer
) -> None:
    response = post(server, keys["signer"], desk.sign(cap("good-1", "s@nl")))
    assert response.status_code == 202, response.text
    assert response.json()["signature"]["verdict"] == "verified"
    alert_id = response.json()["accepted"][0]["alert_id"]
    with server.client() as admin:
        (event,) = admin.get(f"/v1/alerts/{alert_id}/events").json()["items"]
        alert = admin.get(f"/v1/alerts/{alert_id}").json()
    assert event["provenance"]["signature"]["verdict"] == "verified"
    assert event["provenance"]["signature"]["signer"] == "CN=signer.example.nl"
    assert alert["signature"] == event["provenance"]["signature"]


def test_the_real_ipaws_cancel_verifies_with_its_certificate_pinned(
    server: Server, keys: dict[str, str]
) -> None:
    body = IPAWS_SIGNED.read_bytes()
    response = post(server, keys["nv"], body)
    assert response.status_code == 202, response.text
    assert response.json()["signature"]["verdict"] == "verified"
    tampered = post(server, keys["nv"], body.replace(b"AlertSense", b"AlertSensf"))
    assert "invalid" in problem(tampered, 422)["detail"]


@pytest.mark.parametrize("attack", ["tampered", "forged", "untrusted", "hidden", "grafted"])
def test_a_partner_that_must_sign_gets_422_naming_the_verdict(
    server: Server, keys: dict[str, str], desk: Signer, attack: str
) -> None:
    body, verdict = attacks(desk, f"strict-{attack}", "s@nl")[attack]
    with server.client() as admin:
        before = len(admin.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"])
        assert (
            f"signature is {verdict}" in problem(post(server, keys["signer"], body), 422)["detail"]
        )
        after = len(admin.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"])
    assert after == before


@pytest.mark.parametrize("attack", ["tampered", "forged", "untrusted", "hidden", "grafted"])
def test_other_partners_get_the_verdict_recorded_never_verified(
    server: Server, keys: dict[str, str], desk: Signer, attack: str
) -> None:
    body, verdict = attacks(desk, f"loose-{attack}", "l@nl")[attack]
    response = post(server, keys["loose"], body)
    assert response.status_code == 202, response.text
    assert response.json()["signature"]["verdict"] == verdict
    alert_id = response.json()["accepted"][0]["alert_id"]
    with server.client() as admin:
        (event,) = admin.get(f"/v1/alerts/{alert_id}/events").json()["items"]
        alert = admin.get(f"/v1/alerts/{alert_id}").json()
    assert event["provenance"]["signature"]["verdict"] == verdict
    assert alert["signature"]["verdict"] == verdict  # the alert shows the verdict, not "signed"
