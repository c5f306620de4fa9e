"""The fidelity report measures what each channel carries, and docs/fidelity.md shows it current.

Refresh the doc's table after changing a channel: `python -m tests.unit.test_fidelity`.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import distribution
from pathlib import Path

import pytest

from adapters.base import ENTRY_POINT_GROUP, Channel, Rendering, discover_channels
from adapters.cap import CapChannel
from adapters.fidelity import (
    FidelityReport,
    Verdict,
    canonical_fields,
    measure,
    render_markdown,
)
from adapters.fidelity.reference import VARIANTS, reference_messages
from domain.state import AlertState
from hub.cli.main import main

DOC = Path(__file__).parents[2] / "docs" / "fidelity.md"
BLOCK = re.compile(r"(<!-- fidelity:begin -->\n)(.*?)(<!-- fidelity:end -->)", re.DOTALL)


class Dropping(CapChannel):
    """CAP with one field blanked in every info block: a channel with exactly one loss."""

    name = "toy"

    def __init__(self, field: str = "instruction") -> None:
        self.field = field

    def render(self, alert: AlertState) -> Rendering:
        info = [i.model_copy(update={self.field: None}) for i in alert.current.info]
        shown = alert.current.model_copy(update={"info": info})
        return super().render(alert.model_copy(update={"current": shown}))


class Refusing(CapChannel):
    """A view that selects nothing and cannot render: the report must still be complete."""

    name = "refusing"

    def selects(self, alert: AlertState) -> bool:
        return False

    def render(self, alert: AlertState) -> Rendering:
        raise ValueError("no native shape for this")


def not_carried(report: FidelityReport) -> dict[str, Verdict]:
    return {path: v for path, v in report.fields.items() if v is not Verdict.CARRIED}


def built_in_channels() -> dict[str, Channel]:
    """The channels AlertHub itself registers (an installed plugin is not in the doc)."""
    own = distribution("alerthub").entry_points.select(group=ENTRY_POINT_GROUP)
    return discover_channels(own)


def current_table() -> str:
    return render_markdown([measure(c) for c in built_in_channels().values()])


def test_the_reference_fills_every_canonical_field() -> None:
    """Unfilled fields could not be measured; only `restriction` is empty (scope is Public)."""
    for message in reference_messages():
        empty = {name for name, value in message if value in (None, [], "")}
        assert empty <= {"restriction", "references"}  # the original Alert references nothing
        for info in message.info:
            assert all(value not in (None, [], "") for _, value in info), info.language
            assert all(v not in (None, []) for r in info.resources for _, v in r)
            assert all(v not in (None, []) for a in info.areas for _, v in a)
    assert [i.language for i in reference_messages()[1].info] == ["nl-NL", "en-US"]


def test_cap_carries_everything() -> None:
    """CAP is the canonical format: every field comes back unchanged, 100%."""
    report = measure(CapChannel())
    assert not_carried(report) == {}
    assert report.score == 1.0
    assert report.selected
    assert report.problem is None
    assert list(report.fields) == list(canonical_fields())


def test_a_channel_that_drops_instruction_loses_exactly_that() -> None:
    report = measure(Dropping("instruction"))
    assert not_carried(report) == {
        "info[0].instruction": Verdict.LOST,
        "info[1]": Verdict.ALTERED,  # the English block came back without its instruction
    }
    assert report.score == pytest.approx(1 - 2 / len(canonical_fields()))


def test_a_channel_that_cannot_render_loses_everything_and_says_why() -> None:
    report = measure(Refusing())
    assert set(report.fields.values()) == {Verdict.LOST}
    assert not report.selected
    assert report.variant == VARIANTS[0].name
    assert report.problem is not None
    assert "no native shape" in report.problem


@pytest.mark.parametrize("name", sorted(discover_channels()))
def test_every_installed_channel_gets_a_report(name: str) -> None:
    channel = discover_channels()[name]
    report = measure(channel)
    assert report.channel == name
    assert list(report.fields) == list(canonical_fields())
    assert report.selected, f"{name}'s view selects no variant of the reference"
    assert report.problem is None
    json.dumps(report.to_json())


def test_the_command_prints_the_table_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["channels", "--fidelity", "--data-dir", str(tmp_path)]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert table == render_markdown([measure(c) for c in discover_channels().values()])
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["channel"] for r in rows} == set(discover_channels())
    assert next(r for r in rows if r["channel"] == "cap")["score"] == 1.0


def test_the_doc_shows_the_current_measurement() -> None:
    found = BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert found, f"{DOC} has lost its fidelity:begin/end markers"
    assert found.group(2) == current_table(), (
        "docs/fidelity.md is out of date: run `python -m tests.unit.test_fidelity`"
    )


def refresh() -> None:
    """Write the current table between the doc's markers (the only generated part)."""
    text = DOC.read_text(encoding="utf-8")
    table = current_table()
    DOC.write_text(BLOCK.sub(lambda m: m.group(1) + table + m.group(3), text), encoding="utf-8")


if __name__ == "__main__":
    refresh()
