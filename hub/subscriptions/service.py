"""Subscribing, confirming, pausing and deleting: the rules the API and the CLI share.

Nobody is subscribed against their will: a webhook must answer a signed challenge before the
subscription is stored (active at once), and an e-mail address gets a confirmation link and
receives nothing until it is followed. An area must have a shape the hub knows, and a
subscription to a Dutch system must lie in or touch the Netherlands.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import httpx
import structlog

from hub.subscriptions import mail, webhooks
from hub.subscriptions.errors import InvalidSubscriptionError, SubscriptionNotFoundError
from hub.subscriptions.geometry import Geography, in_netherlands, subscription_shape
from hub.subscriptions.model import State, Subscription, SubscriptionRequest
from hub.subscriptions.store import SubscriptionStore

log = structlog.get_logger(__name__)
DUTCH_CHANNELS = frozenset({"nlalert", "amber", "burgernet"})


@dataclass
class SubscriptionService:
    store: SubscriptionStore
    geography: Geography
    channels: Collection[str]
    base_url: str
    allow_private_targets: bool
    mailer: mail.Mailer | None
    timeout: float = 10.0

    def create(self, owner: str, request: SubscriptionRequest) -> Subscription:
        self._check(request)
        sub_id = uuid.uuid4()
        secret = webhooks.new_secret()
        target = request.target
        token: str | None = None
        if target.webhook is not None:
            webhooks.check_target(str(target.webhook), self.allow_private_targets)
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                webhooks.verify_receiver(client, str(target.webhook), secret, str(sub_id))
            state = State.ACTIVE
        else:
            if self.mailer is None:
                raise InvalidSubscriptionError(
                    "e-mail subscriptions need an SMTP server (ALERTHUB_SMTP_HOST)",
                    location="target.email",
                )
            token, state = secrets.token_urlsafe(32), State.PENDING
        sub = Subscription(
            subscription_id=sub_id,
            owner=owner,
            request=request,
            state=state,
            created_at=datetime.now(UTC),
        )
        self.store.add(sub, secret, None if token is None else _digest(token))
        if token is not None and self.mailer is not None:
            self.mailer.send(mail.confirmation(str(target.email), self.confirm_link(sub_id, token)))
        log.info(
            "subscription.created",
            subscription_id=str(sub_id),
            owner=owner,
            target=target.kind,
            state=state.value,
        )
        return sub

    def secret(self, sub_id: UUID) -> str:
        return self.store.secret(sub_id)

    def replay_dead_letters(self, owner: str | None, sub_id: UUID) -> int:
        """Queue the dead letters again and resume the subscription (once the receiver is fixed)."""
        self.store.get(sub_id, owner)
        count = self.store.requeue(self.store.dead_letters(sub_id))
        self.store.set_state(sub_id, State.ACTIVE)
        return count

    def confirm_link(self, sub_id: UUID, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/v1/subscriptions/{sub_id}/confirm?token={token}"

    def confirm(self, sub_id: UUID, token: str) -> Subscription:
        expected = self.store.confirm_token(sub_id)
        sub = self.store.get(sub_id)
        if sub.state is State.PENDING:
            if expected is None or not hmac.compare_digest(expected, _digest(token)):
                raise SubscriptionNotFoundError(f"no pending subscription {sub_id} with that token")
            self.store.set_state(sub_id, State.ACTIVE)
        return self.store.get(sub_id)

    def pause(self, owner: str | None, sub_id: UUID, reason: str = "paused by its owner") -> None:
        self.store.get(sub_id, owner)
        self.store.set_state(sub_id, State.PAUSED, reason)

    def resume(self, owner: str | None, sub_id: UUID) -> None:
        if self.store.get(sub_id, owner).state is State.PENDING:
            raise InvalidSubscriptionError("confirm the subscription first", location="state")
        self.store.set_state(sub_id, State.ACTIVE)

    def delete(self, owner: str | None, sub_id: UUID) -> None:
        self.store.get(sub_id, owner)
        self.store.delete(sub_id)

    def _check(self, request: SubscriptionRequest) -> None:
        unknown = [c for c in request.channels if c not in self.channels]
        if unknown:
            raise InvalidSubscriptionError(f"unknown channel {unknown[0]}", location="channels")
        shape = subscription_shape(request.area, self.geography)
        dutch = request.channels and set(request.channels) <= DUTCH_CHANNELS
        if shape is not None and dutch and not in_netherlands(shape, self.geography):
            raise InvalidSubscriptionError(
                "the area lies outside the Netherlands, so no Dutch system alerts it",
                location="area",
            )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
