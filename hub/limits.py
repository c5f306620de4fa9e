"""Structural limits on one native message, checked after parsing and before anything is decided.

The body-size limit alone does not bound what a message costs: a 1 MiB CAP message can carry one
100,000-point polygon, which the views would then copy into every alert document they serve. These
limits bound the parts that grow the views and the answers: points, areas, info blocks, references,
resources and free text. The defaults are several times the largest real message we have seen
(README, "Limits"), so no real alert comes near them; a message over one is refused whole with
the limit named, and nothing of it is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from domain.commands import Command, Instruction
from domain.errors import LimitExceededError, Problem
from domain.model import AlertMessage, Info

_TEXT_FIELDS = ("event", "headline", "description", "instruction", "contact", "audience")


@dataclass(frozen=True)
class Limits:
    """The largest structure the hub accepts in one message (see the module doc)."""

    polygon_points: int = 5_000
    message_points: int = 20_000
    areas: int = 100
    info_blocks: int = 16
    references: int = 100
    resources: int = 16
    text_chars: int = 8_192

    def check(self, instructions: Sequence[Instruction]) -> None:
        """Raise `LimitExceededError` naming every limit the message goes over."""
        found = [
            over
            for instruction in instructions
            if isinstance(instruction, Command)
            for over in self._problems(instruction.message)
        ]
        if found:
            raise LimitExceededError([problem for _, problem in found], limit=found[0][0])

    def _problems(self, message: AlertMessage) -> Iterator[tuple[str, Problem]]:
        if len(message.info) > self.info_blocks:
            yield _over("info_blocks", "info", len(message.info), self.info_blocks)
        if len(message.references) > self.references:
            yield _over("references", "references", len(message.references), self.references)
        total = 0
        for i, info in enumerate(message.info):
            yield from self._info_problems(f"info[{i}]", info)
            total += sum(len(p) for area in info.areas for p in area.polygons)
        if total > self.message_points:
            yield _over("message_points", "info", total, self.message_points)

    def _info_problems(self, where: str, info: Info) -> Iterator[tuple[str, Problem]]:
        if len(info.areas) > self.areas:
            yield _over("areas", f"{where}.area", len(info.areas), self.areas)
        if len(info.resources) > self.resources:
            yield _over("resources", f"{where}.resource", len(info.resources), self.resources)
        for name in _TEXT_FIELDS:
            text = getattr(info, name)
            if text is not None and len(text) > self.text_chars:
                yield _over("text_chars", f"{where}.{name}", len(text), self.text_chars)
        for a, area in enumerate(info.areas):
            for p, polygon in enumerate(area.polygons):
                if len(polygon) > self.polygon_points:
                    location = f"{where}.area[{a}].polygon[{p}]"
                    yield _over("polygon_points", location, len(polygon), self.polygon_points)


def _over(limit: str, location: str, found: int, allowed: int) -> tuple[str, Problem]:
    return limit, Problem(location, f"{found} is over the {limit} limit of {allowed}")
