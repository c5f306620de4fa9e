"""Judging a copy against the reference, one canonical field at a time.

Fields are named by canonical path: message fields by name (`references`), fields of the first
(Dutch) info block as `info[0].instruction`, its resources and areas as `info[0].areas[*].circles`
(the values of every area, in order), and the second (English) block as a whole, `info[1]`. Info
blocks are paired by language, because a channel may reorder them.

Values are compared in their JSON form, so a time in another offset or a rounded coordinate counts
as `altered`. Name/value lists (parameters, event codes, geocodes) count as carried when every
reference pair came back: channels add their own `<channel>:*` parameters, which lose nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from domain.model import AlertMessage, Area, Info, Resource

# `restriction` is not measured: the reference is Public, and CAP uses it only when Restricted.
MESSAGE_FIELDS = tuple(f for f in AlertMessage.model_fields if f not in ("info", "restriction"))
INFO_FIELDS = tuple(f for f in Info.model_fields if f not in ("resources", "areas"))
RESOURCE_PATHS = tuple(f"resources[*].{name}" for name in Resource.model_fields)
AREA_PATHS = tuple(f"areas[*].{name}" for name in Area.model_fields)
PAIR_LISTS = frozenset({"parameters", "event_codes", "geocodes"})
LISTS_OF_LISTS = frozenset({"polygons", "circles", "geocodes"})
FIRST, SECOND = "info[0]", "info[1]"


class Verdict(StrEnum):
    CARRIED = "carried"
    ALTERED = "altered"
    LOST = "lost"


def canonical_fields() -> tuple[str, ...]:
    """Every measured field, in the order of the canonical model."""
    block = (*INFO_FIELDS, *RESOURCE_PATHS, *AREA_PATHS)
    return (*MESSAGE_FIELDS, *(f"{FIRST}.{name}" for name in block), SECOND)


def compare(reference: AlertMessage, copy: AlertMessage | None) -> dict[str, Verdict]:
    """A verdict for every canonical field of `reference` (two info blocks) in `copy`."""
    original = reference.model_dump(mode="json")
    back = copy.model_dump(mode="json") if copy else {}
    verdicts = {name: judge(name, original[name], back.get(name)) for name in MESSAGE_FIELDS}
    first, second = reference.info[0], reference.info[1]
    copy_first = counterpart(first, 0, copy.info if copy else [], taken=())
    copy_second = counterpart(second, 1, copy.info if copy else [], taken=(copy_first,))
    verdicts |= {f"{FIRST}.{k}": v for k, v in _judge_block(first, copy_first).items()}
    verdicts[SECOND] = _whole(_judge_block(second, copy_second).values(), copy_second is not None)
    return verdicts


def judge(path: str, reference: Any, copy: Any) -> Verdict:
    """Carried if the same value came back, lost if none did, altered otherwise."""
    if copy == reference:
        return Verdict.CARRIED
    if _empty(copy):
        return Verdict.LOST
    if path.rsplit(".", 1)[-1] in PAIR_LISTS and all(pair in copy for pair in reference):
        return Verdict.CARRIED
    return Verdict.ALTERED


def counterpart(
    block: Info, index: int, blocks: list[Info], taken: Iterable[Info | None]
) -> Info | None:
    """The copy's block in the same language (else at the same position), unless already paired."""
    free = [b for b in blocks if all(b is not t for t in taken)]
    language = block.language.split("-")[0].lower()
    same = [b for b in free if b.language.split("-")[0].lower() == language]
    if same:
        return same[0]
    at_index = blocks[index] if index < len(blocks) else None
    return at_index if at_index in free else None


def _judge_block(block: Info, copy: Info | None) -> dict[str, Verdict]:
    original, back = block_values(block), block_values(copy)
    return {path: judge(path, value, back[path]) for path, value in original.items()}


def block_values(block: Info | None) -> dict[str, Any]:
    """An info block's values by path (`instruction`, `areas[*].circles`); empty when absent."""
    data = block.model_dump(mode="json") if block else {}
    values = {name: data.get(name) for name in INFO_FIELDS}
    resources, areas = data.get("resources", []), data.get("areas", [])
    values |= {p: [r[p.rsplit(".", 1)[1]] for r in resources] for p in RESOURCE_PATHS}
    values |= {p: _across(areas, p.rsplit(".", 1)[1]) for p in AREA_PATHS}
    return values


def _across(areas: list[dict[str, Any]], name: str) -> list[Any]:
    if name in LISTS_OF_LISTS:
        return [item for area in areas for item in area[name]]
    return [area[name] for area in areas]


def _whole(verdicts: Iterable[Verdict], present: bool) -> Verdict:
    if not present:
        return Verdict.LOST
    return Verdict.CARRIED if all(v is Verdict.CARRIED for v in verdicts) else Verdict.ALTERED


def _empty(value: Any) -> bool:
    if isinstance(value, list):
        return all(_empty(item) for item in value)
    return value is None or value == ""
