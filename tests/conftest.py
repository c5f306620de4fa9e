"""Shared fixtures: a hub on real SQLite files in a temporary folder, built by the bootstrap."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.bootstrap import Hub, bootstrap
from hub.settings import load_settings

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples" / "messages"

HubFactory = Callable[..., Hub]


@pytest.fixture
def make_hub(tmp_path: Path) -> Iterator[HubFactory]:
    """Build hubs on `tmp_path` (the same folder each call, so a second hub is a restart)."""
    hubs: list[Hub] = []

    def build(**overrides: Any) -> Hub:
        settings = load_settings(data_dir=tmp_path / "data", log_format="console", **overrides)
        hub = bootstrap(settings, configure_logs=False)
        hubs.append(hub)
        return hub

    yield build
    for hub in hubs:
        hub.close()
