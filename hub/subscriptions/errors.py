"""Subscription errors, in the hub's one error tree, so the API edge maps them like any other."""

from __future__ import annotations

from domain.errors import InvalidMessageError, NotFoundError


class InvalidSubscriptionError(InvalidMessageError):
    """A subscription request breaks a rule (area, filter, target); nothing is stored."""


class TargetRefusedError(InvalidSubscriptionError):
    """The delivery target is not allowed or did not prove it wants the deliveries."""


class SubscriptionNotFoundError(NotFoundError):
    """No subscription with that id is visible to the caller."""
