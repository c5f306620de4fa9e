"""The BE-Alert plugin under the hub's shared conformance suite, plus its own mapping rules.

Run with the plugin installed next to AlertHub (see README.md): the tests import
`alerthub_bealert` as the hub does, not from a path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from alerthub_bealert import BeAlertChannel, channel

from adapters.base import Channel, discover_channels
from adapters.conformance import ChannelConformance, Sample, fold
from domain.commands import EndAlert, IssueAlert, Outcome, UpdateAlert, command_for
from domain.errors import InvalidMessageError, UnsupportedMediaTypeError
from domain.inbox import Inbox
from domain.model import AlertMessage, MsgType, Status

SAMPLES = Path(__file__).parents[1] / "samples"
JSON = "application/json"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return data


def parse(data: dict[str, Any]) -> Any:
    (command,) = channel.parse(json.dumps(data).encode(), JSON)
    return command


class TestBeAlertConformance(ChannelConformance):
    channel: ClassVar[Channel] = BeAlertChannel()
    samples: ClassVar[tuple[Sample, ...]] = tuple(
        Sample.from_file(p, JSON) for p in sorted(SAMPLES.glob("*.json"))
    )
    malformed: ClassVar[tuple[Sample, ...]] = (
        Sample(b"{", JSON, "truncated JSON"),
        Sample(b"[]", JSON, "an array, not one item"),
        Sample(b'{"alert_id": "x", "alert_id": "y"}', JSON, "a key twice"),
        Sample(b'{"revision": NaN}', JSON, "NaN is not JSON"),
        Sample(b"\xff\xfe{}", JSON, "not UTF-8"),
        Sample(json.dumps({"alert_id": "a"}).encode(), JSON, "required fields missing"),
    )


def test_the_plugin_is_found_through_its_entry_point() -> None:
    """Installed, the hub discovers it by name without any list of its own."""
    assert isinstance(discover_channels()["bealert"], BeAlertChannel)


def test_every_language_is_an_info_block_and_municipalities_are_nis_geocodes() -> None:
    command = parse(load("port-fire-r1.json"))
    assert isinstance(command, IssueAlert)
    assert command.thread == "bealert:BEA-2025-0412"
    message = command.message
    assert [i.language for i in message.info] == ["nl-BE", "fr-BE", "de-BE", "en-US"]
    area = message.info[2].areas[0]
    assert [(g.name, g.value) for g in area.geocodes] == [("BE-NIS", "11002")]
    assert len(area.polygons) == 1
    assert message.info[0].parameter("bealert:channels") == "sms voice email location-sms"


def test_a_later_revision_updates_and_references_the_first() -> None:
    command = parse(load("port-fire-r2.json"))
    assert isinstance(command, UpdateAlert)
    (ref,) = command.message.references
    assert ref.identifier == "bealert-BEA-2025-0412-r1"
    assert ref.sent.isoformat() == "2025-06-05T14:12:00+02:00"


def test_an_ended_alert_is_resolved_and_all_clear() -> None:
    command = parse(load("port-fire-r3-ended.json"))
    assert isinstance(command, EndAlert)
    assert command.outcome is Outcome.RESOLVED
    assert command.message.msg_type is MsgType.CANCEL
    assert all(i.response_type == ["AllClear"] for i in command.message.info)


def test_status_test_is_cap_test() -> None:
    assert parse(load("quarterly-test.json")).message.status is Status.TEST


def test_the_alert_folds_to_ended_and_the_view_says_so() -> None:
    samples = [
        Sample.from_file(SAMPLES / n, JSON)
        for n in ("port-fire-r1.json", "port-fire-r2.json", "port-fire-r3-ended.json")
    ]
    (alert,) = fold(channel, samples).alerts.values()
    assert alert.state.ended is not None
    assert channel.render(alert.state).native["status"] == "ended"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"area": {"name": "X", "municipalities": ["1234"]}}, "area.municipalities.0"),
        ({"revision": "2"}, "revision"),
        ({"issued_at": "2025-06-05T14:12:00"}, "issued_at"),
        ({"status": "ended"}, "$"),
        ({"messages": {}}, "messages"),
        ({"channels": ["pager"]}, "channels.0"),
    ],
)
def test_invalid_items_name_the_native_field(change: dict[str, Any], location: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse(load("port-fire-r1.json") | change)
    assert caught.value.location.replace("[", ".").replace("]", "") == location


def test_other_media_types_are_refused() -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        channel.parse(b"{}", "application/xml")


def test_the_view_selects_a_foreign_alert_for_a_belgian_municipality() -> None:
    message = AlertMessage.model_validate(
        {
            "identifier": "vr-zeeland-1",
            "sender": "vr19.example.nl",
            "sent": "2025-06-05T14:00:00+02:00",
            "status": "Actual",
            "msg_type": "Alert",
            "scope": "Public",
            "info": [
                {
                    "language": "nl-NL",
                    "category": ["CBRNE"],
                    "event": "Gaslek",
                    "urgency": "Immediate",
                    "severity": "Severe",
                    "certainty": "Observed",
                    "headline": "Gaslek bij de grens",
                    "instruction": "Ga naar binnen.",
                    "areas": [
                        {"description": "Grens", "geocodes": [{"name": "BE-NIS", "value": "11002"}]}
                    ],
                }
            ],
        }
    )
    inbox = Inbox()
    alert_id = inbox.apply(command_for("cap", message))
    assert alert_id is not None
    state = inbox.alerts[alert_id].state
    assert channel.selects(state)
    rendering = channel.render(state)
    assert rendering.native["messages"] == {
        "nl": {"title": "Gaslek bij de grens", "body": "Ga naar binnen."}
    }
    assert "info[0].instruction" in rendering.lost
    assert channel.parse(rendering.body, rendering.media_type)
