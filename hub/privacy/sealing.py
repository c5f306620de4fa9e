"""Sealing: an event's personal fields encrypted under its alert's key, before it is stored.

Why here, at the event store's mapper (the seam between domain events and stored records), and
not in the domain or with eventsourcing's own cipher: the domain stays pure and decides on
plaintext in memory; eventsourcing's cipher encrypts every stored event with ONE application key,
which cannot forget one alert without forgetting all. The mapper seals each alert event under
that alert's own key, so destroying the key erases exactly that alert.

A sealed event's message keeps every non-personal field in the clear (status, times, areas,
categories: the statistics) and `SEALED` markers where its personal fields were; beside it,
`sealed` holds the key id, the leaves' paths and the AES-256-GCM ciphertext of their values, with
the alert id, version and paths as associated data (a ciphertext cannot be moved to another event).
The relay publishes events in this sealed form, so the Kafka topic never holds plaintext either;
every reader (the store's repository, the embedded stream, the Kafka stream) opens them: with the
key the values come back, without it (erased) they read `ERASED`. Never an error.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from domain.errors import AlertHubError
from domain.original import OriginalReceived
from domain.personal import (
    ERASED,
    SEALED,
    locate,
    marked,
    markers,
    parse_path,
    path_text,
    read,
    replace_in,
)
from hub.privacy.keys import DataKeys
from hub.streaming.codec import EventCodec, Headers
from projections.stream import Event

SEALED_ATTRIBUTE = "sealed"
"""The event attribute (stored, and on the stream's envelope) that holds the ciphertext."""
SEALED_BODY = "sealed_body"
"""The attribute of a kept original message that holds its bytes, sealed."""

FieldsOf = Callable[[str], tuple[str, ...]]
"""The personal-field patterns of a channel, by name."""


class SealError(AlertHubError):
    """A sealed value does not open with its key: it was altered, or belongs elsewhere."""


def _aad(alert_id: UUID | str, version: int, paths: list[str]) -> bytes:
    return json.dumps([str(alert_id), version, paths]).encode()


class Sealer:
    """Seals and opens the personal fields of alert events, by the channels' declarations."""

    def __init__(self, keys: DataKeys, fields_of: FieldsOf) -> None:
        self.keys, self.fields_of = keys, fields_of

    def seal(self, event: Event) -> Event:
        """The event as it may be stored and streamed: personal values only as ciphertext."""
        if isinstance(event, OriginalReceived):
            return self._seal_original(event)
        state = vars(event)
        message, channel = state.get("message"), state.get("channel")
        if not isinstance(message, dict) or not isinstance(channel, str):
            return event  # a receipt: no message, nothing personal
        paths = locate(message, self.fields_of(channel))
        if not paths:
            return event
        key = self.keys.for_writing(event.originator_id)
        if key is None:  # erased already: what arrives now is never kept
            return with_state(event, {**state, "message": marked(message, paths, ERASED)})
        texts = [path_text(p) for p in paths]
        nonce = os.urandom(12)
        plaintext = json.dumps([read(message, p) for p in paths], ensure_ascii=False).encode()
        ciphertext = AESGCM(key).encrypt(
            nonce, plaintext, _aad(event.originator_id, event.originator_version, texts)
        )
        sealed = {
            "key_id": str(event.originator_id),
            "paths": texts,
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }
        return with_state(
            event,
            {**state, "message": marked(message, paths, SEALED), SEALED_ATTRIBUTE: sealed},
        )

    def _seal_original(self, event: OriginalReceived) -> Event:
        """A kept original message: its bytes sealed under the key of every alert it caused, one
        layer each, so erasing any one of those alerts makes the bytes unreadable."""
        state = vars(event)
        data = base64.b64decode(state["body"])
        layers = []
        for alert_id in sorted(state["alerts"]):
            key = self.keys.for_writing(UUID(alert_id))
            if key is None:  # an alert of it is erased already: the bytes are never kept
                return with_state(event, {**state, "body": ""})
            nonce = os.urandom(12)
            data = AESGCM(key).encrypt(nonce, data, _aad(event.originator_id, 0, [alert_id]))
            layers.append({"key_id": alert_id, "nonce": base64.b64encode(nonce).decode()})
        sealed = {"layers": layers, "ciphertext": base64.b64encode(data).decode()}
        return with_state(event, {**state, "body": "", SEALED_BODY: sealed})

    def _open_original(self, event: Event, state: dict[str, Any]) -> Event:
        """The original's bytes while every key exists; no bytes (`body` "") once one is gone."""
        sealed = state.pop(SEALED_BODY)
        data = base64.b64decode(sealed["ciphertext"])
        for layer in reversed(sealed["layers"]):
            key = self.keys.for_reading(layer["key_id"])
            if key is None:
                return with_state(event, state)
            aad = _aad(event.originator_id, 0, [layer["key_id"]])
            try:
                data = AESGCM(key).decrypt(base64.b64decode(layer["nonce"]), data, aad)
            except InvalidTag:
                raise SealError(f"the kept original {event.originator_id} does not open") from None
        return with_state(event, {**state, "body": base64.b64encode(data).decode()})

    def open(self, event: Event) -> Event:
        """The event as readers see it: plaintext while the key exists, `ERASED` after.

        `event` is one just decoded (from the store or the stream) that only the caller holds:
        its message is filled in place, since copying it cost more than the decryption.
        """
        state = dict(vars(event))
        if SEALED_BODY in state:
            return self._open_original(event, state)
        sealed: dict[str, Any] | None = state.pop(SEALED_ATTRIBUTE, None)
        if sealed is None:
            return event
        texts = list(sealed["paths"])
        paths = [parse_path(t) for t in texts]
        key = self.keys.for_reading(sealed["key_id"])
        if key is None:
            replace_in(state["message"], markers(paths, ERASED))
            return with_state(event, state)
        try:
            plaintext = AESGCM(key).decrypt(
                base64.b64decode(sealed["nonce"]),
                base64.b64decode(sealed["ciphertext"]),
                _aad(event.originator_id, event.originator_version, texts),
            )
        except InvalidTag:
            raise SealError(
                f"sealed fields of {event.originator_id} v{event.originator_version} do not open"
                " with their key: altered, or copied from another event"
            ) from None
        values = json.loads(plaintext)
        replace_in(state["message"], zip(paths, values, strict=True))
        return with_state(event, state)


def with_state(event: Event, state: dict[str, Any]) -> Event:
    """A copy of an event with other attributes (events are frozen; this is how they are read)."""
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", state)
    return copy


class SealingMapper(Mapper[UUID]):
    """eventsourcing's mapper: alert events sealed on the way in, opened on the way out."""

    def __init__(self, transcoder: Transcoder, sealer: Sealer) -> None:
        super().__init__(transcoder=transcoder)
        self.sealer = sealer

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return super().to_stored_event(self.sealer.seal(domain_event))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.sealer.open(self.to_sealed_event(stored_event))

    def to_sealed_event(self, stored_event: StoredEvent) -> Any:
        """The event as stored, personal values still sealed (what the relay publishes)."""
        return super().to_domain_event(stored_event)


class OpeningCodec:
    """A stream codec whose decoded events come opened (what every Kafka reader of the hub uses)."""

    def __init__(self, codec: EventCodec, sealer: Sealer) -> None:
        self.codec, self.sealer = codec, sealer

    def encode(self, event: Event) -> tuple[bytes, Headers]:
        return self.codec.encode(event)

    def decode(self, value: bytes) -> Event:
        return self.sealer.open(self.codec.decode(value))
