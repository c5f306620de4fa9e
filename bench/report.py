"""`python -m bench.report [FILE]`: a results JSON as the Markdown tables of docs/benchmarks.md.

So the document is regenerated from a run rather than retyped: the machine block, then one
table of every figure with its target, whether it was met, and its conditions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.core import ROOT


def number(value: float) -> str:
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"


def conditions(found: dict[str, Any]) -> str:
    return "; ".join(f"{k}={v}" for k, v in found.items()).replace("|", "/")


def markdown(document: dict[str, Any]) -> str:
    lines = ["| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in document["machine"].items()]
    lines += [
        f"| mode | {document.get('mode')} |",
        f"| wall time | {document.get('wall_seconds')} s |",
        "",
        "| benchmark | value | unit | target | met | conditions |",
        "|---|---:|---|---|---|---|",
    ]
    for r in document["results"]:
        target = r["target"]
        shown = (
            "" if target is None else f"{'≥' if r['better'] == 'higher' else '≤'} {number(target)}"
        )
        met = {None: "", True: "yes", False: "**no**"}[r["met"]]
        lines.append(
            f"| {r['name']} | {number(r['value'])} | {r['unit']} | {shown} | {met} "
            f"| {conditions(r['conditions'])} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "results" / "latest.json"
    sys.stdout.write(markdown(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
