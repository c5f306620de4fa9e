"""Webhooks as the Standard Webhooks specification has them: signed, identified, timestamped.

Every request carries `webhook-id` (the event id: the receiver's idempotency key),
`webhook-timestamp` and `webhook-signature` (HMAC-SHA256 under the subscription's own secret),
made by the `standardwebhooks` package so any receiver library of the specification verifies it.
Before anything is delivered the receiver must prove it wants the deliveries by echoing a
challenge; and a target that resolves to loopback or a private network is refused unless the
hub is told private targets are allowed (server-side request forgery).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import socket
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook

from hub.subscriptions.errors import TargetRefusedError

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


def post(client: httpx.Client, url: str, secret: str, message_id: str, payload: Any) -> int:
    """POST a signed payload; the HTTP status (raises httpx errors on timeouts and resets)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    headers = signed_headers(secret, message_id, body)
    return client.post(url, content=body.encode(), headers=headers).status_code


def check_target(url: str, allow_private: bool) -> None:
    """Refuse what is not http(s), or what resolves to a loopback or private address."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefusedError("webhook must be an absolute http or https URL", location="target")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetRefusedError(
            f"webhook host {parts.hostname} does not resolve", location="target.webhook"
        ) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise TargetRefusedError(
                f"webhook host {parts.hostname} resolves to a non-public address ({address});"
                " private and loopback targets are refused",
                location="target.webhook",
            )


def verify_receiver(client: httpx.Client, url: str, secret: str, subscription_id: str) -> None:
    """The receiver must answer a signed challenge with the same challenge, or nothing is stored."""
    challenge = secrets.token_urlsafe(24)
    payload = {
        "type": "subscription.verification",
        "subscription_id": subscription_id,
        "challenge": challenge,
    }
    try:
        body = json.dumps(payload)
        response = client.post(
            url, content=body.encode(), headers=signed_headers(secret, f"verify-{challenge}", body)
        )
        answered = response.json().get("challenge") if response.status_code < 300 else None
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise TargetRefusedError(
            f"webhook did not answer the verification request: {type(exc).__name__}",
            location="target.webhook",
        ) from exc
    if answered != challenge:
        raise TargetRefusedError(
            "webhook did not echo the verification challenge"
            f' (HTTP {response.status_code}); answer 2xx with {{"challenge": ...}}',
            location="target.webhook",
        )
