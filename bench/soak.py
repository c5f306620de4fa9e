"""`python -m bench.soak --minutes N`: a fault soak of the whole hub on loopback.

Four processes share one data folder on a small tmpfs and one Kafka broker: the HTTP API (which
also consumes the ingress topics), the relay (a `serve` of its own), and a projector
(`alerthub project`). A steady load of every channel arrives over HTTP and over Kafka ingress
(`bench.soak_load`) while faults are injected in turn: SIGKILL of the API, of the projector and
of the relay's process, a broker crash and restart, and a full disk for a while. Each fault is
held for a few seconds, then its cause removed; the processes are restarted as a supervisor
would. At the end the load stops, everything catches up, the processes stop, and the invariants
are checked (`bench.soak_check`), with the HTTP statuses (no 5xx but the 503s of faults) and the
API's memory against its baseline. A summary goes to stdout and JSON to `bench/results/`.
Exit status 0 only when every invariant holds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.core import ROOT, machine, note
from bench.soak_check import check
from bench.soak_load import Load
from bench.soak_procs import Processes, register_partner, rss_mib
from devtools.diskfull import MIB, fill, small_disk
from devtools.kafka_broker import KafkaBroker
from hub.settings import load_settings

HOLD_SECONDS = 4.0
MIN_FREE_MIB = 8
# The data grows by 45-80 MiB a minute at this load (sealed personal fields and their keys, every
# alert version kept by the views, write-ahead logs): room for it, or the soak fills its own disk.
DISK_MIB_BASE, DISK_MIB_PER_MINUTE = 128, 128
MEMORY_MARGIN_MIB = 100


def faults(
    procs: Processes, broker: KafkaBroker, disk: Path
) -> list[tuple[str, Callable[[], None]]]:
    def kill(role: str) -> Callable[[], None]:
        def run() -> None:
            procs.kill(role)
            time.sleep(HOLD_SECONDS)
            procs.start(role)

        return run

    def broker_outage() -> None:
        broker.kill()
        time.sleep(HOLD_SECONDS)
        broker.start()

    def disk_full() -> None:
        filler = fill(disk, leave_bytes=(MIN_FREE_MIB // 2) * MIB)
        time.sleep(HOLD_SECONDS)
        filler.unlink()

    return [
        ("sigkill-api", kill("api")),
        ("sigkill-projector", kill("projector")),
        ("sigkill-relay", kill("relay")),
        ("broker-crash", broker_outage),
        ("disk-full", disk_full),
    ]


def run(minutes: float, work: Path) -> dict[str, Any]:
    disk_mib = int(DISK_MIB_BASE + DISK_MIB_PER_MINUTE * minutes)
    with KafkaBroker() as broker, small_disk(work / "disk", disk_mib) as disk:
        data = disk / "data"
        key = register_partner(load_settings(data_dir=data).events_db)
        procs = Processes(work, data, broker.bootstrap, min_free_mib=MIN_FREE_MIB)
        procs.start_all()
        try:
            return _soak(minutes, procs, broker, disk, data, key=key)
        except RuntimeError as exc:  # a process never became ready again: a failed soak
            return {"ok": False, "minutes": minutes, "error": str(exc)}
        finally:
            procs.stop_all()


def _soak(
    minutes: float, procs: Processes, broker: KafkaBroker, disk: Path, data: Path, *, key: str
) -> dict[str, Any]:
    load = Load(procs.url("api"), broker.bootstrap, key, http_rate=20, kafka_rate=5)
    load.start()
    time.sleep(5)
    baseline = rss_mib(procs.pid("api"))
    injected: list[dict[str, Any]] = []
    deadline = time.monotonic() + minutes * 60
    schedule = faults(procs, broker, disk)
    while time.monotonic() < deadline or len(injected) < len(schedule):
        name, fault = schedule[len(injected) % len(schedule)]
        note(f"fault {len(injected) + 1}: {name}")
        started = time.monotonic()
        fault()
        procs.wait_ready()
        injected.append({"fault": name, "seconds": round(time.monotonic() - started, 1)})
        pause = (deadline - time.monotonic()) / max(1, len(schedule) - len(injected))
        time.sleep(min(max(0.0, pause), 20.0))
    load.stop()
    note("load stopped; waiting for the relay, the ingress and the projector to catch up")
    caught_up = procs.wait_caught_up(load.tally.acknowledged, timeout=180)
    time.sleep(5)
    settled = rss_mib(procs.pid("api"))
    procs.stop_all()
    settings = load_settings(data_dir=data)
    invariants = check(settings, load.tally.acknowledged)
    statuses = dict(load.tally.statuses)
    unexpected = {s: n for s, n in statuses.items() if s.startswith("http:5") and s != "http:503"}
    memory_ok = settled - baseline < MEMORY_MARGIN_MIB
    return {
        "ok": invariants["ok"] and caught_up and not unexpected and memory_ok,
        "minutes": minutes,
        "faults": injected,
        "caught_up": caught_up,
        "last_catch_up_look": procs.last_seen,  # who still lagged, when it did not catch up
        "statuses": statuses,
        "unexpected_5xx": unexpected,
        "attempted": len(load.tally.attempted),
        "memory_mib": {"baseline": round(baseline), "settled": round(settled), "ok": memory_ok},
        "invariants": invariants,
    }


def summary(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"fault soak, {result['minutes']} min: FAIL\n  {result['error']}\n"
    inv = result["invariants"]
    lines = [
        f"fault soak, {result['minutes']} min: {'PASS' if result['ok'] else 'FAIL'}",
        f"  faults injected: {len(result['faults'])} "
        f"({', '.join(sorted({f['fault'] for f in result['faults']}))})",
        f"  messages: {result['attempted']} tried, {inv['acknowledged']} acknowledged, "
        f"{inv['alerts']} alerts recorded",
        f"  acknowledged missing: {len(inv['acknowledged_missing'])}; "
        f"present twice: {len(inv['present_twice'])}",
        f"  views differing from a fresh rebuild: {inv['views_differing_from_rebuild'] or 'none'}",
        f"  statuses: {json.dumps(result['statuses'], sort_keys=True)}",
        f"  unexpected 5xx: {result['unexpected_5xx'] or 'none'}",
        f"  API memory: baseline {result['memory_mib']['baseline']} MiB, "
        f"settled {result['memory_mib']['settled']} MiB",
        f"  everything caught up after the load: {result['caught_up']}",
    ]
    if not result["caught_up"]:
        lines.append(f"  last look: {json.dumps(result['last_catch_up_look'], sort_keys=True)}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=1.0, help="how long the load runs")
    parser.add_argument(
        "--json", type=Path, help="where to write the result (default bench/results)"
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="alerthub-soak-"))
    result = run(args.minutes, work) | {"machine": machine()}
    if result["ok"]:
        shutil.rmtree(work, ignore_errors=True)
    else:
        note(f"failed: the processes' logs are kept in {work}")
    target = args.json or ROOT / "bench" / "results" / f"soak-{time.strftime('%Y%m%dT%H%M%S')}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(summary(result))
    note(f"written {target}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
