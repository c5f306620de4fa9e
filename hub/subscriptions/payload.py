"""What a subscriber receives: the canonical alert at the event's version, and the group text.

Built when the delivery is sent, from the event store, so a delivery never carries more than the
store still holds (personal fields erased since the event was matched are not sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.alert import Alert
from domain.state import AlertState
from hub.storage.store import EventStore
from hub.subscriptions import groupmessage
from hub.subscriptions.store import Delivery
from projections.alerts import alert_document

EVENT_TYPES = {
    "AlertIssued": "alert.issued",
    "AlertUpdated": "alert.updated",
    "AlertEnded": "alert.ended",
}


@dataclass(frozen=True)
class PayloadBuilder:
    store: EventStore
    base_url: str

    def state(self, alert_id: UUID, version: int) -> AlertState:
        alert: Alert = self.store.repository.get(alert_id, version=version)
        return alert.state

    def link(self, alert_id: UUID) -> str:
        return f"{self.base_url.rstrip('/')}/v1/alerts/{alert_id}"

    def build(self, delivery: Delivery, language: str = "nl") -> dict[str, Any]:
        state = self.state(delivery.alert_id, delivery.version)
        link = self.link(delivery.alert_id)
        outcome = state.ended.outcome.value if state.ended is not None else None
        group = groupmessage.render(state.origin.channel, state.current, link, outcome, language)
        return {
            "type": EVENT_TYPES.get(delivery.event_type, delivery.event_type),
            "event_id": delivery.event_id,
            "alert_id": str(delivery.alert_id),
            "version": delivery.version,
            "timestamp": datetime.now(UTC).isoformat(),
            "alert": alert_document(state, datetime.now(UTC)),
            "group_message": group.as_json(),
            "links": {"alert": link},
        }
