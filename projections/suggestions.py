"""Incident suggestions over a set of alerts: every pair close enough in time is scored.

The scoring is the domain's (`domain.suggestions`); this module only chooses the pairs (sorted by
`sent`, a sliding window of `WINDOW`, so the work grows with the alerts that are close in time,
not with all pairs) and hands in where each alert lies (`places`, the hub's geography), computed
once per alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.state import AlertState
from domain.suggestions import WINDOW, Suggestion, suggest


def suggestions(
    states: Sequence[AlertState], places: Callable[[AlertState], set[str]]
) -> list[Suggestion]:
    """Suggested pairs, best first; alerts already in one incident by explicit link excluded."""
    public = sorted((s for s in states if s.is_public), key=lambda s: s.current.sent)
    where = {s.alert_id: places(s) for s in public}
    found: list[Suggestion] = []
    for index, first in enumerate(public):
        for second in public[index + 1 :]:
            if second.current.sent - first.current.sent > WINDOW:
                break
            if _linked(first, second):
                continue
            pair = suggest(first, second, where[first.alert_id], where[second.alert_id])
            if pair is not None:
                found.append(pair)
    return sorted(found, key=lambda s: (-s.score, str(s.suggestion_id)))


def _linked(a: AlertState, b: AlertState) -> bool:
    """Already one incident: a shared CAP incidents token or a thread of one system."""
    tokens = {t for m in a.messages for t in m.incidents}
    return bool(tokens & {t for m in b.messages for t in m.incidents}) or (
        a.thread is not None and a.thread == b.thread
    )
