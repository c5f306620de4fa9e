"""What every benchmark shares: results, sizes per mode, the run context, percentiles, machine.

A `Result` carries its own target and direction so the table and the JSON can say met/missed
without a second list of targets that could drift from the code that measures.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from devtools.kafka_broker import KafkaBroker
from devtools.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
Better = Literal["higher", "lower"]


@dataclass
class Result:
    name: str
    value: float
    unit: str
    better: Better
    target: float | None = None
    conditions: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.better == "higher" else self.value <= self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 4),
            "unit": self.unit,
            "target": self.target,
            "better": self.better,
            "met": self.met,
            "conditions": self.conditions,
        }


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does; `--quick` and `--smoke` shrink it, not its shape."""

    mode: str
    ingest_messages: int  # per channel
    ingest_clients: int
    appends: int
    e2e_seconds: float
    e2e_rate: float
    ladder: tuple[int, ...]  # stream events in the pre-filled stores (growth)
    rebuild_budget: float  # seconds an unindexed rebuild may run before it is cut short
    on_top: int  # messages ingested on top of a pre-filled store

    @property
    def mid(self) -> int:
        """The size relay and replay are reported at (the 100k of the full run)."""
        return self.ladder[len(self.ladder) // 2] if len(self.ladder) > 2 else self.ladder[-1]

    @property
    def rss_pair(self) -> tuple[int, int]:
        return self.ladder[-2], self.ladder[-1]


SIZES = {
    "full": Sizes("full", 5000, 8, 10_000, 30.0, 100.0, (10_000, 100_000, 1_000_000), 90.0, 200),
    "quick": Sizes("quick", 800, 8, 3000, 10.0, 100.0, (2000, 10_000, 50_000), 30.0, 150),
    "smoke": Sizes("smoke", 40, 2, 200, 2.0, 20.0, (300, 1000), 10.0, 20),
}


def note(text: str) -> None:
    """Progress on stderr: stdout carries only the final table."""
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


class Context:
    """One run: sizes, a scratch folder, a Kafka broker started on first use, shared fixtures."""

    def __init__(self, sizes: Sizes, work: Path | None = None) -> None:
        self.sizes = sizes
        self.work = Path(tempfile.mkdtemp(prefix="alerthub-bench-", dir=work))
        self._broker: KafkaBroker | None = None
        self._postgres: PostgresServer | None = None
        self.memo: dict[tuple[Any, ...], Any] = {}
        self._counter = 0

    def folder(self, name: str) -> Path:
        self._counter += 1
        path = self.work / f"{self._counter:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def once(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """Expensive measurements shared by several benchmarks run once per run."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @property
    def kafka(self) -> str:
        if self._broker is None:
            note("starting a Kafka broker")
            self._broker = KafkaBroker()
            self._broker.start()
        return self._broker.bootstrap

    @property
    def postgres(self) -> PostgresServer:
        if self._postgres is None:
            note("starting a PostgreSQL server")
            self._postgres = PostgresServer()
            self._postgres.start()
        return self._postgres

    def close(self) -> None:
        if self._broker is not None:
            self._broker.stop()
        if self._postgres is not None:
            self._postgres.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: p99 of 100 samples is the largest but one, no interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then `t[0]` is the wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }
