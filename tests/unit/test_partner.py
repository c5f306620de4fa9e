"""The Partner aggregate and provenance values: rights on record, revocation final."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.errors import PartnerRevokedError
from domain.partner import (
    Partner,
    PartnerKeyRotated,
    PartnerRegistered,
    PartnerRevoked,
    PartnerRights,
    PartnerRightsGranted,
    partner_id,
)
from domain.provenance import AuthMethod, Provenance, SignatureVerdict, Verdict

BY = Provenance(partner="operator", auth_method=AuthMethod.LOCAL, credential="root@host").to_json()


def _partner() -> Partner:
    rights = PartnerRights(channels=frozenset({"cap"}), senders=frozenset({"vr13@nl"}))
    return Partner.register("vr13", rights, "0123456789ab", "$argon2id$hash", BY)


def test_every_change_is_an_event_that_says_who_made_it() -> None:
    partner = _partner()
    partner.grant(PartnerRights(channels=frozenset({"cap", "nlalert"}), admin=True), BY)
    partner.rotate_key("ba9876543210", "$argon2id$other", BY)
    partner.revoke("left the programme", BY)
    events = partner.collect_events()
    assert [type(e) for e in events] == [
        PartnerRegistered,
        PartnerRightsGranted,
        PartnerKeyRotated,
        PartnerRevoked,
    ]
    assert all(e.by == BY for e in events)  # type: ignore[attr-defined]
    assert partner.id == partner_id("vr13")
    assert partner.revoked
    assert partner.keys == {}
    assert partner.rights.admin
    assert partner.rights.may_use_channel("nlalert")


def test_rotation_replaces_the_key() -> None:
    partner = _partner()
    partner.rotate_key("ba9876543210", "$argon2id$other", BY)
    assert partner.keys == {"ba9876543210": "$argon2id$other"}


def test_a_revoked_partner_no_longer_changes() -> None:
    partner = _partner()
    partner.revoke("compromised", BY)
    with pytest.raises(PartnerRevokedError):
        partner.rotate_key("ba9876543210", "$argon2id$other", BY)


@pytest.mark.parametrize("name", ["", "Upper", "white space", "-leading", "x" * 65, "a/b"])
def test_partner_names_are_safe_for_topics_and_logs(name: str) -> None:
    with pytest.raises(ValueError, match="partner name"):
        Partner.register(name, PartnerRights(), "0123456789ab", "h", BY)


def test_wildcards_and_explicit_rights() -> None:
    rights = PartnerRights(channels=frozenset({"*"}), senders=frozenset({"a@nl"}))
    assert rights.may_use_channel("anything")
    assert rights.may_use_sender("a@nl")
    assert not rights.may_use_sender("b@nl")


def test_pinned_certificates_must_be_pem() -> None:
    with pytest.raises(ValidationError, match="PEM"):
        PartnerRights(certificates=("not a certificate",))


def test_provenance_defaults_to_an_absent_signature() -> None:
    provenance = Provenance(partner="vr13", auth_method=AuthMethod.API_KEY, credential="k1")
    assert provenance.signature == SignatureVerdict(verdict=Verdict.ABSENT)
    assert provenance.to_json() == {
        "partner": "vr13",
        "auth_method": "api_key",
        "credential": "k1",
        "signature": {"verdict": "absent"},
    }
    assert provenance.acting("vr13") is provenance
    assert provenance.acting("vr01").acting_for == "vr01"
