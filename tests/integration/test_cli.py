"""The `alerthub` command as a user runs it: a real process on a real data folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES


def alerthub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        "serve",
        "ingest",
        "project",
        "channels",
        "schema",
        "projections",
        "export",
        "replay",
        "erase",
    ],
)
def test_every_command_has_help(command: str) -> None:
    result = alerthub(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: alerthub" in result.stdout


def test_ingest_status_and_rebuild(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    files = [str(p) for p in sorted((EXAMPLES / "cap").glob("*.xml"))]
    assert alerthub("ingest", "cap", *files, "--data-dir", data).returncode == 0
    status = alerthub("projections", "status", "--json", "--data-dir", data)
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    rows = {row["projection"]: row for row in shown["projections"]}
    assert set(rows) == {"alerts", "views", "incidents", "places"}
    assert shown["next_erasure"] is None  # no retention set
    assert all((row["lag"], row["deadletters"]) == (0, 0) for row in rows.values())
    for name in rows:  # every projection that status lists can be replayed
        out = str(Path(data).parent / f"replay-{name}")
        replayed = alerthub("replay", "--projection", name, "--output", out, "--data-dir", data)
        assert replayed.returncode == 0, replayed.stderr
        assert json.loads(replayed.stdout)["projections"] == [name]
    rebuilt = alerthub("projections", "rebuild", "--all", "--data-dir", data)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuild.done" in rebuilt.stderr
    assert alerthub("projections", "rebuild", "nope", "--data-dir", data).returncode == 2


def test_ingest_reports_rejected_files_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<alert/>")
    result = alerthub("ingest", "cap", str(bad), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert "ingest.rejected" in result.stderr


def test_channels_and_schema_check() -> None:
    channels = alerthub("channels", "--json")
    assert {c["name"] for c in json.loads(channels.stdout)} >= {
        "cap",
        "nlalert",
        "amber",
        "burgernet",
    }
    check = alerthub("schema", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "FULL_TRANSITIVE" in check.stdout
