"""Push end to end on real parts: a real HTTP receiver on loopback that checks every signature,
fails and times out before it answers, a real SMTP server (aiosmtpd), the real SQLite files and
the Dutch boundaries the hub ships."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook

from hub.bootstrap import Hub
from hub.subscriptions.errors import InvalidSubscriptionError, TargetRefusedError
from hub.subscriptions.model import State, SubscriptionRequest
from tests.conftest import HubFactory

BURGERNET = sorted(Path("examples/messages/burgernet").glob("0[123]-*.json"))
AMERSFOORT, BUNSCHOTEN = "GM0307", "GM0313"


class Receiver:
    """A webhook receiver that answers verifications, verifies signatures and deduplicates by
    `webhook-id`; `script` says how to answer the next deliveries (503s, a stall, then 200)."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.secret: str | None = None
        self.accepted: list[str] = []  # webhook ids, in order of first acceptance
        self.payloads: dict[str, dict[str, Any]] = {}
        self.answers: list[str] = []
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                code, answer = receiver.handle(body, dict(self.headers.items()))
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the hub gave up waiting (the stall)

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        data = json.loads(body)
        if data.get("type") == "subscription.verification":
            return 200, json.dumps({"challenge": data["challenge"]}).encode()
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            assert self.secret is not None
            Webhook(self.secret).verify(body, lowered)
        except Exception:
            with self.lock:
                self.bad_signatures += 1
            return 401, b"{}"
        with self.lock:
            step = self.script.pop(0) if self.script else "ok"
            self.answers.append(step)
        if step == "fail":
            return 503, b"{}"
        if step == "stall":
            time.sleep(1.5)
        with self.lock:
            event_id = lowered["webhook-id"]
            if event_id not in self.payloads:
                self.accepted.append(event_id)
                self.payloads[event_id] = data
        return 200, b"{}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def push_hub(make_hub: HubFactory, smtp: tuple[Inbox, int]) -> Hub:
    hub = make_hub(
        webhook_allow_private=True,
        delivery_first_retry=0.05,
        delivery_max_retry=0.2,
        delivery_timeout=0.5,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        public_url="https://hub.example",
    )
    hub.start()
    return hub


def subscribe(hub: Hub, area: dict[str, Any], target: dict[str, str], **more: Any) -> Any:
    request = SubscriptionRequest.model_validate({"area": area, "target": target, **more})
    return hub.push.service.create("gemeente", request)


def post_burgernet(hub: Hub) -> None:
    for path in BURGERNET:
        hub.service.ingest("burgernet", path.read_bytes(), "application/json")


def test_webhook_deliveries_survive_failures_and_a_timeout_exactly_once_in_order(
    push_hub: Hub,
) -> None:
    receiver = Receiver(["fail", "fail", "stall", "fail"])
    try:
        sub = subscribe(push_hub, {"geocode": AMERSFOORT}, {"webhook": receiver.url})
        receiver.secret = push_hub.push.service.secret(sub.subscription_id)
        post_burgernet(push_hub)
        wait_until(lambda: len(receiver.accepted) == 3)
        versions = [receiver.payloads[e]["version"] for e in receiver.accepted]
        assert versions == [1, 2, 3]
        types = [receiver.payloads[e]["type"] for e in receiver.accepted]
        assert types == ["alert.issued", "alert.updated", "alert.ended"]
        assert receiver.answers[:4] == ["fail", "fail", "stall", "fail"]
        assert receiver.bad_signatures == 0
        group = receiver.payloads[receiver.accepted[0]]["group_message"]["text"]
        assert group.startswith("Burgernet: ")
        assert "0800-0011" in group
        wait_until(
            lambda: all(
                d["state"] == "delivered"
                for d in push_hub.push.service.store.deliveries(sub.subscription_id)
            )
        )
        history = push_hub.push.service.store.deliveries(sub.subscription_id)
        assert len(history) == 3  # one delivery per event, however many attempts
        outcomes = [a["outcome"] for d in reversed(history) for a in d["attempts"]]
        assert "timeout" in outcomes
        assert outcomes.count("http-error") == 3
    finally:
        receiver.close()


def test_a_municipality_gets_the_alert_that_covers_it_and_not_the_one_next_door(
    push_hub: Hub,
) -> None:
    here, next_door = Receiver([]), Receiver([])
    try:
        for code, receiver in ((AMERSFOORT, here), (BUNSCHOTEN, next_door)):
            sub = subscribe(push_hub, {"geocode": code}, {"webhook": receiver.url})
            receiver.secret = push_hub.push.service.secret(sub.subscription_id)
        post_burgernet(push_hub)  # a 2 km circle inside Amersfoort
        wait_until(lambda: len(here.accepted) == 3)
        push_hub.workers[-1].wake()
        time.sleep(1.0)
        assert next_door.accepted == []
    finally:
        here.close()
        next_door.close()


def test_email_is_confirmed_first_then_carries_the_group_text_and_the_cap_xml(
    push_hub: Hub, smtp: tuple[Inbox, int]
) -> None:
    inbox = smtp[0]
    sub = subscribe(
        push_hub,
        {"circle": {"lat": 52.18, "lon": 5.41, "radius_km": 3}},
        {"email": "coordinator@buurtwacht.example"},
    )
    assert sub.state is State.PENDING
    wait_until(lambda: len(inbox.messages) == 1)
    push_hub.service.ingest("burgernet", BURGERNET[0].read_bytes(), "application/json")
    time.sleep(1.0)
    assert len(inbox.messages) == 1  # nothing before confirmation
    body = inbox.messages[0].get_payload(decode=True).decode()
    link = re.search(r"https://hub\.example\S+token=(\S+)", body)
    assert link is not None
    push_hub.push.service.confirm(sub.subscription_id, link.group(1))
    push_hub.service.ingest("burgernet", BURGERNET[1].read_bytes(), "application/json")
    wait_until(lambda: len(inbox.messages) >= 2)
    mail = inbox.messages[1]
    parts = {p.get_content_type(): p for p in mail.walk()}
    assert {"text/plain", "text/html", "application/cap+xml"} <= set(parts)
    assert b"<alert" in parts["application/cap+xml"].get_payload(decode=True)
    assert "0800-0011" in parts["text/plain"].get_payload(decode=True).decode()


def test_refusals_store_nothing(push_hub: Hub) -> None:
    silent = Receiver([])
    silent.handle = lambda body, headers: (200, b"{}")  # type: ignore[method-assign]
    try:
        with pytest.raises(TargetRefusedError, match="challenge"):
            subscribe(push_hub, {"geocode": AMERSFOORT}, {"webhook": silent.url})
        with pytest.raises(InvalidSubscriptionError, match="unknown geocode"):
            subscribe(push_hub, {"geocode": "GM9999"}, {"webhook": silent.url})
        outside = [[40.0, -74.0], [40.0, -73.0], [41.0, -73.0], [40.0, -74.0]]
        with pytest.raises(InvalidSubscriptionError, match="outside the Netherlands"):
            subscribe(push_hub, {"polygon": outside}, {"webhook": silent.url}, channels=["nlalert"])
        assert push_hub.push.service.store.find() == []
    finally:
        silent.close()
