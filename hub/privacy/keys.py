"""The key hierarchy: one master key wraps one data key per alert.

The master key (32 random bytes) comes from the `master_key` setting or from a key file; the
first command on a fresh data dir writes that file with mode 0600, and later commands refuse a
file that others may read. A key store remembers a check value wrapped by its master key, so a
hub started with another master key (or none) stops at once with a clear message rather than
serving ciphertext or wrapping new keys that nobody could later unwrap.

Data keys are AES-256 keys, wrapped with AES key wrap (RFC 3394, integrity-checked), one per
alert and named by the alert id; destroying one erases the alert's personal data everywhere it
is stored or streamed, since only ciphertext ever left the hub's memory.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from datetime import datetime
from pathlib import Path
from uuid import UUID

import structlog
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from hub.privacy.keystore import KeyStore, MasterKeyError

log = structlog.get_logger(__name__)

KEY_BYTES = 32
_CHECK_PLAINTEXT = b"alerthub master key check v1 ..."  # 32 bytes: key wrap takes 8n bytes


def new_master_key_file(path: Path) -> bytes:
    """Write a fresh master key to `path` (mode 0600, never over an existing file)."""
    key = secrets.token_bytes(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(base64.b64encode(key).decode() + "\n")
    log.warning("privacy.master_key_created", path=str(path), hint="back it up with the key store")
    return key


def decode_master_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"{where} is not a base64-encoded {KEY_BYTES}-byte key")
    return key


def read_master_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MasterKeyError(
            f"master key file {path} can be read by others (mode {stat.S_IMODE(mode):o});"
            f" run: chmod 600 {path}"
        )
    return decode_master_key(path.read_text(encoding="ascii"), f"master key file {path}")


def master_key(given: str | None, path: Path, *, fresh_store: bool) -> bytes:
    """The master key: the setting, else the key file (created only for a fresh key store)."""
    if given is not None:
        return decode_master_key(given, "setting ALERTHUB_MASTER_KEY")
    if path.exists():
        return read_master_key_file(path)
    if fresh_store:
        return new_master_key_file(path)
    raise MasterKeyError(
        f"no master key: set ALERTHUB_MASTER_KEY or restore the key file {path}; the key store"
        " holds data keys that only the master key it was made with can open"
    )


class DataKeys:
    """Each alert's data key, wrapped by the master key in a `KeyStore`."""

    def __init__(self, store: KeyStore, master: bytes) -> None:
        self.store, self._master = store, master
        check = store.check_value()
        if check is None:  # a new store; another process starting at once may set it first
            store.set_check_value(aes_key_wrap(master, _CHECK_PLAINTEXT))
            check = store.check_value()
            assert check is not None
        try:
            opened = aes_key_unwrap(master, check)
        except InvalidUnwrap:
            opened = b""
        if opened != _CHECK_PLAINTEXT:
            raise MasterKeyError(
                "the master key does not open this key store: it was made with another master"
                " key (check ALERTHUB_MASTER_KEY / the key file)"
            )

    def for_writing(self, alert_id: UUID) -> bytes | None:
        """The alert's key, made on first use; None once it was destroyed."""
        stored = self.store.get(str(alert_id))
        if stored is None:
            new = secrets.token_bytes(KEY_BYTES)
            stored = self.store.add(str(alert_id), aes_key_wrap(self._master, new))
        return self._unwrap(stored.wrapped)

    def for_reading(self, key_id: str) -> bytes | None:
        """The key named `key_id`; None when it was destroyed (or never kept here)."""
        stored = self.store.get(key_id)
        if stored is None:
            log.warning("privacy.key_unknown", key_id=key_id)
            return None
        return self._unwrap(stored.wrapped)

    def destroy(self, alert_id: UUID, at: datetime) -> bool:
        return self.store.destroy(str(alert_id), at)

    def _unwrap(self, wrapped: bytes | None) -> bytes | None:
        return None if wrapped is None else aes_key_unwrap(self._master, wrapped)
