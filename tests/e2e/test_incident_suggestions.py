"""Suggested incidents over real HTTP: one child in two systems is suggested, never merged, and an
administrator's verdict is recorded with the partner who gave it."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server, add_partner
from tests.factories import burgernet_action


@pytest.fixture(scope="module")
def ids(server: Server) -> dict[str, str]:
    posts = {
        "amber": ("amber", (EXAMPLES / "amber" / "01-amber-alert-national.json").read_bytes()),
        "child": (
            "burgernet",
            burgernet_action(
                61001,
                "AMBER Alert: Noor Voorbeeld (9) ontvoerd",
                "Burgernet: De politie zoekt Noor Voorbeeld (9). Ziet u Noor? Bel 112.",
                amber=True,
            ),
        ),
        "car": (
            "burgernet",
            burgernet_action(
                61002,
                "Gezocht: grijze Volkswagen Golf",
                "Burgernet: Gezocht: een grijze Volkswagen Golf. Ziet u de auto? Bel Burgernet.",
                amber=False,
            ),
        ),
    }
    found = {}
    with server.client(timeout=30) as client:
        for name, (channel, body) in posts.items():
            response = client.post(
                f"/v1/channels/{channel}/messages",
                content=body,
                headers={"content-type": "application/json"},
            )
            assert response.status_code == 202, response.text
            found[name] = response.json()["accepted"][0]["alert_id"]
    return found


def suggested(client: httpx.Client) -> list[dict[str, object]]:
    response = client.get("/v1/incidents/suggestions", params={"lifecycle": "all"})
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_one_child_in_two_systems_is_suggested_and_nothing_else(
    client: httpx.Client, ids: dict[str, str]
) -> None:
    (only,) = suggested(client)
    assert set(only["alert_ids"]) == {ids["amber"], ids["child"]}  # type: ignore[arg-type]
    assert only["status"] == "suggested"
    assert only["score"] >= 0.6  # type: ignore[operator]
    assert any("missing child" in r for r in only["reasons"])  # type: ignore[attr-defined]
    # never merged silently: each alert is still its own incident
    incidents = client.get("/v1/incidents", params={"lifecycle": "all"}).json()["items"]
    grouped = [{a["alert_id"] for a in i["alerts"]} for i in incidents]
    assert {ids["amber"], ids["child"]} not in grouped


def test_a_verdict_needs_an_administrator(
    server: Server, client: httpx.Client, ids: dict[str, str]
) -> None:
    (only,) = suggested(client)
    url = f"/v1/incidents/suggestions/{only['suggestion_id']}/confirm"
    publisher = add_partner(server, "vr04", "--channel", "burgernet", "--sender", "vr04@nl")
    for headers, status in (
        ({"authorization": ""}, 401),
        ({"authorization": "Bearer ahk_wrong"}, 401),
        ({"authorization": f"Bearer {publisher}"}, 403),
    ):
        response = client.post(url, headers=headers)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert suggested(client)[0]["status"] == "suggested"  # nothing was written


def test_confirm_then_reject_are_recorded_with_the_reviewer(
    client: httpx.Client, ids: dict[str, str]
) -> None:
    (only,) = suggested(client)
    base = f"/v1/incidents/suggestions/{only['suggestion_id']}"
    confirmed = client.post(f"{base}/confirm", json={"reason": "same child"})
    assert confirmed.status_code == 200, confirmed.text
    answer = confirmed.json()
    assert (answer["status"], answer["review_reason"], answer["reviewed_by"]) == (
        "confirmed",
        "same child",
        "local",
    )
    again = client.post(f"{base}/confirm", json={"reason": "same child"})
    assert again.status_code == 409, again.text
    rejected = client.post(f"{base}/reject")
    assert rejected.status_code == 200, rejected.text
    shown = client.get(base).json()
    assert (shown["status"], shown["reviewed_by"]) == ("rejected", "local")


def test_an_unknown_suggestion_is_404(client: httpx.Client, ids: dict[str, str]) -> None:
    unknown = "/v1/incidents/suggestions/00000000-0000-0000-0000-000000000000"
    assert client.get(unknown).status_code == 404
    assert client.post(f"{unknown}/confirm").status_code == 404
