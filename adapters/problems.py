"""Turning pydantic validation errors into the contract's `InvalidMessageError`, for any channel.

Each channel supplies how a canonical field path is spelled in its native format, so a partner
reads `info[0].area[1].polygon[0]` (CAP) or `data[3].area[0]` (NL-Alert), not pydantic's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from domain.errors import InvalidMessageError, Problem

Loc = Sequence[int | str]
M = TypeVar("M", bound=BaseModel)


def dotted(loc: Loc) -> str:
    """`('info', 0, 'areas')` -> `info[0].areas`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_from(exc: ValidationError, spell: Callable[[Loc], str] = dotted) -> list[Problem]:
    return [
        Problem(spell(tuple(err["loc"])), _message(err["msg"], err.get("input")))
        for err in exc.errors(include_url=False)
    ]


def _message(msg: str, value: object) -> str:
    msg = msg.removeprefix("Value error, ")
    shown = repr(value)
    if isinstance(value, (str, int, float)) and len(shown) <= 80:
        return f"{msg} (got {shown})"
    return msg


def validated(model: type[M], data: object, spell: Callable[[Loc], str] = dotted) -> M:
    """Validate data into a model, or raise `InvalidMessageError` naming each failing field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidMessageError(problems_from(exc, spell)) from None
