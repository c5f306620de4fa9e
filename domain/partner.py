"""The `Partner` aggregate: who may publish what, as events, so every change of rights is on record.

A partner is an organisation connected to the hub (a safety region, the police's Burgernet desk, a
neighbouring country's CAP feed). Its rights say on which channels it may publish, with which CAP
`sender` values, in which areas, whether every message must carry a verified XML signature (and
with which pinned certificates), and whether it is an administrator (may change another partner's
alerts, recorded as such, and manage the hub). Its credentials are API keys, stored only as hashes
computed at the edge (the domain never sees a key, only its id and hash).

Every event records `by`: the provenance of whoever made the change, so "who granted this partner
the NL-Alert channel, and when" is answered by the partner's own history.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate
from pydantic import Field, field_validator

from domain.errors import PartnerRevokedError
from domain.identity import NAMESPACE
from domain.model import Value

ANY = "*"
"""In `channels` or `senders`: every one (the local operator's partner, never a default)."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def partner_id(name: str) -> UUID:
    """A partner's aggregate id, derived from its name so any process finds it without a lookup."""
    return uuid5(NAMESPACE, f"partner:{name}")


def valid_partner_name(name: str) -> str:
    """Lowercase letters, digits, `.`, `_`, `-`; it names Kafka topics and log fields too."""
    if not _NAME.match(name):
        raise ValueError(
            f"partner name {name!r} must be 1-64 of a-z, 0-9, '.', '_', '-' (starting alphanumeric)"
        )
    return name


class PartnerRights(Value):
    """What a partner may do. Empty `areas` means anywhere; `*` in channels/senders means any."""

    channels: frozenset[str] = frozenset()
    senders: frozenset[str] = frozenset()
    areas: frozenset[str] = Field(default=frozenset(), description="Geocode values, e.g. GM0363")
    require_signature: bool = False
    certificates: tuple[str, ...] = Field(default=(), description="Pinned certificates, PEM")
    admin: bool = False

    @field_validator("certificates")
    @classmethod
    def _pem(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pem in value:
            if "-----BEGIN CERTIFICATE-----" not in pem:
                raise ValueError("a pinned certificate must be PEM text (BEGIN CERTIFICATE)")
        return value

    def may_use_channel(self, channel: str) -> bool:
        return ANY in self.channels or channel in self.channels

    def may_use_sender(self, sender: str) -> bool:
        return ANY in self.senders or sender in self.senders

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        for key in ("channels", "senders", "areas"):
            data[key] = sorted(data[key])
        return data


class PartnerRegistered(Aggregate.Created):
    """A partner was added with its rights and its first API key (id and hash only)."""

    name: str
    rights: dict[str, Any]
    key_id: str
    key_hash: str
    by: dict[str, Any]


class PartnerEvent(Aggregate.Event):
    """Base of a partner's later events; each says who made the change."""

    by: dict[str, Any]

    def apply(self, aggregate: Aggregate) -> None:
        partner = aggregate
        assert isinstance(partner, Partner)
        if partner.revoked:
            raise PartnerRevokedError(f"partner {partner.name} is revoked")
        self.change(partner)

    def change(self, partner: Partner) -> None:
        raise NotImplementedError


class PartnerRightsGranted(PartnerEvent):
    """The partner's rights were set to these (the whole set, so each event stands alone)."""

    rights: dict[str, Any]

    def change(self, partner: Partner) -> None:
        partner.rights = PartnerRights.model_validate(self.rights)


class PartnerKeyRotated(PartnerEvent):
    """A new API key replaced the partner's keys; the old ones stop working at once."""

    key_id: str
    key_hash: str

    def change(self, partner: Partner) -> None:
        partner.keys = {self.key_id: self.key_hash}


class PartnerRevoked(PartnerEvent):
    """The partner may no longer do anything; its history (and its alerts) stay."""

    reason: str

    def change(self, partner: Partner) -> None:
        partner.keys = {}
        partner.revoked = True


PARTNER_EVENTS: tuple[type[Aggregate.Event], ...] = (
    PartnerRegistered,
    PartnerRightsGranted,
    PartnerKeyRotated,
    PartnerRevoked,
)


class Partner(Aggregate):
    """One connected organisation: its rights and the hashes of its keys."""

    def __init__(
        self,
        name: str,
        rights: dict[str, Any],
        key_id: str,
        key_hash: str,
        by: dict[str, Any],
    ) -> None:
        self.name = name
        self.rights = PartnerRights.model_validate(rights)
        self.keys: dict[str, str] = {key_id: key_hash}
        self.revoked = False

    @classmethod
    def register(
        cls, name: str, rights: PartnerRights, key_id: str, key_hash: str, by: dict[str, Any]
    ) -> Partner:
        return cls._create(
            PartnerRegistered,
            id=partner_id(valid_partner_name(name)),
            name=name,
            rights=rights.to_json(),
            key_id=key_id,
            key_hash=key_hash,
            by=by,
        )

    def grant(self, rights: PartnerRights, by: dict[str, Any]) -> None:
        self.trigger_event(PartnerRightsGranted, rights=rights.to_json(), by=by)

    def rotate_key(self, key_id: str, key_hash: str, by: dict[str, Any]) -> None:
        self.trigger_event(PartnerKeyRotated, key_id=key_id, key_hash=key_hash, by=by)

    def revoke(self, reason: str, by: dict[str, Any]) -> None:
        self.trigger_event(PartnerRevoked, reason=reason, by=by)
