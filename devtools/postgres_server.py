"""Run a real, throw-away PostgreSQL server for tests and ``make postgres``.

The server comes from Debian's ``postgresql`` package (``/usr/lib/postgresql/<major>/bin``):
maintained with security fixes by the distribution, the same major version a Debian host runs
in production, and a plain ``apt-get install`` away. When it is missing and we run as root, it is
installed once with apt-get. Each server gets its own data directory (``initdb``) in a temp dir
and a free loopback port; nothing of the system cluster is touched.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` system user
(created by the Debian package), with a work dir owned by it.

Usage::

    with PostgresServer() as server:
        url = server.create_database("case_1")   # postgresql://alerthub:...@127.0.0.1:PORT/case_1
        ...
        server.stop(keep_work_dir=True); server.start()   # same port, same data (outage tests)

``python -m devtools.postgres_server`` runs one until Ctrl-C or SIGTERM and prints its URL.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg

from devtools.foreground import run_in_foreground
from devtools.kafka_libs import tail
from devtools.ports import free_ports

__all__ = ["PostgresServer", "PostgresServerError", "find_bin_dir", "main"]

_log = logging.getLogger(__name__)

READY_LINE = "database system is ready to accept connections"
_BIND_FAILURE = "could not bind"
_SERVICE_USER = "postgres"
_ROLE = "alerthub"
_APT_TIMEOUT_S = 900.0
# Sized for tests on a small machine: no fsync (the OS still gets every commit, so a killed
# client or a stopped server loses nothing acknowledged; only a power cut would).
TEST_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
}


class PostgresServerError(RuntimeError):
    """PostgreSQL could not be installed, initialised or started."""


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` holding a server, or None."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
    return max(found, key=lambda p: int(p.parent.name)) if found else None


def ensure_bin_dir() -> Path:
    """The server's bin dir, installing Debian's ``postgresql`` package once if we are root."""
    found = find_bin_dir()
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresServerError(
            "PostgreSQL server not found under /usr/lib/postgresql: install Debian's"
            " 'postgresql' package (apt-get install postgresql)"
        )
    _log.info("installing Debian's postgresql package (one-time)")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    done = _apt(install)
    if done.returncode != 0:  # a fresh machine has no package lists yet
        _apt(["apt-get", "update"])
        done = _apt(install)
    found = find_bin_dir()
    if found is None:
        raise PostgresServerError(f"apt-get install postgresql failed:\n{tail(done.stderr)}")
    return found


def _apt(command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=_APT_TIMEOUT_S, check=False
    )


class _BindError(PostgresServerError):
    """The port was taken between picking it and the server binding it (retryable)."""


class PostgresServer:
    """A PostgreSQL server in a temp dir on a free loopback port, password-protected.

    ``start()`` on a fresh instance runs ``initdb``; after ``stop(keep_work_dir=True)``,
    ``start()`` resumes on the same port and data. Only a cleaning ``stop()`` (the default,
    also on context exit) deletes the work dir.
    """

    def __init__(
        self,
        *,
        work_root: Path | None = None,
        start_timeout: float = 60.0,
        settings: dict[str, str] | None = None,
    ) -> None:
        self._work_root = work_root
        self._start_timeout = start_timeout
        self._settings = {**TEST_SETTINGS, **(settings or {})}
        self._password = secrets.token_urlsafe(16)
        self._bin: Path | None = None
        self._work: Path | None = None
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- properties

    @property
    def port(self) -> int:
        if self._port is None:
            raise PostgresServerError("server has not been started")
        return self._port

    @property
    def password(self) -> str:
        return self._password

    def url(self, database: str = _ROLE) -> str:
        """``postgresql://alerthub:PASSWORD@127.0.0.1:PORT/DATABASE`` (stable across restarts)."""
        return f"postgresql://{_ROLE}:{self._password}@127.0.0.1:{self.port}/{database}"

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_path(self) -> Path:
        if self._work is None:
            raise PostgresServerError("server has not been started")
        return self._work / "server.log"

    def tail_log(self, lines: int = 40) -> str:
        if self._work is None or not self.log_path.exists():
            return ""
        return tail(self.log_path.read_text(errors="replace"), lines)

    # ---- databases

    def create_database(self, name: str) -> str:
        """Create an empty database (a fresh one per test is cheap) and return its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise PostgresServerError(f"not a plain database name: {name!r}")
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    # ---- lifecycle

    def start(self) -> None:
        """Start the server and block until it accepts connections (initdb on first start)."""
        if self.is_running:
            raise PostgresServerError(f"server already running on port {self.port}")
        self._bin = self._bin or ensure_bin_dir()
        fresh = self._work is None
        try:
            if fresh:
                self._init()
            self._launch_retrying() if fresh else self._launch()
        except BaseException:
            self._halt(signal.SIGKILL)
            if fresh:
                self._remove_work_dir()
            raise
        if fresh:
            with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {_ROLE}")

    def stop(self, *, keep_work_dir: bool = False) -> int | None:
        """Fast shutdown (SIGINT: clients are disconnected, commits are kept); exit code."""
        code = self._halt(signal.SIGINT)
        if not keep_work_dir:
            self._remove_work_dir()
        return code

    def restart(self) -> None:
        self._halt(signal.SIGINT)
        self.start()

    # ---- internals

    def _run_as(self) -> dict[str, Any]:
        """Popen arguments that drop root to the postgres user (PostgreSQL refuses root)."""
        if os.geteuid() != 0:
            return {}
        try:
            user = pwd.getpwnam(_SERVICE_USER)
        except KeyError as exc:
            raise PostgresServerError(
                f"as root, PostgreSQL runs as the '{_SERVICE_USER}' system user, which is missing"
            ) from exc
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _init(self) -> None:
        assert self._bin is not None
        work = Path(tempfile.mkdtemp(prefix="alerthub-postgres-", dir=self._work_root))
        self._work = work
        (work / "pwfile").write_text(self._password + "\n")
        drop = self._run_as()
        if drop:
            for path in (work, work / "pwfile"):
                os.chown(path, drop["user"], drop["group"])
        command = [
            str(self._bin / "initdb"),
            "-D", str(work / "data"),
            "-U", _ROLE,
            f"--pwfile={work / 'pwfile'}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False, **drop)
        (work / "pwfile").unlink()
        if done.returncode != 0:
            raise PostgresServerError(f"initdb failed:\n{tail(done.stdout + done.stderr)}")
        self._port = free_ports(1)[0]

    def _launch_retrying(self) -> None:
        """Launch; once more on a new port if the free one was taken before the server bound it."""
        try:
            self._launch()
        except _BindError:
            _log.warning("PostgreSQL port %d was taken; retrying with a new port", self.port)
            self._port = free_ports(1)[0]
            self._launch()

    def _launch(self) -> None:
        assert self._bin is not None
        assert self._work is not None
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        options = [f"--{k.replace('_', '-')}={v}" for k, v in self._settings.items()]
        command = [
            str(self._bin / "postgres"),
            "-D", str(self._work / "data"),
            "-p", str(self.port),
            "-k", str(self._work),  # its Unix socket beside the data, not in /run/postgresql
            *options,
        ]  # fmt: skip
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._work,
                start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop it cleanly
                **self._run_as(),
            )
        self._wait_ready(offset)
        _log.info(
            "PostgreSQL ready on port %d in %.1fs (pid %d, work dir %s)",
            self.port,
            time.monotonic() - started,
            self._proc.pid,
            self._work,
        )

    def _wait_ready(self, offset: int) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._start_timeout
        text = ""
        while time.monotonic() < deadline and self._proc.poll() is None:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
            if READY_LINE in text:
                return
            if _BIND_FAILURE in text:
                break
            time.sleep(0.05)
        if _BIND_FAILURE in text:
            self._halt(signal.SIGKILL)
            raise _BindError(f"PostgreSQL could not bind port {self.port}:\n{tail(text)}")
        code = self._proc.poll()
        reason = f"exited with code {code}" if code is not None else "is not ready in time"
        raise PostgresServerError(f"PostgreSQL {reason}; tail of {self.log_path}:\n{tail(text)}")

    def _halt(self, signum: signal.Signals) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signum)
            try:
                return proc.wait(30)
            except subprocess.TimeoutExpired:
                _log.warning("PostgreSQL (pid %d) did not stop in 30s; killing", proc.pid)
                proc.kill()
        return proc.wait()

    def _remove_work_dir(self) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
        self._work = None
        self._port = None


def main() -> int:
    """Run a server until Ctrl-C or SIGTERM (backs ``make postgres``); returns the exit status."""

    def announce(server: PostgresServer) -> None:
        _log.info("ALERTHUB_DATABASE_URL=%s (log %s)", server.url(), server.log_path)
        _log.info("Ctrl-C to stop")

    return run_in_foreground(PostgresServer(), "PostgreSQL", announce, PostgresServerError)


if __name__ == "__main__":
    sys.exit(main())
