"""`alerthub signatures`: re-check the recorded signature verdicts of the kept original messages.

Reads the event store (the SQLite file under `--data-dir`, or the configured PostgreSQL) and
writes nothing. Each kept original is checked again, at the moment its verdict was reached for,
with the certificates its partner has pinned now (or, with `--trust-cert`, with exactly the
certificates given); one JSON line per original says what was recorded, what holds now and
whether that changed. The exit status is 1 when any verdict changed (or any kept original no
longer matches its digest), so a scheduled audit can alert on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog
from cryptography import x509

from adapters.base import discover_channels
from domain.errors import ConfigurationError, PartnerNotFoundError
from hub.cli.common import settings_from
from hub.logging import configure_logging
from hub.privacy.setup import open_privacy
from hub.security.recheck import recheck
from hub.security.registry import PartnerRegistry
from hub.security.signatures import load_certificate, pinned_certificates
from hub.storage.store import open_store

log = structlog.get_logger("hub.cli")


def signatures_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    configure_logging(settings)  # logs to stderr: stdout is the report
    given = tuple(_certificate(path) for path in args.trust_cert or ())
    privacy = open_privacy(settings, discover_channels())  # the originals are kept sealed
    store = open_store(settings, privacy.sealer)
    registry = PartnerRegistry(store)

    def pins_for(partner: str | None) -> Sequence[x509.Certificate]:
        if args.trust_cert or partner is None:
            return given
        try:
            return pinned_certificates(registry.get(partner).rights.certificates)
        except PartnerNotFoundError:
            return ()

    checked = changed = 0
    try:
        for result in recheck(store, pins_for):
            checked += 1
            changed += result.changed
            if result.changed or not args.changed_only:
                sys.stdout.write(json.dumps(result.to_json()) + "\n")
    finally:
        store.close()
        privacy.close()
    log.info("signatures.rechecked", originals=checked, changed=changed)
    return 1 if changed else 0


def _certificate(path: Path) -> x509.Certificate:
    try:
        return load_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path} is not a readable PEM certificate: {exc}") from exc


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `signatures` on the `alerthub` subparsers."""
    text = "re-check the signature verdicts recorded with the kept original messages"
    cmd = sub.add_parser(
        "signatures", parents=[common], help=text, description=__doc__.split("\n\n")[1]
    )
    cmd.set_defaults(handler=signatures_command)
    cmd.add_argument(
        "--trust-cert",
        action="append",
        type=Path,
        metavar="FILE.pem",
        help="check with these certificates instead of the partners' pins (repeatable)",
    )
    cmd.add_argument("--changed-only", action="store_true", help="print only changed verdicts")
