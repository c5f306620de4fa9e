"""`alerthub erase ALERT_ID --reason TEXT` and `alerthub erase --due`: crypto-shredding by hand.

Erasing destroys the alert's data key and records `PersonalDataErased`. In the embedded mode the
views are brought up to date before the command returns, so nothing personal of the alert is left
in them either; in the Kafka mode the running hub's relay and projectors carry the erasure on.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from uuid import UUID

from hub.bootstrap import Hub, bootstrap
from hub.cli.common import settings_from
from hub.cli.partners import operator
from hub.privacy.erasure import MAX_REASON, Erased


def _alert_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an alert id (a UUID)") from None


def _reason(text: str) -> str:
    if not text.strip() or len(text) > MAX_REASON:
        raise argparse.ArgumentTypeError(f"a reason is 1 to {MAX_REASON} characters")
    return text.strip()


def _line(erased: Erased) -> dict[str, Any]:
    return {
        "alert_id": str(erased.alert_id),
        "erased_at": erased.at.isoformat(),
        "erased_by": erased.by,
        "recorded": erased.recorded,
        "version": erased.version,
    }


def erase(args: argparse.Namespace) -> int:
    if (args.alert_id is None) == (not args.due):
        sys.stderr.write("alerthub erase: give ALERT_ID --reason TEXT, or --due\n")
        return 2
    if args.alert_id is not None and args.reason is None:
        sys.stderr.write("alerthub erase: --reason is required with ALERT_ID\n")
        return 2
    settings = settings_from(args)
    hub = bootstrap(settings.model_copy(update={"run_retention": False}))
    try:
        done = _erase_due(hub) if args.due else [_erase_one(hub, args)]
        if settings.kafka_bootstrap is None:
            hub.follower.catch_up()
            hub.views.scrub()
    finally:
        hub.close()
    sys.stdout.writelines(json.dumps(_line(e)) + "\n" for e in done)
    return 0


def _erase_one(hub: Hub, args: argparse.Namespace) -> Erased:
    """Erased by the operator on this machine (the OS user at the host, as its provenance)."""
    provenance = operator()
    by = args.by or f"{provenance.partner}:{provenance.credential}"
    erased = hub.eraser.erase(args.alert_id, by=by, reason=args.reason, provenance=provenance)
    assert erased is not None  # no condition given
    return erased


def _erase_due(hub: Hub) -> list[Erased]:
    for due in hub.eraser.due():
        sys.stderr.write(f"due: {due.alert_id} ({due.channel}, since {due.at.isoformat()})\n")
    return hub.eraser.erase_due()


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "erase an alert's personal data (destroys its key), or every erasure retention has due"
    cmd = sub.add_parser("erase", parents=[common], help=text, description=text)
    cmd.add_argument("alert_id", nargs="?", type=_alert_id, help="the alert to erase")
    cmd.add_argument("--reason", type=_reason, help="why (kept on record)")
    cmd.add_argument("--by", help="on whose behalf, in words (default operator:<user>@<host>)")
    cmd.add_argument("--due", action="store_true", help="apply retention: erase what is due")
    cmd.set_defaults(handler=erase)
