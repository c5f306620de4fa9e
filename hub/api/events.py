"""Domain events as the API (and the CLI) show them: type, version, when, and the payload."""

from __future__ import annotations

from typing import Any

from domain.alert import AlertEnded, AlertEvent, AlertIssued, MessageRecorded


def event_document(event: AlertIssued | AlertEvent) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": type(event).__name__,
        "alert_id": str(event.originator_id),
        "version": event.originator_version,
        "recorded_at": event.timestamp.isoformat(),
        "channel": event.channel,
        "message": event.message,
        "provenance": event.provenance,
    }
    if isinstance(event, AlertEnded):
        doc |= {"outcome": event.outcome, "reason": event.reason}
    if isinstance(event, MessageRecorded):
        doc["reason"] = event.reason
    return doc
