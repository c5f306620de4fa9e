"""Shared fixtures: hubs built by the bootstrap on real SQLite files or a real PostgreSQL server.

`make_hub` builds on SQLite files by default; a module that overrides `hub_backend` with the
parametrized `both_backends` runs its tests on both (the contract suites of store and views).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from devtools.kafka_broker import KafkaBroker
from devtools.postgres_server import PostgresServer, find_bin_dir
from hub.bootstrap import Hub, bootstrap
from hub.settings import load_settings

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples" / "messages"

HubFactory = Callable[..., Hub]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands run in-process configure logging; put it back so later tests log normally."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
def hub_backend() -> dict[str, Any]:
    """Settings that choose where `make_hub` keeps store and views: SQLite files by default."""
    return {}


@pytest.fixture(params=["sqlite", "postgres"])
def both_backends(request: pytest.FixtureRequest) -> dict[str, Any]:
    """SQLite files, then a fresh PostgreSQL database: override `hub_backend` with this."""
    if request.param == "sqlite":
        return {}
    return {"database_url": request.getfixturevalue("database_url")}


@pytest.fixture
def make_hub(tmp_path: Path, hub_backend: dict[str, Any]) -> Iterator[HubFactory]:
    """Build hubs on `tmp_path` (the same folder each call, so a second hub is a restart)."""
    hubs: list[Hub] = []

    def build(**overrides: Any) -> Hub:
        defaults = {"data_dir": tmp_path / "data", "log_format": "console"}
        settings = load_settings(**{**defaults, **hub_backend, **overrides})
        hub = bootstrap(settings, configure_logs=False)
        hubs.append(hub)
        return hub

    yield build
    for hub in hubs:
        hub.close()


def kafka_skip_reason() -> str | None:
    """Why a Kafka broker cannot run here, if skipping is allowed at all (never with CI=true)."""
    if os.environ.get("CI") == "true":
        return None
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not on PATH (needed for the Kafka broker)" if missing else None


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """One real Apache Kafka 4.1 broker for the whole run, assembled from Maven Central.

    With CI=true a broker that cannot start fails every test that needs it; it never skips.
    Fault tests may stop or kill it; they must `start()` it again before they finish.
    """
    reason = kafka_skip_reason()
    if reason:
        pytest.skip(reason)
    with KafkaBroker() as broker:
        yield broker


@pytest.fixture
def kafka(kafka_broker: KafkaBroker) -> KafkaBroker:
    """The session broker, guaranteed running at the start of each test."""
    if not kafka_broker.is_running:
        kafka_broker.start()
    return kafka_broker


def postgres_skip_reason() -> str | None:
    """Why PostgreSQL cannot run here, if skipping is allowed at all (never with CI=true)."""
    if os.environ.get("CI") == "true" or find_bin_dir() is not None or os.geteuid() == 0:
        return None  # as root, a missing server is installed from Debian's package
    return "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole run (Debian's package, its own temp data dir).

    With CI=true a server that cannot start fails every test that needs it; it never skips.
    Outage tests may stop it; they must `start()` it again before they finish.
    """
    reason = postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> PostgresServer:
    """The session server, guaranteed running at the start of each test."""
    if not postgres_server.is_running:
        postgres_server.start()
    return postgres_server


@pytest.fixture
def database_url(postgres: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database for this test on the session server."""
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
    return postgres.create_database(f"test_{digest}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No server a test started outlives the run, whatever the test did (a failed test included)."""
    from tests.e2e.conftest import STARTED

    for server in STARTED:
        server.stop()
