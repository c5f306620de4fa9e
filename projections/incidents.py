"""Incidents: alerts of every channel that speak of the same event, grouped.

Alerts join one incident when they share a CAP `incidents` token, or when one references a
message recorded under another alert (an original that arrived after its update opened a
separate thread, say). Grouping is a union-find over those links, computed from the alert states,
so it is always consistent with the alerts view and works for as-of queries too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from domain.identity import NAMESPACE
from domain.state import AlertState, Lifecycle


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _links(state: AlertState) -> set[str]:
    tokens = {f"incident:{token}" for m in state.messages for token in m.incidents}
    refs = {f"message:{r.key}" for m in state.messages for r in m.references}
    return tokens | refs | {f"message:{m.key}" for m in state.messages}


def group(states: Iterable[AlertState]) -> list[list[AlertState]]:
    """Alerts partitioned into incidents (a lone alert is an incident of one)."""
    found = _UnionFind()
    by_id = {str(s.alert_id): s for s in states}
    for alert_id, state in by_id.items():
        node = f"alert:{alert_id}"
        found.find(node)
        for link in _links(state):
            found.union(node, link)
    groups: dict[str, list[AlertState]] = {}
    for alert_id, state in by_id.items():
        groups.setdefault(found.find(f"alert:{alert_id}"), []).append(state)
    return [sorted(g, key=lambda s: s.recorded_at) for g in groups.values()]


def incident_id(states: list[AlertState]) -> UUID:
    """Stable while the incident grows: named after its earliest alert."""
    return uuid5(NAMESPACE, f"incident:{states[0].alert_id}")


def incident_document(states: list[AlertState], now: datetime) -> dict[str, Any]:
    """One incident: its alerts, and each channel's state of it."""
    alerts = [
        {
            "alert_id": str(s.alert_id),
            "channel": s.origin.channel,
            "status": s.current.status.value,
            "lifecycle": s.lifecycle(now).value,
            "version": s.version,
            "event": s.current.info[0].event if s.current.info else None,
            "headline": s.current.info[0].headline if s.current.info else None,
        }
        for s in states
    ]
    channels: dict[str, str] = {}
    for state in states:
        name = state.origin.channel
        channels[name] = _merge(channels.get(name), state.lifecycle(now).value)
    tokens = sorted({t for s in states for m in s.messages for t in m.incidents})
    return {
        "incident_id": str(incident_id(states)),
        "lifecycle": _merge(None, *channels.values()),
        "incidents": tokens,
        "channels": channels,
        "alerts": alerts,
    }


def _merge(current: str | None, *lifecycles: str) -> str:
    """An incident (or a channel's part of it) is active while any of its alerts is."""
    values = {v for v in (current, *lifecycles) if v is not None}
    for lifecycle in (Lifecycle.ACTIVE, Lifecycle.EXPIRED, Lifecycle.ENDED):
        if lifecycle.value in values:
            return lifecycle.value
    return Lifecycle.ENDED.value
