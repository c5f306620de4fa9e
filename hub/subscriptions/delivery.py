"""The delivery worker: drains the queue, at least once, in order per alert and subscription.

Only the oldest pending delivery of each (subscription, alert) line is ever due, so sending the
due ones side by side keeps order per alert. A timeout, a connection error or a 5xx (and 408/429)
is retried with exponential back-off and full jitter; any other answer but 2xx is final. A delivery
still failing after `give_up_after` seconds goes to the dead-letter list, and its subscription is
paused with the reason, so a dead receiver stops costing attempts until an operator resumes it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import structlog

from hub.subscriptions import mail, webhooks
from hub.subscriptions.model import State, Subscription
from hub.subscriptions.payload import PayloadBuilder
from hub.subscriptions.store import Attempt, Delivery, SubscriptionStore
from hub.worker import Worker

log = structlog.get_logger(__name__)
RETRYABLE = {408, 429}
PayloadFor = Callable[[Delivery, str], dict[str, Any]]


@dataclass(frozen=True)
class Policy:
    first_retry: float = 1.0
    max_retry: float = 300.0
    give_up_after: float = 3600.0
    timeout: float = 10.0
    concurrency: int = 16

    def next_try(self, attempts: int) -> float:
        """Half the exponential bound plus a random share of the other half: never in lockstep."""
        bound = min(self.max_retry, self.first_retry * 2**attempts)
        return time.time() + random.uniform(bound / 2, bound)


class AttemptError(Exception):
    """One attempt failed: how, the HTTP status if any, and whether trying again may help."""

    def __init__(self, outcome: str, status: int | None, detail: str, retry: bool) -> None:
        super().__init__(detail)
        self.outcome, self.status, self.retry = outcome, status, retry


class Deliverer(Worker):
    name = "subscription-delivery"

    def __init__(
        self,
        subscriptions: SubscriptionStore,
        payloads: PayloadBuilder,
        policy: Policy,
        mailer: mail.Mailer | None,
        cap_xml: Callable[[UUID, int], bytes | None],
    ) -> None:
        super().__init__(idle_wait=0.2)
        self.subscriptions, self.payloads, self.policy = subscriptions, payloads, policy
        self.mailer, self.cap_xml = mailer, cap_xml
        self.client = httpx.Client(timeout=policy.timeout, follow_redirects=False)
        self._pool = ThreadPoolExecutor(policy.concurrency, thread_name_prefix="deliver")

    def step(self) -> int:
        """Send what is due, side by side; a payload is built once per alert version and page."""
        due = self.subscriptions.due(limit=self.policy.concurrency * 8)
        payloads: dict[tuple[UUID, int, str], dict[str, Any]] = {}
        lock = threading.Lock()

        def payload(delivery: Delivery, language: str) -> dict[str, Any]:
            key = (delivery.alert_id, delivery.version, language)
            with lock:
                if key not in payloads:
                    payloads[key] = self.payloads.build(delivery, language)
                return payloads[key]

        attempts = list(self._pool.map(lambda d: self.attempt(d, payload), due))
        self.subscriptions.record_attempts(attempts)
        for done in attempts:
            if done.dead:
                reason = f"delivery {done.delivery.event_id} failed for good: {done.error}"
                self.subscriptions.set_state(done.delivery.subscription_id, State.PAUSED, reason)
        return len(due)

    def attempt(self, delivery: Delivery, payload: PayloadFor) -> Attempt:
        """One try; what happened is returned and recorded with the rest of the page."""
        try:
            sub = self.subscriptions.get(delivery.subscription_id)
            self.send(sub, delivery, payload(delivery, sub.request.language))
        except AttemptError as failure:
            return self._failed(delivery, failure)
        except Exception as exc:  # a payload that cannot be built is a failure, not a crash
            log.exception("delivery.error", delivery_id=delivery.delivery_id)
            error = AttemptError("error", None, f"{type(exc).__name__}: {exc}", True)
            return self._failed(delivery, error)
        return Attempt(delivery, "delivered", 200, None, None)

    def send(self, sub: Subscription, delivery: Delivery, payload: dict[str, Any]) -> None:
        payload = {
            **payload,
            "event_id": delivery.event_id,
            "subscription_id": str(sub.subscription_id),
        }
        target = sub.request.target
        if target.webhook is not None:
            self._post(str(target.webhook), sub.subscription_id, delivery, payload)
        elif self.mailer is None:
            raise AttemptError("error", None, "no SMTP server is configured", True)
        else:
            xml = self.cap_xml(delivery.alert_id, delivery.version)
            try:
                self.mailer.send(mail.alert_mail(str(target.email), payload, xml))
            except Exception as exc:
                raise AttemptError(
                    "smtp-error", None, f"{type(exc).__name__}: {exc}", True
                ) from exc

    def _post(self, url: str, sub_id: UUID, delivery: Delivery, payload: object) -> None:
        secret = self.subscriptions.secret(sub_id)
        try:
            status = webhooks.post(self.client, url, secret, delivery.event_id, payload)
        except httpx.TimeoutException as exc:
            raise AttemptError(
                "timeout", None, f"no answer within {self.policy.timeout} s", True
            ) from exc
        except httpx.HTTPError as exc:
            raise AttemptError(
                "connection-error", None, f"{type(exc).__name__}: {exc}", True
            ) from exc
        if not 200 <= status < 300:
            retry = status >= 500 or status in RETRYABLE
            raise AttemptError("http-error", status, f"receiver answered HTTP {status}", retry)

    def _failed(self, delivery: Delivery, failure: AttemptError) -> Attempt:
        expired = time.time() - delivery.created_at > self.policy.give_up_after
        dead = not failure.retry or expired
        log.warning(
            "delivery.failed", delivery_id=delivery.delivery_id, error=str(failure), dead=dead
        )
        next_at = None if dead else self.policy.next_try(delivery.attempts)
        return Attempt(delivery, failure.outcome, failure.status, str(failure), next_at, dead)

    def stop(self) -> None:
        super().stop()
        self._pool.shutdown(wait=False)
        self.client.close()
