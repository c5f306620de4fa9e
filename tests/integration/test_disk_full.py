"""SQLite meeting a really full disk: the write is refused as `UnavailableError`, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.diskfull import fill, small_disk
from domain.alert import AlertIssued
from domain.errors import UnavailableError
from hub.bootstrap import Hub, bootstrap
from hub.service import Accepted
from hub.settings import load_settings
from tests.conftest import EXAMPLES

THUNDERSTORM = (EXAMPLES / "cap" / "a2-severe-thunderstorm.xml").read_bytes()
XML = "application/cap+xml"


def ingest_until_refused(hub: Hub) -> list[Accepted]:
    """Keep writing into the full disk (the WAL may have a page or two of room left)."""
    accepted: list[Accepted] = []
    for n in range(50):
        body = THUNDERSTORM.replace(b"KSTO1055887203", f"full{n}".encode())
        accepted += hub.service.ingest("cap", body, XML).accepted
    return accepted


def test_a_write_that_meets_a_full_disk_is_unavailable_and_the_store_stays_whole(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "mnt", size_mib=8) as disk:
        # No free-space margin: the write itself meets ENOSPC inside SQLite.
        settings = load_settings(data_dir=disk / "data", min_free_disk_mib=0)
        hub = bootstrap(settings, configure_logs=False)
        try:
            acknowledged = []
            for n in range(3):
                body = THUNDERSTORM.replace(b"KSTO1055887203", f"ok{n}".encode())
                acknowledged += hub.service.ingest("cap", body, XML).accepted
            filler = fill(disk, leave_bytes=0)
            with pytest.raises(UnavailableError) as refused:
                acknowledged += ingest_until_refused(hub)
            assert refused.value.reason == "disk-full"
            assert hub.service.storage is not None
            assert hub.service.storage.status()["reason"] == "disk-full"
            filler.unlink()
            body = THUNDERSTORM.replace(b"KSTO1055887203", b"after")
            acknowledged += hub.service.ingest("cap", body, XML).accepted
            assert hub.service.storage.status()["ok"]
            for accepted in acknowledged:  # every acknowledged message is there, once
                events = hub.store.events.get(accepted.alert_id)
                assert [type(e) for e in events] == [AlertIssued]
            hub.follower.catch_up()
            assert hub.follower.lag() == dict.fromkeys(hub.follower.lag(), 0)
        finally:
            hub.close()
