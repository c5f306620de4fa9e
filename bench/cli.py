"""`python -m bench`: run the selected benchmarks, print one table, write the JSON results.

The full run is what `make bench` does; `--quick` keeps every figure but on smaller work (a few
minutes on 2 cores); `--smoke` uses tiny sizes so a test can check the harness in seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from bench import appends, e2e, fanout, growth, ingest, reads, relay, replay, scaleout
from bench.core import ROOT, SIZES, Context, Result, machine, note

BENCHMARKS: dict[str, Callable[[Context], list[Result]]] = {
    "appends": appends.run,
    "ingest": ingest.run,
    "e2e": e2e.run,
    "relay": relay.run,
    "replay": replay.run,
    "growth": growth.run,
    "scaleout": scaleout.run,
    "fanout": fanout.run,
    "reads": reads.run,
}
# ingest already reports appends
DEFAULT = ["ingest", "e2e", "relay", "replay", "growth", "scaleout", "fanout", "reads"]


def table(results: Sequence[Result]) -> str:
    def cell(value: float) -> str:
        if math.isnan(value):
            return "n/a"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"

    rows = [("benchmark", "value", "unit", "target", "met")]
    for r in results:
        target = (
            "" if r.target is None else f"{'>=' if r.better == 'higher' else '<='} {cell(r.target)}"
        )
        met = {None: "", True: "yes", False: "NO"}[r.met]
        rows.append((r.name, cell(r.value), r.unit, target, met))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="same figures on smaller work")
    size.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness only")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--work-dir", type=Path, help="where scratch stores go (default: /tmp)")
    parser.add_argument(
        "--ladder", type=int, nargs="+", help="growth sizes in stream events (default per mode)"
    )
    args = parser.parse_args(argv)
    sizes = SIZES["quick" if args.quick else "smoke" if args.smoke else "full"]
    if args.ladder:
        sizes = replace(sizes, ladder=tuple(sorted(args.ladder)))
    ctx = Context(sizes, args.work_dir)
    facts = machine()  # at the start: the commit measured is the one checked out now
    results: list[Result] = []
    errors: list[str] = []
    started = time.perf_counter()

    def save() -> None:
        """Written after every benchmark: a failure at 1M must not lose the hour before it."""
        document = {
            "machine": facts,
            "mode": sizes.mode,
            "ladder": list(sizes.ladder),
            "wall_seconds": round(time.perf_counter() - started, 1),
            "errors": errors,
            "results": [r.to_json() for r in results],
        }
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")

    try:
        for name in args.only or DEFAULT:
            note(f"== {name} ({sizes.mode})")
            try:
                results += BENCHMARKS[name](ctx)
            except Exception as exc:  # one broken benchmark must not cost the others
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
                note(f"{name} FAILED: {exc!r}")
            save()
    finally:
        ctx.close()
    sys.stdout.write(table(results))
    wall = time.perf_counter() - started
    sys.stdout.write(f"\n{len(results)} results in {wall:.0f} s -> {args.output}\n")
    sys.stdout.writelines(f"FAILED {e}\n" for e in errors)
    return 1 if errors else 0
