"""An outside plugin, installed for real: BE-Alert (examples/plugins/alerthub-bealert).

A throw-away virtual environment sees this environment's packages (AlertHub and its
dependencies, through `site.addsitedir`, so nothing is downloaded) and gets the plugin installed
into it by pip, offline (`--no-index --no-deps --no-build-isolation`). Then, run in that
environment: `alerthub channels` lists the plugin, a served hub takes a BE-Alert message and shows
it canonically and in the plugin's own view, and the plugin's own conformance tests pass. Nothing
in the hub names the plugin: the entry point is all there is.

Building the plugin offline needs a setuptools that builds wheels by itself (>= 70.1) or the
`wheel` package in this environment. Without either the test skips, except with CI=true, where it
fails: a green CI must not hide a missing install step.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).parents[2]
PLUGIN = ROOT / "examples" / "plugins" / "alerthub-bealert"
SAMPLE = PLUGIN / "samples" / "port-fire-r1.json"
JUNK = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".hypothesis")


def build_skip_reason() -> str | None:
    """Why the plugin cannot be built offline here, if skipping is allowed (never with CI=true)."""
    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    if (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None:
        return None
    reason = (
        f"setuptools {version('setuptools')} without `wheel` cannot build the plugin offline; "
        "the test extra needs setuptools>=70.1 (or wheel)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    return reason


@dataclass(frozen=True)
class Venv:
    path: Path
    env: dict[str, str]

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.python, *args],
            env=self.env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh virtual environment on top of this one's packages, with the plugin pip-installed."""
    reason = build_skip_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("outside-plugin")
    path = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(path)}))
    ours = sysconfig.get_path("purelib")
    (site / "_alerthub_env.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"PYTHONDONTWRITEBYTECODE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    made = Venv(path, env)
    source = shutil.copytree(PLUGIN, folder / "alerthub-bealert", ignore=JUNK)  # builds dirty it
    options = ("--no-index", "--no-deps", "--no-build-isolation", "--quiet")
    installed = made.run("-m", "pip", "install", *options, str(source), cwd=folder)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return made


def test_the_cli_lists_the_plugin_with_its_media_types(venv: Venv, tmp_path: Path) -> None:
    listed = venv.run("-m", "hub.cli", "channels", "--json", "--data-dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row["media_types"] for row in json.loads(listed.stdout)}
    assert rows["bealert"] == ["application/json", "application/vnd.be-alert+json"]
    assert {"cap", "amber", "burgernet", "nlalert"} <= set(rows)


def test_the_plugin_comes_from_the_throw_away_environment(venv: Venv) -> None:
    """What the hub discovers there is the pip-installed copy, not a path into this repository."""
    where = venv.run("-c", "import alerthub_bealert; print(alerthub_bealert.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv.path)


def test_a_served_hub_takes_a_bealert_message_and_shows_it_natively(
    venv: Venv, tmp_path: Path
) -> None:
    with served(venv, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as client:
        key = (tmp_path / "data" / "local-partner.key").read_text().strip()
        client.headers["authorization"] = f"Bearer {key}"
        posted = client.post(
            "/v1/channels/bealert/messages",
            content=SAMPLE.read_bytes(),
            headers={"content-type": "application/json"},
        )
        assert posted.status_code == 202, posted.text
        (accepted,) = posted.json()["accepted"]
        everything = {"lifecycle": "all"}  # the sample expired in 2025
        alerts = client.get("/v1/alerts", params=everything).json()["items"]
        (alert,) = [a for a in alerts if a["alert_id"] == accepted["alert_id"]]
        assert alert["origin"]["channel"] == "bealert"
        assert [i["language"] for i in alert["info"]] == ["nl-BE", "fr-BE", "de-BE", "en-US"]
        view = client.get("/v1/views/bealert", params=everything)
        assert view.status_code == 200, view.text
        (item,) = view.json()["items"]
        assert item["native"] == json.loads(SAMPLE.read_bytes())
        assert item["lost"] == []


def test_the_plugins_own_conformance_tests_pass_in_its_environment(
    venv: Venv, tmp_path: Path
) -> None:
    ran = venv.run(
        "-m", "pytest", str(PLUGIN / "tests"), "-q", "-p", "no:cacheprovider", cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout
    assert "failed" not in ran.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(venv: Venv, folder: Path) -> Iterator[str]:
    """`alerthub serve` from the throw-away environment on a free port, until the block ends."""
    port = free_port()
    log = folder / "server.log"
    env = venv.env | {"ALERTHUB_DATA_DIR": str(folder / "data"), "ALERTHUB_PORT": str(port)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [venv.python, "-m", "hub.cli", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield wait_ready(f"http://127.0.0.1:{port}", process, log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready: {log.read_text()[-2000:]}")
