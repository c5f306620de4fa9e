"""CAP out over real HTTP: Atom feeds a feed reader understands, CAP documents valid against the
XSD, conditional GETs, and two hubs chained through a feed."""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path

import feedparser
import httpx
import pytest
import xmlschema

from tests.e2e.conftest import Server
from tests.factories import cap_xml
from tests.integration.kafka_helpers import eventually

XSD = Path(__file__).parents[1] / "fixtures" / "cap" / "CAP-v1.2.xsd"
XML = {"content-type": "application/cap+xml"}


@cache
def cap_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD.resolve()), allow="sandbox", use_fallback=False)


def publish(client: httpx.Client, body: bytes) -> str:
    response = client.post("/v1/channels/cap/messages", content=body, headers=XML)
    assert response.status_code == 202, response.text
    return str(response.json()["accepted"][0]["alert_id"])


@pytest.fixture(scope="module")
def published(server: Server) -> dict[str, str]:
    """A public alert, a Test one and a Restricted one, by what they are."""
    with server.client(timeout=10) as client:
        return {
            "public": publish(client, cap_xml(f"feed-{uuid.uuid4()}")),
            "test": publish(client, cap_xml(f"feed-{uuid.uuid4()}", status="Test")),
            "restricted": publish(client, cap_xml(f"feed-{uuid.uuid4()}", scope="Restricted")),
        }


@pytest.mark.parametrize("feed", ["all", "cap", "nlalert"])
def test_feeds_parse_cleanly_and_show_only_public_alerts(
    client: httpx.Client, published: dict[str, str], feed: str
) -> None:
    response = client.get(f"/v1/feeds/{feed}.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    ids = {entry.id for entry in parsed.entries}
    assert f"urn:uuid:{published['public']}" in ids
    assert f"urn:uuid:{published['test']}" not in ids
    assert f"urn:uuid:{published['restricted']}" not in ids
    entry = next(e for e in parsed.entries if e.id == f"urn:uuid:{published['public']}")
    assert entry.title == "Grote brand, sluit ramen en deuren"
    assert entry.updated_parsed is not None
    assert [link.type for link in entry.links] == ["application/cap+xml"]


def test_every_linked_cap_document_is_xsd_valid(
    client: httpx.Client, published: dict[str, str]
) -> None:
    parsed = feedparser.parse(client.get("/v1/feeds/all.atom").content)
    assert parsed.entries
    for entry in parsed.entries:
        cap = client.get(entry.links[0].href)
        assert cap.status_code == 200
        assert cap.headers["content-type"].startswith("application/cap+xml")
        cap_schema().validate(xmlschema.XMLResource(cap.text, defuse="always"))
    public = client.get(f"/v1/alerts/{published['public']}.cap").text
    assert "<headline>Large fire, close windows and doors</headline>" in public


def test_alerts_the_public_may_not_see_have_no_cap_url(
    client: httpx.Client, published: dict[str, str]
) -> None:
    for kind in ("test", "restricted"):
        response = client.get(f"/v1/alerts/{published[kind]}.cap")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/alerts/{uuid.uuid4()}.cap").status_code == 404
    assert client.get("/v1/feeds/no-such-channel.atom").status_code == 404


@pytest.mark.parametrize("path", ["/v1/feeds/all.atom", "/v1/feeds/nlalert.atom", "CAP"])
def test_conditional_get_answers_304_until_something_changes(
    client: httpx.Client, published: dict[str, str], path: str
) -> None:
    path = f"/v1/alerts/{published['public']}.cap" if path == "CAP" else path
    first = client.get(path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    by_tag = client.get(path, headers={"If-None-Match": etag})
    assert by_tag.status_code == 304
    assert by_tag.content == b""
    assert by_tag.headers["etag"] == etag
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_new_alert_changes_the_feed_validators(client: httpx.Client) -> None:
    before = client.get("/v1/feeds/all.atom")
    publish(client, cap_xml(f"feed-{uuid.uuid4()}"))
    after = client.get("/v1/feeds/all.atom", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert (
        len(feedparser.parse(after.content).entries)
        == len(feedparser.parse(before.content).entries) + 1
    )


def test_two_hubs_chain_through_the_feed(server: Server, tmp_path: Path) -> None:
    """What the first hub accepts appears in the second, which follows the first's Atom feed."""
    feed = json.dumps({"cap": f"{server.url}/v1/feeds/all.atom"})
    env = {"ALERTHUB_POLL_FEEDS": feed, "ALERTHUB_POLL_INTERVAL": "0.2"}
    second = Server(tmp_path / "data", tmp_path / "second.log", **env)
    try:
        identifier = f"chain-{uuid.uuid4()}"
        with server.client(timeout=10) as first:
            publish(first, cap_xml(identifier, headline="Via de keten"))
            publish(first, cap_xml(f"chain-{uuid.uuid4()}", status="Exercise"))

        def arrived() -> list[dict[str, object]]:
            items = httpx.get(f"{second.url}/v1/alerts", params={"limit": 1000}).json()["items"]
            return [a for a in items if a["identifier"] == identifier]

        eventually(lambda: bool(arrived()), timeout=60)
        alert = arrived()[0]
        assert alert["origin"]["channel"] == "cap"  # type: ignore[index]
        assert alert["info"][0]["headline"] == "Via de keten"  # type: ignore[index]
        everything = httpx.get(f"{second.url}/v1/alerts", params={"limit": 1000}).json()
        statuses = {a["status"] for a in everything["items"]}
        assert statuses == {"Actual"}, "only what the public may see travels through the feed"
    finally:
        second.stop()
