"""The original bytes of every accepted native message, kept beside the events they caused.

A canonical event says what a message meant; the original says exactly what was received. It is
what an XML signature was computed over, so keeping it lets anyone re-check, years later, the
signature verdict the hub recorded when the message arrived (and compare a re-parse with what was
decided). One record per distinct body: its id is derived from the SHA-256 of the bytes, so the
same bytes received twice are kept once.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.identity import NAMESPACE


def body_digest(body: bytes) -> str:
    """SHA-256 of the bytes, lowercase hex: names an original in events and logs."""
    return hashlib.sha256(body).hexdigest()


def original_id(digest: str) -> UUID:
    return uuid5(NAMESPACE, f"original:{digest}")


class OriginalReceived(Aggregate.Created):
    """A native message was accepted: its bytes (base64), its signature verdict, its alerts.

    `signed_at` is the moment the signer's certificate had to cover (when the message says it was
    sent), so a re-check uses the same moment and reaches the same verdict from the same pins.
    """

    channel: str
    partner: str | None
    content_type: str | None
    body: str
    digest: str
    signature: dict[str, Any]
    signed_at: datetime
    alerts: list[str]


class OriginalMessage(Aggregate):
    """The bytes of one accepted native message and what the hub found when it arrived."""

    def __init__(  # noqa: PLR0917 - the created event's fields, as eventsourcing passes them
        self,
        channel: str,
        partner: str | None,
        content_type: str | None,
        body: str,
        digest: str,
        signature: dict[str, Any],
        signed_at: datetime,
        alerts: list[str],
    ) -> None:
        self.channel, self.partner, self.content_type = channel, partner, content_type
        self.body, self.digest, self.alerts = body, digest, alerts
        self.signature, self.signed_at = signature, signed_at

    @classmethod
    def record(
        cls,
        *,
        channel: str,
        partner: str | None,
        content_type: str | None,
        body: bytes,
        signature: dict[str, Any],
        signed_at: datetime,
        alerts: list[UUID],
    ) -> OriginalMessage:
        digest = body_digest(body)
        return cls._create(
            OriginalReceived,
            id=original_id(digest),
            channel=channel,
            partner=partner,
            content_type=content_type,
            body=base64.b64encode(body).decode("ascii"),
            digest=digest,
            signature=signature,
            signed_at=signed_at,
            alerts=[str(a) for a in alerts],
        )

    @property
    def raw(self) -> bytes:
        """The bytes exactly as received."""
        return self.decode(self.body)

    @staticmethod
    def decode(body: str) -> bytes:
        return base64.b64decode(body)
