"""What the relay and the Kafka stream need from the Avro codec (`hub.streaming.avro.AvroCodec`)."""

from __future__ import annotations

from typing import Protocol

from projections.stream import Event

Headers = list[tuple[str, bytes]]


class EventCodec(Protocol):
    def encode(self, event: Event) -> tuple[bytes, Headers]:
        """The record value and headers for one domain event."""
        ...

    def decode(self, value: bytes) -> Event:
        """The domain event a record value holds (any kept writer schema)."""
        ...
