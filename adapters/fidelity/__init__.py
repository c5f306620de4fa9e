"""How far each channel is from the single canonical model: measured, never declared.

`measure(channel)` takes the reference alert (`reference.py`: every canonical field filled),
folds it into an `AlertState` as the hub does, renders it through the channel, parses the
rendering's `body` back, folds that again and judges every canonical field of the shown message
(`compare.py`): carried, altered or lost. The channel's own `Rendering.lost` is kept beside the
measurement, so a declaration that drifts from what the format really does is visible.
`render_markdown` turns the reports into the table of `docs/fidelity.md`
(`alerthub channels --fidelity`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.base import Channel
from adapters.fidelity.compare import Verdict, canonical_fields, compare
from adapters.fidelity.reference import VARIANTS, Variant, fold, reference_state
from domain.errors import AlertHubError
from domain.model import AlertMessage
from domain.state import AlertState

__all__ = ["FidelityReport", "Verdict", "canonical_fields", "measure", "render_markdown"]

MARKS = {Verdict.CARRIED: "✓", Verdict.ALTERED: "~", Verdict.LOST: "✗"}
LEGEND = "✓ carried (the same value came back) · ~ altered (a different value came back) · ✗ lost"


@dataclass(frozen=True)
class FidelityReport:
    """One channel's measurement: a verdict for each of `canonical_fields()`, in that order."""

    channel: str
    variant: str
    selected: bool
    fields: Mapping[str, Verdict]
    declared_lost: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def score(self) -> float:
        """The share of canonical fields carried unchanged (1.0: the format is the model)."""
        carried = sum(verdict is Verdict.CARRIED for verdict in self.fields.values())
        return carried / len(self.fields) if self.fields else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "variant": self.variant,
            "selected": self.selected,
            "score": round(self.score, 4),
            "fields": {path: verdict.value for path, verdict in self.fields.items()},
            "declared_lost": list(self.declared_lost),
            "problem": self.problem,
        }


def measure(channel: Channel) -> FidelityReport:
    """Round-trip the reference (and its contrast) through `channel`; judge every field."""
    variant, state, selected = _presented(channel)
    contrast = reference_state(variant, channel.name, contrast=True)
    verdicts, declared, problem = _round_trip(channel, state)
    contrasted, _, contrast_problem = _round_trip(channel, contrast)
    return FidelityReport(
        channel=channel.name,
        variant=variant.name,
        selected=selected,
        fields={path: worst(v, contrasted[path]) for path, v in verdicts.items()},
        declared_lost=declared,
        problem=problem or contrast_problem,
    )


def _round_trip(
    channel: Channel, state: AlertState
) -> tuple[dict[str, Verdict], tuple[str, ...], str | None]:
    """Render, parse the body back, fold; the verdicts, the declared losses, and what failed."""
    reference = state.current
    try:
        rendering = channel.render(state)
    except Exception as exc:  # a channel that cannot render the reference carries nothing of it
        return compare(reference, None), (), f"render failed: {exc!r}"
    try:
        states = fold(channel.parse(rendering.body, rendering.media_type))
    except AlertHubError as exc:
        problem = f"its rendering does not parse back: {exc}"
        return compare(reference, None), tuple(rendering.lost), problem
    return compare(reference, _shown(states)), tuple(rendering.lost), None


def worst(*verdicts: Verdict) -> Verdict:
    """Lost beats altered beats carried: a field is carried only if every probe carried it."""
    return max(verdicts, key=list(Verdict).index)


def _presented(channel: Channel) -> tuple[Variant, AlertState, bool]:
    """The first variant of the reference the channel's view selects (else the plain one)."""
    for variant in VARIANTS:
        state = reference_state(variant, channel.name)
        if channel.selects(state):
            return variant, state, True
    return VARIANTS[0], reference_state(VARIANTS[0], channel.name), False


def _shown(states: Sequence[AlertState]) -> AlertMessage | None:
    """The message the parsed rendering's alert shows (the newest, if it opened several)."""
    return max(states, key=lambda s: s.current.sent).current if states else None


def render_markdown(reports: Sequence[FidelityReport]) -> str:
    """Rows: canonical fields; columns: channels; cells ✓ ~ ✗; a score row; notes per channel."""
    lines = [
        "| canonical field | " + " | ".join(r.channel for r in reports) + " |",
        "|---|" + ":-:|" * len(reports),
    ]
    for path in canonical_fields():
        cells = " | ".join(MARKS[r.fields[path]] for r in reports)
        lines.append(f"| `{path}` | {cells} |")
    scores = " | ".join(f"**{r.score:.0%}**" for r in reports)
    lines += [f"| **carried** | {scores} |", "", LEGEND, ""]
    lines += [_note(r) for r in reports]
    return "\n".join(lines) + "\n"


def _note(report: FidelityReport) -> str:
    note = f"- **{report.channel}**: measured on the {report.variant!r} variant"
    if not report.selected:
        note += " (its view selects none of the variants)"
    if report.problem:
        note += f"; {report.problem}"
    declared = ", ".join(f"`{name}`" for name in report.declared_lost)
    return note + (f"; declares lost: {declared}" if declared else "; declares nothing lost")
