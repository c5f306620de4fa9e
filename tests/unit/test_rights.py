"""Rights decided in the domain: the inbox refuses what the publisher was not granted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.commands import EndMissingAlerts
from domain.errors import ForbiddenError, MassEndRefusedError
from domain.inbox import Inbox
from domain.partner import PartnerRights
from domain.provenance import AuthMethod, Provenance
from domain.rights import Publisher, SnapshotLimit, check_readable
from tests.factories import cap, later, message


def publisher(name: str, *, admin: bool = False, areas: frozenset[str] = frozenset()) -> Publisher:
    rights = PartnerRights(
        channels=frozenset({"cap"}),
        senders=frozenset({f"{name}@example.nl"}),
        areas=areas,
        admin=admin,
    )
    provenance = Provenance(partner=name, auth_method=AuthMethod.API_KEY, credential="k")
    return Publisher(rights=rights, provenance=provenance)


def test_channel_sender_and_area_must_be_granted() -> None:
    vr01 = publisher("vr01", areas=frozenset({"GM0086"}))
    Inbox(publisher=vr01).apply(cap(message(sender="vr01@example.nl")))
    with pytest.raises(ForbiddenError) as sender:
        Inbox(publisher=vr01).apply(cap(message(sender="vr02@example.nl")))
    assert sender.value.right == "sender:vr02@example.nl"
    with pytest.raises(ForbiddenError) as channel:
        Inbox(publisher=vr01).apply(
            cap(message(sender="vr01@example.nl")).model_copy(update={"channel": "nlalert"})
        )
    assert channel.value.right == "channel:nlalert"
    elsewhere = publisher("vr01", areas=frozenset({"GM0363"}))
    with pytest.raises(ForbiddenError) as area:
        Inbox(publisher=elsewhere).apply(cap(message(sender="vr01@example.nl")))
    assert area.value.right == "area:Tolbert"


def test_only_the_issuer_or_an_administrator_changes_an_alert() -> None:
    original = message("m1", sender="vr01@example.nl")
    inbox = Inbox(publisher=publisher("vr01"))
    inbox.apply(cap(original))
    update = message(
        "u1", sender="vr02@example.nl", msg_type="Update", sent=later(5), references=[original]
    )
    inbox.publisher = publisher("vr02")
    with pytest.raises(ForbiddenError) as other:
        inbox.apply(cap(update))
    assert other.value.right == "owner"
    inbox.publisher = publisher("vr02", admin=True)
    (alert_id,) = inbox.touched
    assert inbox.apply(cap(update)) == alert_id
    last = inbox.alerts[alert_id].collect_events()[-1]
    assert last.provenance["acting_for"] == "vr01"  # type: ignore[attr-defined]
    assert last.provenance["partner"] == "vr02"  # type: ignore[attr-defined]


def test_a_snapshot_ending_most_of_a_publishers_alerts_needs_confirmation() -> None:
    inbox = Inbox(publisher=publisher("vr01"), limit=SnapshotLimit(max_share=0.5, min_count=2))
    for thread in ("a", "b", "c"):
        inbox.apply(cap(message(thread, sender="vr01@example.nl"), thread=thread))
    empty = EndMissingAlerts(channel="cap", present=frozenset())
    now = datetime(2025, 6, 3, tzinfo=UTC)
    with pytest.raises(MassEndRefusedError) as refused:
        inbox.apply_all([empty], now=now)
    assert (refused.value.count, refused.value.active) == (3, 3)
    inbox.apply_all(
        [EndMissingAlerts(channel="cap", present=frozenset({"a", "b"}))], now=now
    )  # one of three: allowed
    other = Inbox(publisher=publisher("vr02"), limit=SnapshotLimit())
    other.alerts, other.feeds = inbox.alerts, inbox.feeds  # the channel's feed lists vr01's open
    other.apply_all([empty], now=now)
    assert other.touched == []  # another publisher's snapshot ends none of vr01's alerts


def test_non_public_data_needs_a_partner_of_the_channel() -> None:
    check_readable(None, "alert x", ["cap"], public=True)
    with pytest.raises(Exception, match="not public"):
        check_readable(None, "alert x", ["cap"], public=False)
    with pytest.raises(ForbiddenError):
        check_readable(publisher("vr01"), "alert x", ["nlalert"], public=False)
    check_readable(publisher("vr01"), "alert x", ["cap"], public=False)
