"""`POST /v1/alerts/{alert_id}/erasure` on a running hub: the administrator erases, on record.

The server's local partner is an administrator (it is made so on first start). Refusals to
others are in the attack suite.
"""

from __future__ import annotations

import time
from uuid import uuid4

import httpx

from domain.personal import ERASED
from tests.e2e.conftest import Server
from tests.privacy_helpers import burgernet_action, files_holding, unique_person

JSON = {"content-type": "application/json"}


def posted_alert(client: httpx.Client, person: str) -> str:
    posted = client.post(
        "/v1/channels/burgernet/messages", content=burgernet_action(person), headers=JSON
    )
    assert posted.status_code == 202, posted.text
    alert_id: str = posted.json()["accepted"][0]["alert_id"]
    return alert_id


def test_an_administrator_erases_once_and_is_named(server: Server, client: httpx.Client) -> None:
    person = unique_person()
    alert_id = posted_alert(client, person)
    assert person in client.get(f"/v1/alerts/{alert_id}").text

    first = client.post(f"/v1/alerts/{alert_id}/erasure", json={"reason": "case closed"})
    assert first.status_code == 200, first.text
    assert first.json()["recorded"] is True
    assert first.json()["erased_by"] == "local"
    again = client.post(f"/v1/alerts/{alert_id}/erasure", json={"reason": "once more"})
    assert again.status_code == 200, again.text
    assert again.json()["recorded"] is False
    assert again.json()["erased_at"] == first.json()["erased_at"]

    shown = client.get(f"/v1/alerts/{alert_id}")  # the answer waited for the views
    assert person not in shown.text
    assert ERASED in shown.text
    erased = shown.json()["erased"]
    assert (erased["by"], erased["reason"]) == ("local", "case closed")
    events = client.get(f"/v1/alerts/{alert_id}/events").json()["items"]
    erasures = [e for e in events if e["type"] == "PersonalDataErased"]
    assert len(erasures) == 1
    assert erasures[0]["provenance"]["partner"] == "local"
    assert erasures[0]["provenance"]["auth_method"] == "api_key"
    assert person not in str(events)
    for _ in range(100):  # the projector scrubs the views' WAL once no reader holds it
        if not files_holding(server.data_dir, person):
            break
        time.sleep(0.05)
    assert files_holding(server.data_dir, person) == []


def test_erasing_an_unknown_alert_is_404(client: httpx.Client) -> None:
    answer = client.post(f"/v1/alerts/{uuid4()}/erasure", json={"reason": "typo"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_erasure_without_a_reason_is_400_and_erases_nothing(client: httpx.Client) -> None:
    person = unique_person()
    alert_id = posted_alert(client, person)
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}, {"why": "r"}):
        answer = client.post(f"/v1/alerts/{alert_id}/erasure", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    not_json = client.post(f"/v1/alerts/{alert_id}/erasure", content=b"{", headers=JSON)
    assert not_json.status_code == 400
    shown = client.get(f"/v1/alerts/{alert_id}").json()
    assert shown["erased"] is None
    assert person in str(shown)
