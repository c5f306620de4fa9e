"""`python -m bench.kafka_reconnect`: how long a group consumer stays idle after broker restarts.

The projector reads the canonical topic as a member of a consumer group. When the broker is
SIGKILLed and restarted (the fault soak does this), the consumer must find the broker, its group
coordinator and its partitions' leader again; until then `poll` just comes back empty, with no
error. This measures, for kafka-python's default client options and for the hub's
(`hub.streaming.client_options`), how long the consumer had read nothing at each look, 8 s after
each restart, while a producer kept writing. Loopback only; a few minutes in all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from bench.core import note
from devtools.kafka_broker import KafkaBroker
from hub.streaming.client_options import CLIENT_OPTIONS
from hub.streaming.kafka import KafkaStream

LOOK_AFTER_S = 8.0
DOWN_S = 4.0


class _Raw:
    """No decoding: the records are counted, never read."""

    def decode(self, value: bytes) -> Any:
        return value

    def encode(self, event: Any) -> Any:
        raise NotImplementedError


class _Traffic:
    """A producer writing and a group consumer reading one 3-partition topic, in threads."""

    def __init__(self, bootstrap: str, topic: str, options: dict[str, Any]) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.sent = self.read = 0
        self.last_read = time.monotonic()
        self._stop = threading.Event()
        self._stream = KafkaStream(bootstrap, topic, _Raw(), group_id=f"g-{topic}", options=options)
        self._threads = [threading.Thread(target=f, daemon=True) for f in (self._read, self._write)]

    def __enter__(self) -> _Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._stream.close()

    def idle(self) -> float:
        return time.monotonic() - self.last_read

    def _read(self) -> None:
        at: dict[int, int] = {}
        while not self._stop.is_set():
            try:
                page = self._stream.read(at, 500)
            except Exception:  # the broker is down: the projector's worker backs off too
                self._stop.wait(0.5)
                continue
            for record in page:
                at[record.partition] = record.position
            if page:
                self.read, self.last_read = self.read + len(page), time.monotonic()
            else:
                self._stop.wait(0.2)

    def _write(self) -> None:
        producer: KafkaProducer | None = None
        while not self._stop.is_set():
            try:
                producer = producer or KafkaProducer(
                    bootstrap_servers=self.bootstrap, max_block_ms=3000, **CLIENT_OPTIONS
                )
                producer.send(self.topic, b"x").get(timeout=10)
                self.sent += 1
            except Exception:  # the broker is down: a new producer once it is back
                if producer is not None:
                    with contextlib.suppress(Exception):  # unsent records: nothing to keep
                        producer.close(timeout=0)
                producer = None
                self._stop.wait(0.5)
            self._stop.wait(0.02)


def measure(broker: KafkaBroker, name: str, options: dict[str, Any], restarts: int) -> list[float]:
    """Seconds the consumer had read nothing, looked at `LOOK_AFTER_S` after each restart."""
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(name, 3, 1)])
    admin.close()
    idle: list[float] = []
    with _Traffic(broker.bootstrap, name, options) as traffic:
        time.sleep(LOOK_AFTER_S)
        for _ in range(restarts):
            broker.kill()
            time.sleep(DOWN_S)
            broker.start()
            time.sleep(LOOK_AFTER_S)
            idle.append(round(traffic.idle(), 1))
            note(f"{name}: idle {idle[-1]} s ({traffic.sent} sent, {traffic.read} read)")
    return idle


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kafka_reconnect", description=__doc__)
    parser.add_argument("--restarts", type=int, default=4, help="broker restarts per option set")
    args = parser.parse_args(argv)
    defaults = {"reconnect_backoff_max_ms": 30_000, "metadata_max_age_ms": 300_000}  # its own
    with KafkaBroker() as broker:
        result = {
            "kafka_python_defaults": measure(broker, "defaults", defaults, args.restarts),
            "hub_client_options": measure(broker, "hub", dict(CLIENT_OPTIONS), args.restarts),
            "look_after_restart_s": LOOK_AFTER_S,
        }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
