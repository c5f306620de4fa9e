"""`alerthub partners add | grant | list | show | rotate-key | revoke`: the registry, by hand.

Run on the hub's machine against its data directory: whoever can run this can read the store
anyway, so the operator acts with the `local` method, recorded (with the OS user) on every change.
A new key is printed once, on stdout alone, so `KEY=$(alerthub partners add ...)` captures it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import socket
import sys
from pathlib import Path
from typing import Any

import structlog

from domain.partner import Partner, PartnerRights
from domain.provenance import AuthMethod, Provenance
from hub.bootstrap import bootstrap
from hub.cli.common import settings_from
from hub.security.registry import PartnerRegistry

log = structlog.get_logger("hub.cli")


def operator() -> Provenance:
    """The provenance of what the operator does on this machine: the OS user at the host."""
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    return Provenance(partner="operator", auth_method=AuthMethod.LOCAL, credential=who)


def describe(partner: Partner) -> dict[str, Any]:
    """A partner as `list`/`show` print it: rights and key ids, never a hash."""
    return {
        "name": partner.name,
        "revoked": partner.revoked,
        "key_ids": sorted(partner.keys),
        **partner.rights.to_json(),
        "certificates": len(partner.rights.certificates),
    }


def _rights(args: argparse.Namespace) -> PartnerRights:
    return PartnerRights(
        channels=frozenset(args.channel),
        senders=frozenset(args.sender or []),
        areas=frozenset(args.area or []),
        require_signature=args.require_signature,
        certificates=tuple(Path(f).read_text() for f in args.trust_cert or []),
        admin=args.admin,
    )


def _write(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def partners(args: argparse.Namespace) -> int:
    hub = bootstrap(settings_from(args))
    try:
        _act(hub.registry, args)
    except (ValueError, OSError) as exc:  # a bad name, a bad or unreadable certificate
        log.error("partners.refused", error=type(exc).__name__, detail=str(exc))
        return 2
    finally:
        hub.close()
    return 0


def _act(registry: PartnerRegistry, args: argparse.Namespace) -> None:
    match args.action:
        case "add":
            _, key = registry.add(args.name, _rights(args), operator().to_json())
            sys.stdout.write(key + "\n")
            sys.stderr.write(f"partner {args.name} added; the key above is shown only once\n")
        case "grant":
            registry.grant(args.name, _rights(args), operator().to_json())
            sys.stderr.write(f"partner {args.name}: rights replaced\n")
        case "list":
            _write([describe(p) for p in registry.partners()])
        case "show":
            history = [
                {"type": type(e).__name__, "at": e.timestamp, "by": getattr(e, "by", None)}
                for e in registry.history(args.name)
            ]
            _write(describe(registry.get(args.name)) | {"history": history})
        case "rotate-key":
            _, key = registry.rotate_key(args.name, operator().to_json())
            sys.stdout.write(key + "\n")
            sys.stderr.write(f"partner {args.name}: new key above; the old one no longer works\n")
        case "revoke":
            registry.revoke(args.name, args.reason, operator().to_json())
            sys.stderr.write(f"partner {args.name} revoked\n")


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    cmd = sub.add_parser("partners", help="manage the partners that may publish")
    actions = cmd.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="register a partner; prints its key")
    grant = actions.add_parser(
        "grant", parents=[common], help="replace a partner's rights with the ones given"
    )
    for action in (add, grant):
        _rights_options(action)
    actions.add_parser("list", parents=[common], help="every partner and its rights")
    for name, text in (
        ("show", "one partner, with who changed it when"),
        ("rotate-key", "replace the partner's key; prints the new one"),
        ("revoke", "revoke the partner: its keys stop working"),
    ):
        action = actions.add_parser(name, parents=[common], help=text)
        action.add_argument("name", help="partner name")
        if name == "revoke":
            action.add_argument("--reason", default="revoked by the operator", help="why")
    cmd.set_defaults(handler=partners)


def _rights_options(action: argparse.ArgumentParser) -> None:
    action.add_argument("name", help="partner name: a-z, 0-9, '.', '_', '-'")
    action.add_argument("--channel", action="append", required=True, help="a channel it may use")
    action.add_argument("--sender", action="append", help="a CAP sender it may use")
    action.add_argument("--area", action="append", help="a geocode value it may alert (GM0363)")
    action.add_argument("--require-signature", action="store_true", help="refuse unsigned messages")
    action.add_argument("--trust-cert", action="append", help="a PEM certificate it signs with")
    action.add_argument("--admin", action="store_true", help="may act for other partners")
