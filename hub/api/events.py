"""Domain events as the API (and the CLI) show them: type, version, when, and the payload."""

from __future__ import annotations

from typing import Any

from domain.alert import AlertEnded, AlertEvent, AlertIssued, MessageRecorded, PersonalDataErased


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
    if isinstance(event, MessageRecorded | PersonalDataErased):
        doc["reason"] = event.reason
    if isinstance(event, PersonalDataErased):
        doc |= {"erased_by": event.erased_by, "fields": event.fields}
    return doc
