"""`alerthub erase` as the operator runs it: a real process on a real data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

from tests.privacy_helpers import burgernet_action, files_holding, unique_person


def alerthub(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args, "--data-dir", str(data)],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ingested(data: Path, body: bytes) -> str:
    """Ingest one Burgernet action through the CLI; its alert id from the export."""
    path = data.parent / f"action-{uuid4().hex}.json"
    path.write_bytes(body)
    done = alerthub(data, "ingest", "burgernet", str(path))
    assert done.returncode == 0, done.stderr
    path.unlink()
    export = alerthub(data, "export", "--format", "jsonl", "--output", str(data.parent / "x.jsonl"))
    assert export.returncode == 0, export.stderr
    lines = (data.parent / "x.jsonl").read_text().splitlines()
    (data.parent / "x.jsonl").unlink()
    return str(json.loads(lines[-1])["alert_id"])


def test_the_operator_erases_on_record_once(tmp_path: Path) -> None:
    data, person = tmp_path / "data", unique_person()
    alert_id = ingested(data, burgernet_action(person, ended=True))
    assert files_holding(data, person)  # the views show it until the erasure

    first = alerthub(data, "erase", alert_id, "--reason", "the family asked")
    assert first.returncode == 0, first.stderr
    line = json.loads(first.stdout)
    assert line["recorded"] is True
    assert line["erased_by"].startswith("operator:")
    again = alerthub(data, "erase", alert_id, "--reason", "once more")
    assert json.loads(again.stdout)["recorded"] is False
    assert files_holding(data, person) == []


def test_bad_erasures_say_why_and_change_nothing(tmp_path: Path) -> None:
    data, person = tmp_path / "data", unique_person()
    alert_id = ingested(data, burgernet_action(person))
    unknown = alerthub(data, "erase", str(uuid4()), "--reason", "typo")
    assert unknown.returncode == 2
    assert "no alert" in unknown.stdout + unknown.stderr
    for args in ([alert_id], [alert_id, "--reason", "  "], ["not-a-uuid", "--reason", "r"], []):
        assert alerthub(data, "erase", *args).returncode == 2, args
    assert files_holding(data, person)  # still there: nothing was erased


def test_erase_due_applies_retention_and_status_shows_what_is_next(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ended = ingested(data, burgernet_action(unique_person(), ended=True))  # ended in April 2025
    ingested(data, burgernet_action(unique_person()))  # active: never due
    century = {"ALERTHUB_RETENTION": '{"burgernet": "P36500D"}'}
    status = alerthub(data, "projections", "status", "--json", **century)
    assert status.returncode == 0, status.stderr
    upcoming = json.loads(status.stdout)["next_erasure"]
    assert (upcoming["alert_id"], upcoming["channel"]) == (ended, "burgernet")
    assert upcoming["due_at"].startswith("2125-")
    assert alerthub(data, "erase", "--due", **century).stdout == ""  # not due yet

    week = {"ALERTHUB_RETENTION": '{"burgernet": "P7D"}'}
    done = alerthub(data, "erase", "--due", **week)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["alert_id"], e["erased_by"]) for e in lines] == [(ended, "retention:burgernet")]
    after = alerthub(data, "projections", "status", "--json", **week)
    assert json.loads(after.stdout)["next_erasure"] is None
