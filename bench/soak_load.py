"""The soak's load: every channel over HTTP and over Kafka ingress, at a steady, bounded rate.

Every message is new (its own identifier), so each acknowledged one must end as exactly one
alert. What counts as acknowledged: a 202 over HTTP; a broker acknowledgement (`acks=all`) on an
ingress topic. HTTP posts authenticate as the soak's partner; the ingress topics are the
partner-less ones (the operator's). Every answer is counted by status, so the checks can tell
the 503s of a fault from an error that should never happen.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaProducer

from bench.messages import EXAMPLES, burgernet_body, cap_body
from hub.streaming.client_options import CLIENT_OPTIONS
from hub.streaming.topics import ingress_topic

CHANNELS = ("cap", "nlalert", "amber", "burgernet")
MEDIA = {"cap": "application/cap+xml"}


def message(channel: str, number: int) -> tuple[str, bytes]:
    """A fresh native message of `channel` and the text its alert's identifier will contain."""
    if channel == "cap":
        return f"BENCH-{number}", cap_body(number)
    if channel == "burgernet":
        return f"burgernet-{50_000_000 + number}-", burgernet_body(number)
    if channel == "nlalert":
        item: dict[str, Any] = json.loads(
            (EXAMPLES / "nlalert" / "fire-smoke-item.json").read_text()
        )
        item["id"] = str(uuid.UUID(int=number))
        return f"nlalert-{item['id']}-", json.dumps(item).encode()
    alert: dict[str, Any] = json.loads(
        Path(EXAMPLES / "amber" / "01-amber-alert-national.json").read_text()
    )
    alert["AlertId"] = str(900_000 + number)
    return f"amber-{alert['AlertId']}", json.dumps(alert).encode()


@dataclass
class Tally:
    """What the load saw: statuses, and which messages were acknowledged or only tried."""

    statuses: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> channel
    attempted: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str, channel: str, status: str, *, acknowledged: bool) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.attempted[key] = channel
            if acknowledged:
                self.acknowledged[key] = channel


class Load:
    """Threads posting over HTTP and publishing on ingress topics until `stop()`."""

    def __init__(
        self, url: str, bootstrap: str, key: str, *, http_rate: float, kafka_rate: float
    ) -> None:
        self.url, self.bootstrap, self.key = url, bootstrap, key
        self.http_rate, self.kafka_rate = http_rate, kafka_rate
        self.tally = Tally()
        self._numbers = itertools.count(1)
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._http, name="soak-http", daemon=True),
            threading.Thread(target=self._kafka, name="soak-kafka", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _paced(self, rate: float) -> Any:
        for number in self._numbers:
            if self._stopping.is_set():
                return
            started = time.monotonic()
            yield number, CHANNELS[number % len(CHANNELS)]
            self._stopping.wait(max(0.0, 1 / rate - (time.monotonic() - started)))

    def _http(self) -> None:
        auth = {"authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.url, timeout=15, headers=auth) as client:
            for number, channel in self._paced(self.http_rate):
                key, body = message(channel, number)
                headers = {"content-type": MEDIA.get(channel, "application/json")}
                try:
                    response = client.post(
                        f"/v1/channels/{channel}/messages", content=body, headers=headers
                    )
                except httpx.TransportError as exc:
                    self.tally.record(
                        key, channel, f"http:{type(exc).__name__}", acknowledged=False
                    )
                    continue
                status = response.status_code
                self.tally.record(key, channel, f"http:{status}", acknowledged=status == 202)

    def _kafka(self) -> None:
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            retries=5,
            request_timeout_ms=10_000,
            max_block_ms=10_000,
            **CLIENT_OPTIONS,
        )
        try:
            for number, channel in self._paced(self.kafka_rate):
                key, body = message(channel, number)
                headers = [("content-type", MEDIA.get(channel, "application/json").encode())]
                try:
                    producer.send(ingress_topic(channel), body, headers=headers).get(timeout=15)
                except Exception as exc:  # a broker outage: tried, not acknowledged
                    self.tally.record(
                        key, channel, f"kafka:{type(exc).__name__}", acknowledged=False
                    )
                    continue
                self.tally.record(key, channel, "kafka:acked", acknowledged=True)
        finally:
            try:
                producer.close(timeout=10)
            except Exception:  # unsent records were never acknowledged: nothing to keep
                producer.close(timeout=0)
