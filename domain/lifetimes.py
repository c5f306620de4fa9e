"""Default lifetimes per channel, for alerts whose content has no `expires`.

CAP lets a sender leave `expires` out, and many do; without a default such an alert stays active
forever (an alert of 2003 would still show). A `Lifetimes` (from settings, built in the
composition root) gives each channel a default lifetime; the read side stamps every alert state it
stores with `assumed_expiry = sent + lifetime` when no info block says `expires`, and shows that
expiry marked as assumed. A channel not named uses the `"*"` entry; no entry means never.
Configuration is not a message fact, so the aggregate never sees it: no write-side decision
depends on an assumed expiry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from domain.state import AlertState

ANY_CHANNEL = "*"


class Lifetimes:
    """channel -> default lifetime in hours; `"*"` for every channel not named."""

    def __init__(self, hours: Mapping[str, float] | None = None) -> None:
        self.by_channel = {c: timedelta(hours=h) for c, h in (hours or {}).items()}

    def of(self, channel: str) -> timedelta | None:
        return self.by_channel.get(channel, self.by_channel.get(ANY_CHANNEL))

    def stamp(self, state: AlertState) -> AlertState:
        """The state with its assumed expiry (re)computed: sent of the content shown + lifetime."""
        lifetime = self.of(state.origin.channel)
        assumed = None
        if state.current.latest_expiry() is None and lifetime is not None:
            assumed = _plus(state.current.sent, lifetime)
        if assumed == state.assumed_expiry:
            return state
        return state.model_copy(update={"assumed_expiry": assumed})


def _plus(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, or the end of the calendar where that would overflow."""
    try:
        return moment + delta
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


NEVER = Lifetimes()
"""No defaults: an alert without `expires` never expires."""
