"""Attacks, tried as an attacker would: over real HTTP against a real `alerthub serve`.

Partners are added with the real CLI on the hub's data directory while it runs; the hub sees
them (and their revocation) at once. Each refusal must be problem+json naming the reason, write
nothing, and leave the server serving. The brute-force test runs last: it locks out 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.conftest import Server, add_partner

NLALERT = Path(__file__).parents[2] / "examples" / "messages" / "nlalert"
XML = {"content-type": "application/xml"}
JSON = {"content-type": "application/json"}
ISSUER, AUDIENCE = "https://idp.example.nl", "alerthub"


def cap(
    identifier: str,
    sender: str,
    *,
    msg_type: str = "Alert",
    references: str = "",
    status: str = "Actual",
    sent: str = "2026-06-01T10:00:00+02:00",
    geocode: str = "GM0363",
) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
 <identifier>{identifier}</identifier><sender>{sender}</sender><sent>{sent}</sent>
 <status>{status}</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
 <info><category>Fire</category><event>Brand</event><urgency>Immediate</urgency>
  <severity>Severe</severity><certainty>Observed</certainty><headline>{identifier}</headline>
  <area><areaDesc>Amsterdam</areaDesc>
   <geocode><valueName>CBS-GM</valueName><value>{geocode}</value></geocode></area></info>
</alert>""".encode()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


@pytest.fixture(scope="module")
def jwks_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """An RSA key of a stand-in OAuth 2.0 issuer, its public half published as a JWKS file."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    path = tmp_path_factory.mktemp("idp") / "jwks.json"
    path.write_text(json.dumps({"keys": [public | {"kid": "k1", "use": "sig", "alg": "RS256"}]}))
    return key, path


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, jwks_key: tuple[Any, Path]
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("attacks")
    running = Server(
        folder / "data",
        folder / "server.log",
        ALERTHUB_AUTH_FAILURE_LIMIT="20",
        ALERTHUB_OAUTH_ISSUER=ISSUER,
        ALERTHUB_OAUTH_AUDIENCE=AUDIENCE,
        ALERTHUB_OAUTH_JWKS=str(jwks_key[1]),
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, str]:
    """Two safety regions on CAP with their own senders, and a feed partner on NL-Alert."""
    return {
        "vr13": add_partner(server, "vr13", "--channel", "cap", "--sender", "vr13@nl"),
        "vr01": add_partner(
            server, "vr01", "--channel", "cap", "--sender", "vr01@nl", "--area", "GM0014"
        ),
        "nlfeed": add_partner(server, "nlfeed", "--channel", "nlalert", "--sender", "nl-alert.nl"),
    }


def post(
    client: httpx.Client, body: bytes, key: str | None, channel: str = "cap"
) -> httpx.Response:
    headers = XML if channel == "cap" else JSON
    if key is not None:
        headers = headers | {"authorization": f"Bearer {key}"}
    return client.post(f"/v1/channels/{channel}/messages", content=body, headers=headers)


@pytest.fixture
def anon(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def alert_count(admin: httpx.Client) -> int:
    return len(admin.get("/v1/alerts", params={"lifecycle": "all", "limit": 1000}).json()["items"])


def test_anonymous_and_forged_publishing_is_401(server: Server, anon: httpx.Client) -> None:
    before = alert_count(server.client())
    for key in (None, "ahk_000000000000_" + "A" * 43, "not-a-key", server.key + "x"):
        body = problem(post(anon, cap(f"anon-{key}", "vr13@nl"), key), 401)
        assert "WWW-Authenticate" in post(anon, cap("anon", "vr13@nl"), key).headers
        assert body["type"] == "/problems/unauthenticated"
    basic = anon.post("/v1/channels/cap/messages", headers={"authorization": "Basic dTpw"})
    problem(basic, 401)
    assert alert_count(server.client()) == before
    assert anon.get("/healthz").status_code == 200  # still serving


def test_a_channel_not_granted_is_403_naming_it(anon: httpx.Client, keys: dict[str, str]) -> None:
    item = (NLALERT / "fire-smoke-item.json").read_bytes()
    body = problem(post(anon, item, keys["vr13"], channel="nlalert"), 403)
    assert body["right"] == "channel:nlalert"


def test_a_sender_not_granted_is_403_naming_it(anon: httpx.Client, keys: dict[str, str]) -> None:
    body = problem(post(anon, cap("fake-1", "vr01@nl"), keys["vr13"]), 403)
    assert body["right"] == "sender:vr01@nl"


def test_an_area_not_granted_is_403(anon: httpx.Client, keys: dict[str, str]) -> None:
    body = problem(post(anon, cap("vr01-ams", "vr01@nl", geocode="GM0363"), keys["vr01"]), 403)
    assert body["right"] == "area:Amsterdam"
    assert (
        post(anon, cap("vr01-gron", "vr01@nl", geocode="GM0014"), keys["vr01"]).status_code == 202
    )


def test_update_and_cancel_of_another_partners_alert_are_403_and_change_nothing(
    server: Server, anon: httpx.Client, keys: dict[str, str]
) -> None:
    accepted = post(anon, cap("own-1", "vr13@nl"), keys["vr13"])
    assert accepted.status_code == 202, accepted.text
    alert_id = accepted.json()["accepted"][0]["alert_id"]
    ref = "vr13@nl,own-1,2026-06-01T10:00:00+02:00"
    later = "2026-06-01T11:00:00+02:00"
    for msg_type in ("Update", "Cancel"):
        # vr01 uses its own sender and area, but points at vr13's alert
        attack = cap(
            f"hijack-{msg_type}",
            "vr01@nl",
            msg_type=msg_type,
            references=ref,
            sent=later,
            geocode="GM0014",
        )
        body = problem(post(anon, attack, keys["vr01"]), 403)
        assert body["right"] == "owner"
    alert = server.client().get(f"/v1/alerts/{alert_id}").json()
    assert alert["version"] == 1
    assert alert["ended"] is None  # not cancelled (sent in June with no expires: expired since)
    # an administrator may, and its events say for whom it acted
    cancel = cap("admin-cancel", "vr13@nl", msg_type="Cancel", references=ref, sent=later)
    assert post(anon, cancel, server.key).status_code == 202
    events = server.client().get(f"/v1/alerts/{alert_id}/events").json()["items"]
    assert events[-1]["type"] == "AlertEnded"
    assert events[-1]["provenance"]["partner"] == "local"
    assert events[-1]["provenance"]["acting_for"] == "vr13"


def test_identifier_squatting_across_senders_is_impossible(
    anon: httpx.Client, keys: dict[str, str]
) -> None:
    squat = problem(post(anon, cap("vr13-next", "vr13@nl"), keys["vr01"]), 403)
    assert squat["right"] == "sender:vr13@nl"
    own_sender = post(anon, cap("vr13-next", "vr01@nl", geocode="GM0014"), keys["vr01"])
    assert (
        own_sender.status_code == 202
    )  # the same identifier under its own sender: another message
    real = post(anon, cap("vr13-next", "vr13@nl"), keys["vr13"])
    assert real.status_code == 202, real.text  # the real message is not blocked (no 409)
    assert real.json()["duplicates"] == 0
    assert real.json()["accepted"][0]["alert_id"] != own_sender.json()["accepted"][0]["alert_id"]


def test_an_empty_whole_feed_is_refused_unless_meant(
    server: Server, anon: httpx.Client, keys: dict[str, str]
) -> None:
    feed = (NLALERT / "feed-two-items.json").read_bytes()
    assert post(anon, feed, keys["nlfeed"], channel="nlalert").status_code == 202
    empty = b'{"data": []}'
    refused = problem(post(anon, empty, keys["nlfeed"], channel="nlalert"), 409)
    assert refused["count"] == 2
    assert "2" in refused["detail"]
    assert [a["ended"] for a in nlalert_alerts(server)] == [None, None]
    meant = anon.post(
        "/v1/channels/nlalert/messages",
        content=empty,
        headers=JSON
        | {"authorization": f"Bearer {keys['nlfeed']}", "AlertHub-Confirm-End": "true"},
    )
    assert meant.status_code == 202, meant.text
    assert {a["lifecycle"] for a in nlalert_alerts(server)} == {"ended"}


def nlalert_alerts(server: Server) -> list[dict[str, Any]]:
    with server.client() as admin:
        params = {"channel": "nlalert", "lifecycle": "all"}
        items: list[dict[str, Any]] = admin.get("/v1/alerts", params=params).json()["items"]
    assert len(items) == 2
    return items


def test_non_public_alerts_are_for_the_channels_partners_only(
    server: Server, anon: httpx.Client, keys: dict[str, str]
) -> None:
    posted = post(anon, cap("exercise-1", "vr13@nl", status="Exercise"), keys["vr13"])
    alert_id = posted.json()["accepted"][0]["alert_id"]
    problem(anon.get(f"/v1/alerts/{alert_id}"), 401)
    problem(anon.get(f"/v1/alerts/{alert_id}/events"), 401)
    listed = anon.get("/v1/alerts", params={"lifecycle": "all", "limit": 1000}).json()["items"]
    assert alert_id not in {a["alert_id"] for a in listed}
    nl_only = {"authorization": f"Bearer {keys['nlfeed']}"}
    assert problem(anon.get(f"/v1/alerts/{alert_id}", headers=nl_only), 403)["right"]
    as_vr13 = anon.get(
        f"/v1/alerts/{alert_id}", headers={"authorization": f"Bearer {keys['vr13']}"}
    )
    assert as_vr13.status_code == 200


def test_oauth2_access_tokens_of_the_issuer_are_accepted_and_others_refused(
    anon: httpx.Client, keys: dict[str, str], jwks_key: tuple[Any, Path]
) -> None:
    private = jwks_key[0]
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "svc-vr13", "client_id": "vr13"}
    claims["exp"] = int(time.time()) + 300

    def token(**changes: Any) -> str:
        return jwt.encode(claims | changes, private, algorithm="RS256", headers={"kid": "k1"})

    accepted = post(anon, cap("jwt-1", "vr13@nl"), token())
    assert accepted.status_code == 202, accepted.text
    alert_id = accepted.json()["accepted"][0]["alert_id"]
    events = anon.get(f"/v1/alerts/{alert_id}/events").json()["items"]
    assert events[0]["provenance"]["auth_method"] == "oauth2"
    assert events[0]["provenance"]["credential"] == "svc-vr13"
    for bad in (
        token(aud="someone-else"),
        token(iss="https://evil.example"),
        token(exp=int(time.time()) - 60),
        token(client_id="nobody"),
        jwt.encode(claims, "a-shared-secret-of-32-bytes-or-more!", algorithm="HS256"),
    ):
        problem(post(anon, cap("jwt-bad", "vr13@nl"), bad), 401)


def test_a_rotated_or_revoked_key_stops_working_at_once(server: Server, anon: httpx.Client) -> None:
    key = add_partner(server, "shortlived", "--channel", "cap", "--sender", "short@nl")
    assert post(anon, cap("short-1", "short@nl"), key).status_code == 202
    subprocess.run(
        [sys.executable, "-m", "hub.cli", "partners", "revoke", "shortlived"],
        env={"ALERTHUB_DATA_DIR": str(server.data_dir), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    problem(post(anon, cap("short-2", "short@nl"), key), 401)


def test_every_event_in_history_names_its_publisher(server: Server) -> None:
    with server.client() as admin:
        alerts = admin.get("/v1/alerts", params={"lifecycle": "all", "limit": 1000}).json()
        assert len(alerts["items"]) >= 5
        for alert in alerts["items"]:
            events = admin.get(f"/v1/alerts/{alert['alert_id']}/events").json()["items"]
            for event in events:
                provenance = event["provenance"]
                assert provenance["partner"]
                assert provenance["auth_method"] in {"api_key", "oauth2"}
                assert provenance["signature"]["verdict"] in {
                    "verified",
                    "invalid",
                    "untrusted",
                    "absent",
                }
                assert provenance["request_id"]


def test_metrics_cannot_be_forged_through_a_channel_name(
    server: Server, anon: httpx.Client
) -> None:
    with server.client() as admin:
        admin.post("/v1/channels/x%0Afake_metric%201/messages", content=b"x", headers=XML)
        admin.post('/v1/channels/x"}%20fake_metric%201/messages', content=b"x", headers=XML)
    metrics = anon.get("/metrics").text
    assert not [line for line in metrics.splitlines() if line.startswith("fake_metric")]
    assert "fake_metric" not in metrics


def test_only_an_administrator_may_erase_personal_data(
    server: Server, anon: httpx.Client, keys: dict[str, str]
) -> None:
    """Anonymous: 401; a partner that is no administrator, even the alert's publisher: 403."""
    posted = post(anon, cap("erase-me", "vr13@nl"), keys["vr13"])
    alert_id = posted.json()["accepted"][0]["alert_id"]
    path, body = f"/v1/alerts/{alert_id}/erasure", {"reason": "an attacker's wish"}
    problem(anon.post(path, json=body), 401)
    as_vr13 = {"authorization": f"Bearer {keys['vr13']}"}
    assert problem(anon.post(path, json=body, headers=as_vr13), 403)["right"] == "admin"
    with server.client() as admin:
        events = admin.get(f"/v1/alerts/{alert_id}/events").json()["items"]
        assert [e["type"] for e in events] == ["AlertIssued"]
        assert admin.get(f"/v1/alerts/{alert_id}").json()["erased"] is None


def test_a_brute_force_of_keys_is_slowed_and_the_server_keeps_serving(
    server: Server, anon: httpx.Client
) -> None:
    """Runs last in this module: it leaves 127.0.0.1 rate-limited for the window."""
    statuses = [
        post(anon, cap("brute", "vr13@nl"), f"ahk_{i:012x}_" + "B" * 43).status_code
        for i in range(25)
    ]
    first_limited = statuses.index(429)  # earlier tests' failures count too (limit 20)
    assert 0 < first_limited <= 20
    assert set(statuses[:first_limited]) == {401}
    assert set(statuses[first_limited:]) == {429}
    limited = post(anon, cap("brute", "vr13@nl"), server.key)  # even a good key, for now
    body = problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert body["retry_after"] >= 1
    assert anon.get("/v1/alerts").status_code == 200  # public reads stay open
    assert "auth.rate_limited" in server.log.read_text()
