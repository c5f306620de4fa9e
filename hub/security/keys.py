"""API keys: long random tokens with a recognisable prefix, stored only as argon2 hashes.

A key reads `ahk_<key id>_<secret>`: the prefix lets secret scanners (and people) recognise a
leaked AlertHub key; the key id is public (it is recorded in provenance and logs) and picks the
one hash to check, so a request never costs more than one argon2 verification; the secret is
32 random bytes. Only the argon2id hash of the whole key is kept, in the partner's history.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PREFIX = "ahk_"
_KEY = re.compile(r"^ahk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: `token` is shown once to the operator, then only its hash exists."""

    key_id: str
    token: str
    hash: str


def key_id_of(token: str) -> str | None:
    """The key id of a well-formed key, or None for anything else (a JWT, garbage)."""
    match = _KEY.match(token)
    return match.group(1) if match else None


class KeyHasher:
    """argon2id with the library's defaults (RFC 9106's low-memory profile)."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def new_key(self) -> NewKey:
        key_id = secrets.token_hex(6)
        token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        return NewKey(key_id, token, self._hasher.hash(token))

    def verify(self, stored_hash: str, token: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, token)
        except (VerificationError, InvalidHashError):
            return False
