"""The proof on the bytes: a person named in a Burgernet action, through the running hub on Kafka.

Before erasure the name is readable through the API (and an export), yet absent from the event
store's file and from the canonical topic's log segments on the broker's disk; after an
administrator's `POST /v1/alerts/{id}/erasure`, no file under the data dir, no export, no SSE
replay and no Kafka segment holds it, the API shows the alert erased, and a full rebuild of the
views still works."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools.kafka_broker import KafkaBroker
from domain.personal import ERASED
from tests.e2e.conftest import Server
from tests.integration.kafka_helpers import read_topic, unique
from tests.privacy_helpers import burgernet_action, files_holding, unique_person


class KafkaHub:
    def __init__(self, broker: KafkaBroker, folder: Path) -> None:
        self.broker, self.folder, self.data = broker, folder, folder / "data"
        self.topic = unique("alerthub.alerts.privacy")
        self.env = {
            "ALERTHUB_DATA_DIR": str(self.data),
            "ALERTHUB_KAFKA_BOOTSTRAP": broker.bootstrap,
            "ALERTHUB_KAFKA_TOPIC": self.topic,
            "ALERTHUB_KAFKA_GROUP": unique("alerthub-privacy"),
            "ALERTHUB_KAFKA_INGRESS": "false",
            "ALERTHUB_PROJECTION_POLL_INTERVAL": "0.05",
            "ALERTHUB_READ_YOUR_WRITES_TIMEOUT": "10",
        }
        self.server = Server(self.data, folder / "server.log", **self.env)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub.cli", *args],
            env=os.environ | self.env | {"ALERTHUB_LOG_FORMAT": "console"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def segments(self) -> list[Path]:
        return sorted((self.broker.work_dir / "data").glob(f"{self.topic}-*/*.log"))

    def export(self, name: str) -> str:
        out = self.folder / name
        done = self.cli("export", "--format", "jsonl", "--output", str(out))
        assert done.returncode == 0, done.stderr
        return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def hub(kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaHub]:
    if not kafka_broker.is_running:
        kafka_broker.start()
    running = KafkaHub(kafka_broker, tmp_path_factory.mktemp("privacy"))
    yield running
    running.server.stop()


def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def test_a_named_person_is_erased_from_every_byte(hub: KafkaHub) -> None:
    person = unique_person()
    client = hub.server.client(timeout=15)  # the local partner: publisher and administrator
    posted = client.post(
        "/v1/channels/burgernet/messages",
        content=burgernet_action(person, action_id=31415926),
        headers={"Content-Type": "application/json"},
    )
    assert posted.status_code == 202, posted.text
    alert_id = posted.json()["accepted"][0]["alert_id"]

    # Before: readable through the API and an export, but only ciphertext at rest and on Kafka.
    assert person in client.get(f"/v1/alerts/{alert_id}").text
    eventually(
        lambda: any(r.key == alert_id.encode() for r in read_topic(hub.broker.bootstrap, hub.topic))
    )
    assert hub.segments()
    assert any(alert_id.encode() in p.read_bytes() for p in hub.segments())
    assert not [p for p in hub.segments() if person.encode() in p.read_bytes()]
    assert not [p for p in files_holding(hub.data, person) if p.name.startswith("events.")]
    assert person in hub.export("before.jsonl")

    ended = client.post(
        "/v1/channels/burgernet/messages",
        content=burgernet_action(person, action_id=31415926, ended=True),
        headers={"Content-Type": "application/json"},
    )
    assert ended.status_code == 202, ended.text
    assert client.get(f"/v1/alerts/{alert_id}").json()["lifecycle"] == "ended"

    erase = client.post(
        f"/v1/alerts/{alert_id}/erasure", json={"reason": "case closed; family asked"}
    )
    assert erase.status_code == 200, erase.text
    assert erase.json()["recorded"] is True
    eventually(lambda: client.get(f"/v1/alerts/{alert_id}").json()["erased"] is not None)

    # After: the API shows the marker; nothing anywhere holds the name.
    shown = client.get(f"/v1/alerts/{alert_id}")
    assert person not in shown.text
    assert ERASED in shown.text
    assert shown.json()["erased"]["by"] == "local"
    assert shown.json()["info"][0]["areas"][0]["description"] == "Amersfoort"
    eventually(lambda: not files_holding(hub.data, person))
    assert not [p for p in hub.segments() if person.encode() in p.read_bytes()]
    after = hub.export("after.jsonl")
    assert person not in after
    assert "PersonalDataErased" in after
    assert ERASED in after
    replays: list[str] = []

    def replay() -> bool:  # a broker's first fetches may come back empty: the replay ends early
        replays.append(
            client.get("/v1/stream", params={"follow": "false", "last_event_id": "0"}).text
        )
        return alert_id in replays[-1]

    eventually(replay)
    assert "PersonalDataErased" in replays[-1]
    assert person not in replays[-1]
    history = client.get(f"/v1/alerts/{alert_id}/events").text
    assert person not in history
    assert "PersonalDataErased" in history

    # A second erasure (the operator's CLI) records nothing; a full rebuild shows it erased still.
    again = hub.cli("erase", alert_id, "--reason", "again")
    assert again.returncode == 0, again.stderr
    assert '"recorded": false' in again.stdout
    assert '"erased_by": "local"' in again.stdout
    rebuilt = hub.cli("projections", "rebuild", "--all")
    assert rebuilt.returncode == 0, rebuilt.stderr
    shown = client.get(f"/v1/alerts/{alert_id}")
    assert shown.json()["erased"] is not None
    assert person not in shown.text
    assert not files_holding(hub.data, person)
    client.close()
