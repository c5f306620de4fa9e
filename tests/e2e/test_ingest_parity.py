"""`alerthub ingest` and HTTP are one path: the same whole feeds record the same history.

The write side decides which of a channel's items are still open from the event store (the
channel's feed aggregate), never from the views, so a batch of snapshots ingested from files,
with no projector catching up in between, ends exactly what the same snapshots posted over HTTP
end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

# Volatile by nature: when the hub recorded it, and the "now" the hub stamps on the Cancel it
# writes for a vanished item. Who published differs by transport on purpose (the operator at the
# console, the partner over HTTP); what was recorded must not.
VOLATILE = {"recorded_at", "provenance"}


def feeds(folder: Path) -> list[tuple[str, Path]]:
    """Whole feeds in which items open, vanish (and so end) and come back as new ones."""
    items = json.loads((EXAMPLES / "nlalert" / "feed-two-items.json").read_text())["data"]
    fire = json.loads((EXAMPLES / "nlalert" / "fire-smoke-item.json").read_text())
    snapshots = [items, items[1:], [items[1], fire], [fire], []]
    written = []
    for number, snapshot in enumerate(snapshots):
        path = folder / f"nlalert-{number}.json"
        path.write_text(json.dumps({"data": snapshot}))
        written.append(("nlalert", path))
    amber = EXAMPLES / "amber"
    written += [("amber", amber / "04-feed-snapshot.json"), ("amber", folder / "amber-empty.json")]
    (folder / "amber-empty.json").write_text("[]")
    return written


def ingest_files(channel: str, paths: list[Path], data: Path) -> None:
    """`alerthub ingest CHANNEL FILE...` as a user types it: one process, every file in order."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub.cli",
            "ingest",
            channel,
            *map(str, paths),
            "--data-dir",
            str(data),
            "--confirm-end",  # the last snapshots are empty: they end everything, meant
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def history(server: Server) -> dict[str, list[dict[str, Any]]]:
    with server.client() as client:
        listed = client.get("/v1/alerts", params={"lifecycle": "all", "limit": 1000})
        assert listed.status_code == 200, listed.text
        found = {}
        for alert in listed.json()["items"]:
            events = client.get(f"/v1/alerts/{alert['alert_id']}/events").json()["items"]
            found[alert["alert_id"]] = [_stable(e) for e in events]
        return found


def _stable(event: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in event.items() if k not in VOLATILE}
    if kept["message"]["identifier"].endswith(".vanished"):
        kept["message"] = {k: v for k, v in kept["message"].items() if k != "sent"}
    return kept


def test_cli_ingest_and_http_record_identical_history(tmp_path: Path) -> None:
    batch = feeds(tmp_path)
    cli_data, http_data = tmp_path / "cli", tmp_path / "http"
    for channel in ("nlalert", "amber"):  # one run per channel, all its feeds at once
        ingest_files(channel, [path for name, path in batch if name == channel], cli_data)
    posting = Server(http_data, tmp_path / "http.log")
    try:
        with posting.client() as client:
            for channel, path in batch:
                response = client.post(
                    f"/v1/channels/{channel}/messages",
                    params={"confirm_end": "true"},
                    content=path.read_bytes(),
                    headers={"content-type": "application/json"},
                )
                assert response.status_code == 202, response.text
        over_http = history(posting)
    finally:
        posting.stop()
    reading = Server(cli_data, tmp_path / "cli.log")
    try:
        from_files = history(reading)
    finally:
        reading.stop()
    assert from_files == over_http
    ended = [e for events in over_http.values() for e in events if e["type"] == "AlertEnded"]
    assert len(ended) >= 3  # the vanished items were ended, in both


def test_one_cli_run_of_several_feeds_ends_what_vanished(tmp_path: Path) -> None:
    """Several whole feeds in ONE `alerthub ingest` run: each snapshot sees the one before."""
    paths = [p for channel, p in feeds(tmp_path) if channel == "nlalert"]
    data = tmp_path / "data"
    ingest_files("nlalert", paths, data)
    reading = Server(data, tmp_path / "server.log")
    try:
        with reading.client() as client:
            active = client.get("/v1/alerts").json()["items"]
            every = client.get("/v1/alerts", params={"lifecycle": "all"}).json()["items"]
    finally:
        reading.stop()
    assert active == []  # the last snapshot is empty: everything it once listed has ended
    assert {a["lifecycle"] for a in every} == {"ended"}
    assert len(every) == 3
