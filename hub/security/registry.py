"""The partner registry: partners kept as aggregates in the event store, read through a cache.

Changes (add, grant, rotate, revoke) are saved as `Partner` events in the same store as the alerts,
so they are on record and reach every process. Each process keeps the partners in memory and, on
each look-up, reads only the notifications recorded since its last look (filtered to partner
events), so a revocation or a rotated key takes effect at once in every API process, without
a scan of the history per request.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.errors import PartnerExistsError, PartnerNotFoundError, UnauthenticatedError
from domain.partner import PARTNER_EVENTS, Partner, PartnerRights, partner_id
from hub.security.keys import KeyHasher, key_id_of
from hub.storage.store import EventStore

PARTNER_TOPICS = tuple(f"{cls.__module__}:{cls.__qualname__}" for cls in PARTNER_EVENTS)
_BATCH = 1000


class PartnerRegistry:
    def __init__(self, store: EventStore, hasher: KeyHasher | None = None) -> None:
        self.store = store
        self.hasher = hasher or KeyHasher()
        self._lock = threading.Lock()
        self._partners: dict[str, Partner] = {}
        self._position = 0
        self._verified: dict[str, tuple[str, str]] = {}  # sha256(key) -> (partner, key id)

    # -- changes (CLI, bootstrap) -------------------------------------------------------------

    def add(self, name: str, rights: PartnerRights, by: dict[str, Any]) -> tuple[Partner, str]:
        """Register a partner; returns it and its first key (the only time the key exists)."""
        if self._load(partner_id(name)) is not None:
            raise PartnerExistsError(f"partner {name} is already registered")
        key = self.hasher.new_key()
        partner = Partner.register(name, rights, key.key_id, key.hash, by)
        self.store.save(partner)
        return partner, key.token

    def grant(self, name: str, rights: PartnerRights, by: dict[str, Any]) -> Partner:
        partner = self.get(name)
        partner.grant(rights, by)
        self.store.save(partner)
        return partner

    def rotate_key(self, name: str, by: dict[str, Any]) -> tuple[Partner, str]:
        partner = self.get(name)
        key = self.hasher.new_key()
        partner.rotate_key(key.key_id, key.hash, by)
        self.store.save(partner)
        return partner, key.token

    def revoke(self, name: str, reason: str, by: dict[str, Any]) -> Partner:
        partner = self.get(name)
        partner.revoke(reason, by)
        self.store.save(partner)
        return partner

    # -- reads --------------------------------------------------------------------------------

    def get(self, name: str) -> Partner:
        partner = self._load(partner_id(name))
        if partner is None:
            raise PartnerNotFoundError(f"no partner named {name!r}")
        return partner

    def history(self, name: str) -> list[Any]:
        """Every event of the partner: who changed what, when."""
        return list(self.store.events.get(self.get(name).id))

    def partners(self) -> list[Partner]:
        """Every registered partner (revoked ones included), by name."""
        self.refresh()
        with self._lock:
            return sorted(self._partners.values(), key=lambda p: p.name)

    def is_empty(self) -> bool:
        return not self.partners()

    def refresh(self) -> None:
        """Take in the partner events recorded since the last look."""
        with self._lock:
            stop = self.store.max_position()
            while self._position < stop:
                batch = self.store.recorder.select_notifications(
                    self._position + 1, _BATCH, stop=stop, topics=PARTNER_TOPICS
                )
                for notification in batch:
                    partner = self._load(UUID(str(notification.originator_id)))
                    if partner is not None:
                        self._partners[partner.name] = partner
                self._position = batch[-1].id if len(batch) == _BATCH else stop

    def authenticate_key(self, token: str) -> tuple[Partner, str]:
        """The partner a key belongs to, and the key id; `UnauthenticatedError` otherwise.

        A key that verified once is remembered by its SHA-256 (never the key itself), so the
        argon2 cost is paid once per key and process; the partner's current keys are still
        checked on every call, so a rotation or revocation holds at once.
        """
        key_id = key_id_of(token)
        if key_id is None:
            raise UnauthenticatedError("the bearer token is not an AlertHub API key")
        self.refresh()
        with self._lock:
            partner = next((p for p in self._partners.values() if key_id in p.keys), None)
        if partner is None or partner.revoked:
            raise UnauthenticatedError("unknown or revoked API key")
        digest = hashlib.sha256(token.encode()).hexdigest()
        if self._verified.get(digest) != (partner.name, key_id):
            if not self.hasher.verify(partner.keys[key_id], token):
                raise UnauthenticatedError("unknown or revoked API key")
            self._verified[digest] = (partner.name, key_id)
        return partner, key_id

    def partner_named(self, name: str) -> Partner | None:
        """A registered, unrevoked partner by name (for tokens whose claim names the partner)."""
        self.refresh()
        with self._lock:
            partner = self._partners.get(name)
        return None if partner is None or partner.revoked else partner

    def _load(self, aggregate_id: UUID) -> Partner | None:
        try:
            found: object = self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Partner) else None
