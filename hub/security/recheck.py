"""Re-checking the signature verdicts recorded with the kept original messages.

Every accepted message's bytes are kept (`domain.original`), with the verdict reached when it
arrived and the moment its signer's certificate had to cover. Checking the same bytes again at the
same moment with the pins a partner has now tells an auditor whether a verdict still holds: a
certificate unpinned since (a retired or compromised key) turns `verified` into `untrusted`, and a
stored message altered behind the hub's back turns it into `invalid`. The bytes are kept sealed
under the keys of the alerts they caused (`hub.privacy.sealing`): an original of an alert whose
personal data was erased has no bytes left, and is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from cryptography import x509

from domain.original import OriginalMessage, OriginalReceived, body_digest
from domain.provenance import SignatureVerdict
from hub.security.signatures import check_signature
from hub.storage.store import EventStore

_TOPIC = f"{OriginalReceived.__module__}:{OriginalReceived.__qualname__}"
PinsFor = Callable[[str | None], Sequence[x509.Certificate]]  # partner (None: unknown) -> pins


@dataclass(frozen=True)
class Rechecked:
    original: OriginalReceived
    now: SignatureVerdict
    intact: bool  # the kept bytes still hash to the digest recorded with them

    @property
    def recorded(self) -> str:
        return str(self.original.signature.get("verdict", "absent"))

    @property
    def changed(self) -> bool:
        return not self.intact or self.now.verdict.value != self.recorded

    def to_json(self) -> dict[str, Any]:
        return {
            "digest": self.original.digest,
            "channel": self.original.channel,
            "partner": self.original.partner,
            "alerts": self.original.alerts,
            "received_at": self.original.timestamp.isoformat(),
            "recorded": self.original.signature,
            "now": self.now.model_dump(mode="json", exclude_none=True),
            "intact": self.intact,
            "changed": self.changed,
        }


def originals(store: EventStore, page: int = 200) -> Iterator[OriginalReceived]:
    """Every kept original, in the order received."""
    position = 0
    while True:
        found = store.recorder.select_notifications(
            start=position, limit=page, topics=[_TOPIC], inclusive_of_start=False
        )
        for notification in found:
            yield cast(OriginalReceived, store.mapper.to_domain_event(notification))
        if len(found) < page:
            return
        position = found[-1].id


def recheck(store: EventStore, pins_for: PinsFor) -> Iterator[Rechecked]:
    """Each original's signature checked again, at its recorded moment, with today's pins."""
    for original in originals(store):
        if not original.body:
            continue  # its bytes went with an erasure of its alerts' personal data
        body = OriginalMessage.decode(original.body)
        now = check_signature(body, pins_for(original.partner), at=original.signed_at)
        yield Rechecked(original, now, intact=body_digest(body) == original.digest)
