"""Dutch views keep to the Netherlands, and alerts are found by place, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

XML = {"content-type": "application/cap+xml"}
DUTCH_VIEWS = ("nlalert", "amber", "burgernet")
DAM = (52.3731, 4.8926)  # Dam square, Amsterdam (GM0363, VR13, PV27)
UTRECHT = (52.0907, 5.1214)


def cap(identifier: str, area: str, *, event: str = "Gifwolk", code: str = "") -> bytes:
    event_code = f"<eventCode><valueName>SAME</valueName><value>{code}</value></eventCode>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>vr13@example.nl</sender>
  <sent>2026-11-30T10:00:00+01:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>nl-NL</language><category>CBRNE</category><event>{event}</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    {event_code if code else ""}
    <headline>{event}</headline><area><areaDesc>gebied</areaDesc>{area}</area></info>
</alert>""".encode()


AMSTERDAM_POLYGON = "<polygon>52.36,4.87 52.39,4.87 52.39,4.92 52.36,4.92 52.36,4.87</polygon>"
AMSTERDAM_BY_CODE = "<geocode><valueName>CBS-GM</valueName><value>GM0363</value></geocode>"


@pytest.fixture(scope="module")
def alerts(server: Server) -> dict[str, str]:
    """Foreign and Dutch alerts posted once; their ids by name."""
    posted = {
        "us_storm": (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes(),
        "us_amber": (EXAMPLES / "cap" / "a4-amber-alert-multilingual.xml").read_bytes(),
        "ams_polygon": cap("nl-1", AMSTERDAM_POLYGON),
        "ams_code": cap("nl-2", AMSTERDAM_BY_CODE, event="Vermist kind", code="CAE"),
        "ams_test": cap("nl-3", AMSTERDAM_POLYGON).replace(b">Actual<", b">Test<"),
    }
    ids = {}
    with server.client(timeout=30) as client:
        for name, body in posted.items():
            response = client.post("/v1/channels/cap/messages", content=body, headers=XML)
            assert response.status_code == 202, response.text
            ids[name] = response.json()["accepted"][0]["alert_id"]
    return ids


def view_ids(client: httpx.Client, channel: str) -> set[str]:
    response = client.get(f"/v1/views/{channel}", params={"lifecycle": "all"})
    assert response.status_code == 200, response.text
    return {item["alert_id"] for item in response.json()["items"]}


def found(client: httpx.Client, **params: str) -> set[str]:
    response = client.get("/v1/alerts", params={"lifecycle": "all", "status": "Actual", **params})
    assert response.status_code == 200, response.text
    return {item["alert_id"] for item in response.json()["items"]}


def test_a_foreign_alert_is_canonical_and_cap_but_in_no_dutch_view(
    client: httpx.Client, alerts: dict[str, str]
) -> None:
    foreign = {alerts["us_storm"], alerts["us_amber"]}
    assert foreign <= found(client)
    assert foreign <= view_ids(client, "cap")
    for channel in DUTCH_VIEWS:
        assert not foreign & view_ids(client, channel), channel


def test_dutch_alerts_reach_the_dutch_views(client: httpx.Client, alerts: dict[str, str]) -> None:
    """Severe, immediate, a polygon in Amsterdam: NL-Alert; a missing child by code: AMBER."""
    assert alerts["ams_polygon"] in view_ids(client, "nlalert")
    assert alerts["ams_code"] in view_ids(client, "amber")


def test_a_municipality_code_finds_polygon_alerts_too(
    client: httpx.Client, alerts: dict[str, str]
) -> None:
    assert found(client, geocode="GM0363") == {alerts["ams_polygon"], alerts["ams_code"]}
    assert found(client, geocode="VR13") == {alerts["ams_polygon"], alerts["ams_code"]}
    assert found(client, geocode="GM0344") == set()  # Utrecht
    assert alerts["us_storm"] in found(client, geocode="006109")  # a foreign code, as named


def test_a_point_finds_the_alerts_covering_it(client: httpx.Client, alerts: dict[str, str]) -> None:
    assert found(client, point=f"{DAM[0]},{DAM[1]}") == {alerts["ams_polygon"], alerts["ams_code"]}
    assert found(client, point=f"{UTRECHT[0]},{UTRECHT[1]}") == set()
    assert found(client, point="38.47,-119.95") == {alerts["us_storm"]}


@pytest.mark.parametrize("point", ["91,4", "52.1,181", "52.1", "a,b", "52.1;4.3", "1,2,3"])
def test_a_bad_point_is_a_problem(client: httpx.Client, point: str) -> None:
    response = client.get("/v1/alerts", params={"point": point})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "point" in response.text


def test_without_expires_the_default_lifetime_is_assumed(
    client: httpx.Client, alerts: dict[str, str]
) -> None:
    """Sent in 2026-11 with no expires: 24 hours later (the default) it reads as expired."""
    alert = client.get(f"/v1/alerts/{alerts['ams_polygon']}").json()
    assert alert["expires"] == "2026-12-01T10:00:00+01:00"
    assert alert["expires_assumed"] is True
    stated = client.get(f"/v1/alerts/{alerts['us_storm']}").json()
    assert stated["expires_assumed"] is False


def test_test_alerts_stay_out_of_incidents_unless_asked(
    client: httpx.Client, alerts: dict[str, str]
) -> None:
    def incident_alerts(**params: str) -> set[str]:
        items = client.get("/v1/incidents", params={"lifecycle": "all", **params}).json()["items"]
        return {a["alert_id"] for incident in items for a in incident["alerts"]}

    assert alerts["ams_test"] not in incident_alerts()
    assert alerts["ams_polygon"] in incident_alerts()
    assert alerts["ams_test"] in incident_alerts(tests="true")
