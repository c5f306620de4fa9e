"""Who published a message, and how the hub knows: recorded in every event.

A `Provenance` answers the questions an auditor asks of any event in the history: which partner
sent it, how that partner proved who it was (an API key, an OAuth 2.0 token, a Kafka principal,
the operator on the machine), with which credential (key id or token subject), what the message's
own XML signature said (`SignatureVerdict`), whether an administrator acted for another partner,
and the request it came with, so the access log and the history can be joined.

Values only: the checks that produce them live at the edges (HTTP authentication, signature
verification); the domain records what they found and decides rights from the partner.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from domain.model import Value


class Verdict(StrEnum):
    """What checking a message's enveloped XML signature found.

    `verified`: the signature is valid and made with a certificate pinned for the partner;
    `invalid`: a signature is there but does not verify (tampered, broken, wrong key);
    `untrusted`: it verifies, but with a certificate the partner has not pinned;
    `absent`: the message carries no signature (or its format cannot carry one).
    """

    VERIFIED = "verified"
    INVALID = "invalid"
    UNTRUSTED = "untrusted"
    ABSENT = "absent"


class SignatureVerdict(Value):
    """The verdict on one message's signature, and who signed it when that is known."""

    verdict: Verdict = Verdict.ABSENT
    signer: str | None = Field(
        default=None, max_length=1024, description="Subject of the signing certificate"
    )
    fingerprint: str | None = Field(
        default=None,
        max_length=128,
        description="SHA-256 of the signing certificate (DER), lowercase hex",
    )
    reason: str | None = Field(
        default=None, max_length=1024, description="Why a signature is not verified"
    )


class AuthMethod(StrEnum):
    """How the publisher proved who it is."""

    API_KEY = "api_key"  # Authorization: Bearer ahk_...
    OAUTH2 = "oauth2"  # Authorization: Bearer <JWT from the configured issuer>
    KAFKA = "kafka"  # a SASL principal writing its own ingress topic
    LOCAL = "local"  # the operator on the hub's machine (CLI, a configured feed poller)


class Provenance(Value):
    """Who published one message, as every event it caused records it."""

    partner: str = Field(min_length=1, max_length=128)
    auth_method: AuthMethod
    credential: str | None = Field(
        default=None, max_length=512, description="API key id, token subject or Kafka principal"
    )
    signature: SignatureVerdict = SignatureVerdict()
    acting_for: str | None = Field(
        default=None,
        max_length=128,
        description="The partner whose alert an administrator changed on its behalf",
    )
    request_id: str | None = Field(default=None, max_length=128)

    def to_json(self) -> dict[str, Any]:
        """The plain-data form stored in events (absent optional values left out)."""
        return self.model_dump(mode="json", exclude_none=True)

    def acting(self, owner: str) -> Provenance:
        """The same provenance, recorded as an administrator acting for `owner`."""
        return self if owner == self.partner else self.model_copy(update={"acting_for": owner})


OPERATOR = Provenance(partner="operator", auth_method=AuthMethod.LOCAL)
"""The operator on the hub's own machine (CLI ingest, in-memory folds): the default publisher."""
