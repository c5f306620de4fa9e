"""Burgernet actions naming a unique person, and a raw-bytes search of files, for privacy tests."""

from __future__ import annotations

import base64
import json
import random
import uuid
from pathlib import Path

from hub.bootstrap import Hub, live_projections
from projections.base import Projection
from projections.rebuild import rebuild

ACTION_START = 1_744_463_040


def unique_person() -> str:
    """A name no other test, sample or library holds (so finding it anywhere is a leak)."""
    return f"Hendrikje Zwaanswijk-{uuid.uuid4().hex[:12]}"


def burgernet_action(
    person: str, *, ended: bool = False, update: str | None = None, action_id: int | None = None
) -> bytes:
    """One Burgernet action describing `person`; `update` adds a later message with that text,
    `ended` its closing message."""
    number = action_id or random.randint(10_000_000, 99_999_999)
    messages = [
        {
            "title": f"Vermist: {person}",
            "body": f"Burgernet: Gezocht wordt {person}, 81 jaar, blauwe jas. Bel 0800-0011.",
            "responseUrl": f"https://www.burgernet.nl/acties/{number}",
            "messageType": "START",
            "lastModifiedTimestamp": ACTION_START,
            "speechId": f"{number}-1",
        }
    ]
    if update is not None:
        messages.append(
            {
                "title": "Aanvulling",
                "body": update,
                "responseUrl": f"https://www.burgernet.nl/acties/{number}",
                "messageType": "UPDATE",
                "lastModifiedTimestamp": ACTION_START + 60,
                "speechId": f"{number}-2",
            }
        )
    if ended:
        messages.append(
            {
                "title": "Actie beëindigd",
                "body": "Burgernet: De gezochte persoon is aangetroffen. Bedankt.",
                "responseUrl": f"https://www.burgernet.nl/acties/{number}",
                "messageType": "END",
                "lastModifiedTimestamp": ACTION_START + 3600,
                "speechId": None,
            }
        )
    action = {
        "id": number,
        "municipality": "Amersfoort",
        "actionType": "Vermissing",
        "amberAlert": False,
        "active": not ended,
        "startTimestamp": ACTION_START,
        "endTimestamp": ACTION_START + 3600 if ended else None,
        "area": {"lat": 52.1786, "lng": 5.4095, "radius": 2000},
        "messages": messages,
    }
    return json.dumps(action).encode()


def encodings(text: str) -> list[bytes]:
    """`text` as a file may hold it: UTF-8, UTF-16, and base64 at each of its three alignments
    (the middle of the encoding, which does not depend on the bytes around it)."""
    raw = text.encode()
    shifted = [base64.b64encode(bytes(k) + raw)[4 if k else 0 : -4] for k in range(3)]
    return [raw, text.encode("utf-16-le"), *shifted]


def files_holding(folder: Path, text: str) -> list[Path]:
    """Every file under `folder` whose raw bytes contain `text` in any of its `encodings`."""
    needles = encodings(text)
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and any(n in path.read_bytes() for n in needles)
    )


def rebuild_all(hub: Hub) -> None:
    """Every live view rebuilt from the whole stream, as `alerthub projections rebuild --all`."""
    for index in range(len(hub.follower.projections)):

        def copy(prefix: str, i: int = index) -> Projection:
            return live_projections(hub.channels, hub.geography, hub.lifetimes, prefix)[i]

        rebuild(hub.views, hub.stream, copy)
