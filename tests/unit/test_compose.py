"""docker-compose.yml cannot run here (no Docker engine), so its wiring is checked statically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.settings import Settings

ROOT = Path(__file__).parents[2]
SETTINGS = {f"ALERTHUB_{name.upper()}" for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_services_are_kafka_postgres_hub_and_projector(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"kafka", "postgres", "hub", "projector"}
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert compose["services"]["postgres"]["image"].startswith("postgres:")


def test_hub_and_projector_share_the_compose_postgres(compose: dict[str, Any]) -> None:
    """Hub and projector keep no state of their own: store and views are in PostgreSQL."""
    db = compose["services"]["postgres"]["environment"]
    expected = (
        f"postgresql://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@postgres:5432/"
        f"{db['POSTGRES_DB']}"
    )
    for service in ("hub", "projector"):
        config = compose["services"][service]
        assert config["environment"]["ALERTHUB_DATABASE_URL"] == expected
        assert config["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "volumes" not in config


def test_every_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name


@pytest.mark.parametrize("service", ["hub", "projector"])
def test_every_hub_variable_is_a_real_setting(compose: dict[str, Any], service: str) -> None:
    """A typo in a variable name would be silently ignored by the hub; catch it here."""
    env = compose["services"][service]["environment"]
    unknown = {k for k in env if k.startswith("ALERTHUB_")} - SETTINGS
    assert not unknown
    Settings.model_validate({k.removeprefix("ALERTHUB_").lower(): v for k, v in env.items()})


def test_kafka_keeps_its_data_on_its_volume_and_partners_can_reach_it(
    compose: dict[str, Any],
) -> None:
    kafka = compose["services"]["kafka"]
    volume = kafka["volumes"][0].split(":", 1)[1]
    assert kafka["environment"]["KAFKA_LOG_DIRS"] == volume
    external = kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"].split(",")[1]
    assert external.startswith("EXTERNAL://")
    port = external.rsplit(":", 1)[1]
    assert f"{port}:{port}" in kafka["ports"]


def test_the_projector_health_check_reads_its_heartbeat(compose: dict[str, Any]) -> None:
    from hub.cli.main import HEARTBEAT

    check = " ".join(compose["services"]["projector"]["healthcheck"]["test"])
    assert f"/data/{HEARTBEAT}" in check
    assert "sys.exit" in check, "a stale heartbeat fails the check"


def test_hub_talks_to_the_compose_kafka(compose: dict[str, Any]) -> None:
    kafka_env = compose["services"]["kafka"]["environment"]
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")[0].split("//", 1)[1]
    for service in ("hub", "projector"):
        assert compose["services"][service]["environment"]["ALERTHUB_KAFKA_BOOTSTRAP"] == advertised
        assert compose["services"][service]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_commands_exist_in_the_cli(compose: dict[str, Any]) -> None:
    from hub.cli.main import _parser

    commands = set(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for service in ("hub", "projector"):
        assert compose["services"][service]["command"][1] in commands


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("domain", "adapters", "projections", "schemas", "hub"):
        assert f"COPY {package} {package}" in dockerfile


def test_every_setting_is_documented_in_the_readme() -> None:
    """The README lists every setting; a new one without a row fails here."""
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in SETTINGS if f"`{name}`" not in readme)
    assert not missing


def test_hub_and_projector_are_given_one_master_key(compose: dict[str, Any]) -> None:
    """They seal and open with the same data keys (kept in PostgreSQL): one master key, required."""
    services = compose["services"]
    keys = {services[s]["environment"]["ALERTHUB_MASTER_KEY"] for s in ("hub", "projector")}
    assert len(keys) == 1
    assert keys.pop().startswith("${ALERTHUB_MASTER_KEY:?")  # compose refuses to start without it
