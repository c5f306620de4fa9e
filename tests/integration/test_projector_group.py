"""Two `alerthub project` processes share the partitions; killing one loses nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.kafka_broker import KafkaBroker
from domain.state import AlertState
from projections.alerts import AlertQuery, find_alerts
from tests.conftest import HubFactory
from tests.factories import T0, cap, later, message
from tests.integration.kafka_helpers import eventually, kafka_settings

pytestmark = pytest.mark.kafka


def projector(settings: dict[str, object], data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {f"ALERTHUB_{k.upper()}": str(v) for k, v in settings.items()}
    env |= {"ALERTHUB_DATA_DIR": str(data_dir), "ALERTHUB_LOG_FORMAT": "console"}
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "project"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def assigned(log: Path) -> set[int]:
    """The partitions a projector was last assigned, from its own log."""
    found = re.findall(r"projector\.assigned\s+partitions=\[([\d, ]*)\]", log.read_text())
    return {int(p) for p in found[-1].split(",") if p.strip()} if found else set()


def test_two_projectors_share_the_work_and_survive_a_kill(
    make_hub: HubFactory, kafka: KafkaBroker, tmp_path: Path
) -> None:
    settings = kafka_settings(kafka, kafka_partitions=3)
    hub = make_hub(**settings, run_projector=False)
    hub.start()
    data_dir = hub.settings.data_dir

    def alerts() -> list[AlertState]:
        return find_alerts(hub.views.connect(), AlertQuery(lifecycle=None, limit=1000), T0).items

    logs = [tmp_path / "p1.log", tmp_path / "p2.log"]
    procs = [projector(settings, data_dir, log) for log in logs]
    try:
        eventually(lambda: all(assigned(log) for log in logs), timeout=60)
        assert assigned(logs[0]) | assigned(logs[1]) == {0, 1, 2}
        assert not assigned(logs[0]) & assigned(logs[1])

        def send(prefix: str, count: int) -> None:
            for i in range(count):
                first = message(f"{prefix}{i}")
                hub.service.handle([cap(first)])
                hub.service.handle(
                    [
                        cap(
                            message(
                                f"{prefix}{i}u",
                                msg_type="Update",
                                sent=later(1),
                                references=[first],
                            )
                        )
                    ]
                )

        send("g", 30)
        eventually(lambda: not any(hub.follower.lag().values()), timeout=60)
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        send("h", 30)  # partitions of the dead one move to the survivor
        eventually(lambda: assigned(logs[1]) == {0, 1, 2}, timeout=60)
        # Wait for the views themselves: a lag of zero may be measured against the last head
        # seen when the broker answers slowly (a loaded machine), before the relay's new ends.
        eventually(lambda: len(alerts()) == 60, timeout=120)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    states = alerts()
    assert len(states) == 60
    assert {s.version for s in states} == {2}  # each event applied exactly once
