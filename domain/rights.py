"""Rights decided on the write side: the publisher is part of every decision, not only the door's.

A `Publisher` is a partner acting: its rights and the provenance its events will carry. The
inbox asks it, for each command, whether the channel, the CAP sender and the areas are the
partner's; and, before any message changes an existing alert, whether that alert was first
issued by the same partner (an administrator may act for another, and its events say so).

CAP scopes identifiers by sender (a message is `sender|identifier`), and a partner may only use its
own senders, so no partner can take another's identifiers: squatting needs a sender it is not
granted. A feed snapshot ends only the publisher's own alerts, and `SnapshotLimit` refuses one
that would end more than a share of them at once (an empty or truncated feed) unless confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from domain.commands import Command
from domain.errors import ForbiddenError, MassEndRefusedError, UnauthenticatedError
from domain.model import Value
from domain.partner import ANY, PartnerRights
from domain.provenance import OPERATOR, Provenance


class Publisher(Value):
    """A partner acting on the hub: what it may do, and how it proved who it is."""

    rights: PartnerRights
    provenance: Provenance

    @classmethod
    def operator(cls, provenance: Provenance = OPERATOR) -> Publisher:
        """The operator on the hub's own machine (CLI ingest, in-memory checks): every right."""
        rights = PartnerRights(channels=frozenset({ANY}), senders=frozenset({ANY}), admin=True)
        return cls(rights=rights, provenance=provenance)

    @property
    def name(self) -> str:
        return self.provenance.partner

    def check(self, command: Command) -> None:
        """Refuse a command on a channel, sender or area the partner was not granted."""
        rights, message = self.rights, command.message
        if not rights.may_use_channel(command.channel):
            raise ForbiddenError(
                f"partner {self.name} may not publish on channel {command.channel}",
                right=f"channel:{command.channel}",
            )
        if not rights.may_use_sender(message.sender):
            raise ForbiddenError(
                f"partner {self.name} may not use the CAP sender {message.sender!r}",
                right=f"sender:{message.sender}",
            )
        if rights.areas:
            for i, info in enumerate(message.info):
                for j, area in enumerate(info.areas):
                    if not {g.value for g in area.geocodes} & rights.areas:
                        raise ForbiddenError(
                            f"partner {self.name} may not alert info[{i}].area[{j}] "
                            f"({area.description!r}): none of its geocodes is granted",
                            right=f"area:{area.description}",
                        )

    def provenance_for(self, alert: str, owner: str | None) -> Provenance:
        """The provenance of a change to an alert first issued by `owner`, if it is allowed."""
        if owner == self.name:
            return self.provenance
        if self.rights.admin:
            return self.provenance.acting(owner or "unknown")
        raise ForbiddenError(
            f"alert {alert} was first issued by {owner or 'an unknown publisher'}, not by "
            f"partner {self.name}; only its issuer (or an administrator) may change it",
            right="owner",
        )


def check_readable(
    reader: Publisher | None, subject: str, channels: Iterable[str], public: bool
) -> None:
    """Refuse a non-public alert to the public (401) and to partners off its channels (403)."""
    if public:
        return
    if reader is None:
        raise UnauthenticatedError(
            f"{subject} is not public (Test, Exercise, System, Restricted or Private): "
            "only partners of its channels may read it"
        )
    listed = list(channels)
    if not any(reader.rights.may_use_channel(c) for c in listed):
        raise ForbiddenError(
            f"{subject} is not public, and partner {reader.name} has no right on its channels",
            right=f"channel:{listed[0] if listed else '?'}",
        )


def may_read(reader: Publisher | None, channels: Iterable[str], public: bool) -> bool:
    return public or (
        reader is not None and any(reader.rights.may_use_channel(c) for c in channels)
    )


def readable_channels(reader: Publisher | None) -> frozenset[str] | None:
    """The channels whose non-public alerts `reader` may read; None: every channel."""
    if reader is None:
        return frozenset()
    if ANY in reader.rights.channels:
        return None
    return frozenset(reader.rights.channels)


class SnapshotLimit(Value):
    """How many of a partner's active alerts one feed snapshot may end at once."""

    max_share: float = Field(default=0.5, ge=0, le=1)
    min_count: int = Field(
        default=2, ge=1, description="Endings below this count are never refused"
    )
    confirmed: bool = Field(default=False, description="The publisher said it means it")

    def check(self, channel: str, ending: int, active: int) -> None:
        if self.confirmed or ending < self.min_count or ending <= self.max_share * active:
            return
        raise MassEndRefusedError(
            f"this snapshot of channel {channel} would end {ending} of your {active} active "
            f"alerts at once (more than {self.max_share:.0%}); an empty or truncated feed is the "
            "usual cause. Send it again with ?confirm_end=true (or the header "
            "AlertHub-Confirm-End: true) if you mean it",
            count=ending,
            active=active,
        )
