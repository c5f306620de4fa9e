"""The benchmark harness runs and writes valid JSON. Never a timing assertion: speed is
measured by `python -m bench` on purpose, not by tests on a noisy shared machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_smoke_run_writes_the_results_document(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--only",
            "appends",
            "ingest",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    document = json.loads(output.read_text())
    assert set(document["machine"]) >= {
        "cpu_count",
        "cpu_model",
        "python",
        "platform",
        "memory_gib",
        "date",
        "git_commit",
    }
    assert document["results"]
    for result in document["results"]:
        assert set(result) >= {"name", "value", "unit", "target", "better", "conditions"}
        assert result["better"] in {"higher", "lower"}
        assert isinstance(result["value"], float | int)
    assert "appends" in done.stdout  # the table names what was measured
    names = {result["name"]: result for result in document["results"]}
    for channel in ("cap", "burgernet"):  # the hub over HTTP beside the framework floor
        ratio = names[f"ingest http {channel}: ratio to floor"]
        assert ratio["target"] == 1.0
        assert ratio["value"] > 0
