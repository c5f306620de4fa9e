"""The local partner: what makes the first `make run` a hub a newcomer can publish to at once.

On the first start with an empty registry (and `ALERTHUB_LOCAL_PARTNER` left on), the hub
registers a partner named `local` with every channel, any sender, and the administrator right,
logs its key once, and writes the key to `<data dir>/local-partner.key`, readable only by the
owner (0600). The hub binds to loopback by default, so only this machine can use it. Anyone can
revoke it later (`alerthub partners revoke local`) once real partners are registered.
"""

from __future__ import annotations

import os
from pathlib import Path

import structlog

from domain.partner import ANY, PartnerRights
from domain.provenance import AuthMethod, Provenance
from hub.security.registry import PartnerRegistry
from hub.settings import Settings

log = structlog.get_logger(__name__)

LOCAL = "local"
KEY_FILE = "local-partner.key"


def ensure_local_partner(registry: PartnerRegistry, settings: Settings) -> Path | None:
    """Create the local partner if the registry is empty; the key file's path when created."""
    if not settings.local_partner or not registry.is_empty():
        return None
    rights = PartnerRights(channels=frozenset({ANY}), senders=frozenset({ANY}), admin=True)
    by = Provenance(partner="hub", auth_method=AuthMethod.LOCAL, credential="first start")
    _, key = registry.add(LOCAL, rights, by.to_json())
    path = settings.data_dir / KEY_FILE
    write_secret(path, key)
    log.warning(
        "local_partner.created",
        partner=LOCAL,
        key=key,
        key_file=str(path),
        hint="use it as: Authorization: Bearer <key>; shown only this once",
    )
    return path


def write_secret(path: Path, secret: str) -> None:
    """Write a file only its owner can read, created with that mode (never readable first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
