"""`alerthub subscriptions add | list | show | pause | resume | delete | deliveries | replay`.

The same rules as `/v1/subscriptions`: a webhook must answer its verification, an e-mail address
must follow its confirmation link. The CLI acts as an operator, for any owner.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from hub.bootstrap import bootstrap
from hub.cli.common import settings_from
from hub.subscriptions.errors import InvalidSubscriptionError
from hub.subscriptions.model import SubscriptionRequest
from hub.subscriptions.service import SubscriptionService

ACTIONS = ("add", "list", "show", "pause", "resume", "delete", "deliveries", "replay")


def add_subscription_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "manage subscriptions: area, filters, webhook or e-mail target"
    cmd = sub.add_parser("subscriptions", parents=[common], help=text, description=text)
    cmd.set_defaults(handler=run)
    cmd.add_argument("action", choices=ACTIONS)
    cmd.add_argument("subscription_id", nargs="?", type=UUID, help="for all but add and list")
    cmd.add_argument("--owner", default="operator", help="owning partner (add; list filter)")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--geocode", help="municipality GMxxxx or safety region VRxx")
    where.add_argument("--postcode", help="1234 or 1234AB")
    where.add_argument("--circle", help="LAT,LON,RADIUS_KM")
    where.add_argument("--polygon", help="LAT,LON LAT,LON ... (closed)")
    to = cmd.add_mutually_exclusive_group()
    to.add_argument("--webhook", help="https URL that answers the verification challenge")
    to.add_argument("--email", help="address that gets a confirmation link")
    cmd.add_argument("--channel", action="append", default=[], help="repeat; default all")
    cmd.add_argument("--min-severity", help="Extreme, Severe, Moderate, Minor or Unknown")
    cmd.add_argument("--min-urgency", help="Immediate, Expected, Future, Past or Unknown")
    cmd.add_argument("--status", action="append", default=[], help="repeat; default Actual")
    cmd.add_argument("--language", help="nl (default) or en")


@contextmanager
def _service(args: argparse.Namespace) -> Iterator[SubscriptionService]:
    settings = settings_from(args).model_copy(
        update={
            "run_projector": False,
            "run_relay": False,
            "kafka_ingress": False,
            "run_deliveries": False,
        }
    )
    hub = bootstrap(settings, configure_logs=True)
    try:
        yield hub.push.service
    finally:
        hub.close()


def run(args: argparse.Namespace) -> int:
    with _service(args) as service:
        result = _act(args, service)
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


def _act(args: argparse.Namespace, service: SubscriptionService) -> Any:
    if args.action == "add":
        sub = service.create(args.owner, _request(args))
        secret = service.secret(sub.subscription_id) if args.webhook else None
        return {**sub.document(), **({"secret": secret} if secret else {})}
    if args.action == "list":
        return {"items": [s.document() for s in service.store.find(None)]}
    if args.subscription_id is None:
        raise InvalidSubscriptionError(f"{args.action} needs a SUBSCRIPTION_ID", location="argv")
    sub_id: UUID = args.subscription_id
    actions: dict[str, Any] = {
        "show": lambda: None,
        "pause": lambda: service.pause(None, sub_id, "paused by an operator"),
        "resume": lambda: service.resume(None, sub_id),
        "delete": lambda: service.delete(None, sub_id),
        "deliveries": lambda: {"items": service.store.deliveries(sub_id)},
        "replay": lambda: {"requeued": service.replay_dead_letters(None, sub_id)},
    }
    done = actions[args.action]()
    if done is not None:
        return done
    if args.action == "delete":
        return {"deleted": str(sub_id)}
    return service.store.get(sub_id).document()


def _request(args: argparse.Namespace) -> SubscriptionRequest:
    area: dict[str, Any]
    if args.circle:
        lat, lon, radius = (float(x) for x in args.circle.split(","))
        area = {"circle": {"lat": lat, "lon": lon, "radius_km": radius}}
    elif args.polygon:
        area = {"polygon": [[float(x) for x in p.split(",")] for p in args.polygon.split()]}
    else:
        area = {"geocode": args.geocode} if args.geocode else {"postcode": args.postcode}
    given = {
        "area": area,
        "target": {"webhook": args.webhook} if args.webhook else {"email": args.email},
        "channels": args.channel,
        "min_severity": args.min_severity,
        "min_urgency": args.min_urgency,
        "statuses": args.status or None,
        "language": args.language,
    }
    try:
        return SubscriptionRequest.model_validate({k: v for k, v in given.items() if v is not None})
    except (ValidationError, ValueError) as exc:
        raise InvalidSubscriptionError(str(exc).splitlines()[0], location="argv") from exc
