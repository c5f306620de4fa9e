"""Distinct native messages and canonical commands, made from the shipped examples.

Every message a benchmark sends must be new to the hub: a repeated identifier is a duplicate
and costs one keyed read instead of a write, which would flatter every figure. A process-wide
counter makes identifiers unique across all benchmarks of a run.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from functools import cache
from typing import Any

from adapters.base import discover_channels
from bench.core import ROOT
from domain.commands import Command, command_for
from domain.model import AlertMessage, MsgType

EXAMPLES = ROOT / "examples" / "messages"
CAP_FILE = EXAMPLES / "cap" / "a2-severe-thunderstorm.xml"
BURGERNET_FILE = EXAMPLES / "burgernet" / "01-vermissing-start.json"
CAP_ID = b"KSTO1055887203"
CONTENT_TYPES = {"cap": "application/cap+xml", "burgernet": "application/json"}

_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


def cap_body(number: int | None = None) -> bytes:
    """CAP 1.2 spec example A.2 (a severe thunderstorm, ~1.7 kB) under a fresh identifier."""
    number = serial() if number is None else number
    return CAP_FILE.read_bytes().replace(CAP_ID, f"BENCH-{number}".encode())


def burgernet_body(number: int | None = None) -> bytes:
    """A Burgernet action object (one START message, ~0.8 kB) with a fresh action id."""
    number = serial() if number is None else number
    action: dict[str, Any] = json.loads(BURGERNET_FILE.read_text())
    action_id = 50_000_000 + number
    action["id"] = action_id
    for message in action["messages"]:
        message["speechId"] = f"{action_id}-1"
        message["responseUrl"] = f"https://www.burgernet.nl/acties/{action_id}"
    return json.dumps(action).encode()


BODIES = {"cap": cap_body, "burgernet": burgernet_body}


@cache
def _cap_template() -> AlertMessage:
    command = discover_channels()["cap"].parse(CAP_FILE.read_bytes(), CONTENT_TYPES["cap"])[0]
    assert isinstance(command, Command)
    return command.message


def prefill_commands(count: int) -> list[Command]:
    """`count` commands, each recording one alert event: pairs of a new Alert and its Update.

    Half the events create an alert and half update one, so a replay exercises both the insert
    and the read-modify-write path of the projection. Messages are copied from one parsed
    template (parsing is measured by the ingest benchmarks, not here).
    """
    base = _cap_template()
    commands: list[Command] = []
    while len(commands) < count:
        number = serial()
        alert = base.model_copy(update={"identifier": f"FILL-{number}"})
        commands.append(command_for("cap", alert))
        if len(commands) < count:
            update = base.model_copy(
                update={
                    "identifier": f"FILL-{number}-u",
                    "msg_type": MsgType.UPDATE,
                    "references": [alert.ref],
                    "sent": alert.sent + timedelta(minutes=1),
                }
            )
            commands.append(command_for("cap", update))
    return commands
