"""Corrupt views on the running service: moved aside and rebuilt from the store, no traceback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import Server

THUNDERSTORM = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()
XML = {"content-type": "application/cap+xml"}
PAGE = 4096


def alerts(server: Server) -> list[dict]:  # type: ignore[type-arg]
    response = httpx.get(f"{server.url}/v1/alerts", params={"lifecycle": "all"})
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda a: a["alert_id"])  # type: ignore[no-any-return]


def without_wal(views: Path) -> None:
    """A copy of the file alone (a restore, a careless move): its pages, no write-ahead log."""
    for suffix in ("-wal", "-shm"):
        views.with_name(views.name + suffix).unlink(missing_ok=True)


def spoil_header(views: Path) -> None:
    without_wal(views)
    with views.open("r+b") as file:
        file.write(b"this is no SQLite file any more")


def spoil_middle_pages(views: Path) -> None:
    without_wal(views)
    pages = views.stat().st_size // PAGE
    assert pages > 4, "too small a views file to spoil its middle"
    with views.open("r+b") as file:
        for page in range(1, pages):  # every page but the first (the header and the schema)
            file.seek(page * PAGE)
            file.write(b"\xff" * 64)


@pytest.mark.parametrize("spoil", [spoil_header, spoil_middle_pages])
def test_corrupt_views_are_moved_aside_and_rebuilt_at_start(tmp_path: Path, spoil: object) -> None:
    data = tmp_path / "data"
    server = Server(data, tmp_path / "first.log")
    try:
        with server.client(timeout=10) as client:
            for n in range(40):
                body = THUNDERSTORM.replace(b"KSTO1055887203", f"HEAL{n}".encode())
                assert (
                    client.post("/v1/channels/cap/messages", content=body, headers=XML).status_code
                    == 202
                )
        before = alerts(server)
    finally:
        server.stop()
    spoil(data / "views.sqlite")  # type: ignore[operator]

    again = Server(data, tmp_path / "second.log")  # ready only once the views are rebuilt
    try:
        assert alerts(again) == before
        aside = [p.name for p in data.iterdir() if p.name.startswith("views.sqlite.corrupt-")]
        assert aside, "the corrupt file is kept for a post-mortem"
        log = (tmp_path / "second.log").read_text()
        assert "views.moved_aside" in log
        assert "Traceback" not in log
    finally:
        again.stop()
