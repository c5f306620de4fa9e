"""Fault tests on the real broker: the hub SIGKILLed mid-relay, the ingress consumer killed.

The hub runs as a real `alerthub serve` process; faults are real signals and a real broker stop.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer

from devtools.kafka_broker import KafkaBroker
from hub.streaming.avro import AvroCodec
from hub.streaming.topics import ingress_topic
from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server
from tests.integration.kafka_helpers import eventually, kafka_settings, read_topic, unique

pytestmark = pytest.mark.kafka
TEMPLATE = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()
XML = {"content-type": "application/cap+xml"}


def cap_message(identifier: str) -> bytes:
    return TEMPLATE.replace(b"KSTO1055887203", identifier.encode())


def start_server(folder: Path, settings: dict[str, object]) -> Server:
    env = {f"ALERTHUB_{k.upper()}": str(v) for k, v in settings.items()}
    return Server(folder / "data", folder / f"server-{unique('log')}.log", **env)


def relay_lag(server: Server) -> int:
    checks = httpx.get(f"{server.url}/readyz", timeout=5).json()["checks"]
    return int(checks["relay"]["lag"])


def on_topic(broker: KafkaBroker, topic: str) -> list[tuple[str, int]]:
    codec = AvroCodec()
    events = [codec.decode(r.value) for r in read_topic(broker.bootstrap, topic, timeout=20)]
    return [(str(e.originator_id), e.originator_version) for e in events]


def test_hub_killed_mid_relay_loses_nothing(tmp_path: Path, kafka: KafkaBroker) -> None:
    """SIGKILL while events wait for the relay (broker down), then SIGKILL while relaying."""
    settings = kafka_settings(kafka)
    server = start_server(tmp_path, settings)
    ids = [unique("K") for _ in range(60)]
    with server.client(timeout=30) as client:
        for identifier in ids[:20]:
            assert (
                client.post(
                    "/v1/channels/cap/messages", content=cap_message(identifier), headers=XML
                ).status_code
                == 202
            )
        kafka.stop(keep_work_dir=True)
        try:
            for identifier in ids[20:40]:
                assert (
                    client.post(
                        "/v1/channels/cap/messages", content=cap_message(identifier), headers=XML
                    ).status_code
                    == 202
                )
            assert relay_lag(server) > 0  # accepted and durable, not yet on Kafka
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()
        finally:
            kafka.start()
    server = start_server(tmp_path, settings)
    try:
        with server.client(timeout=30) as client:
            for identifier in ids[40:]:
                client.post(
                    "/v1/channels/cap/messages", content=cap_message(identifier), headers=XML
                )
        server.process.send_signal(signal.SIGKILL)  # very likely mid-relay of the last batch
        server.process.wait()
        server = start_server(tmp_path, settings)
        eventually(lambda: relay_lag(server) == 0, timeout=90)
    finally:
        server.stop()
    published = on_topic(kafka, settings["kafka_topic"])  # type: ignore[arg-type]
    assert len(set(published)) == len(ids)  # every alert's AlertIssued, at least once
    assert {version for _, version in published} == {1}


def test_ingress_consumer_killed_loses_and_doubles_nothing(
    tmp_path: Path, kafka: KafkaBroker
) -> None:
    settings = kafka_settings(kafka, kafka_ingress=True)
    ids = [unique("I") for _ in range(200)]
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    for identifier in ids:
        producer.send(
            ingress_topic("cap"),
            value=cap_message(identifier),
            headers=[("content-type", b"application/cap+xml")],
        )
    producer.flush()
    producer.close()
    server = start_server(tmp_path, settings)

    def ingested() -> set[str]:
        items = httpx.get(
            f"{server.url}/v1/alerts", params={"lifecycle": "all", "limit": 1000}, timeout=10
        ).json()["items"]
        return {a["identifier"] for a in items if a["identifier"] in set(ids)}

    eventually(lambda: len(ingested()) >= 20, timeout=60)  # part-way through the topic
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    server = start_server(tmp_path, settings)
    try:
        eventually(lambda: ingested() == set(ids), timeout=120)
        items = httpx.get(
            f"{server.url}/v1/alerts", params={"lifecycle": "all", "limit": 1000}, timeout=10
        ).json()["items"]
        mine = [a for a in items if a["identifier"] in set(ids)]
        assert len(mine) == len(ids)
        assert {a["version"] for a in mine} == {1}  # no message applied twice
    finally:
        server.stop()
