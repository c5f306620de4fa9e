"""PostgreSQL that is not there: at start the hub names the URL and exits; lost while serving,
writes answer 503, /readyz fails, nothing acknowledged is lost, and the hub recovers by itself."""

from __future__ import annotations

import subprocess
import sys

from devtools.ports import free_ports


def test_an_unreachable_database_at_start_is_named_without_its_password(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_ports(1)[0]
    url = f"postgresql://alerthub:s3cret-pw@127.0.0.1:{port}/alerthub"
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "serve", "--log-format", "console"],
        env={"ALERTHUB_DATABASE_URL": url, "ALERTHUB_DATA_DIR": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"postgresql://alerthub@127.0.0.1:{port}/alerthub" in output
    assert "s3cret-pw" not in output
    assert "Traceback" not in output
