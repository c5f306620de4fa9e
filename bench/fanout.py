"""Fan-out: subscriptions matched and delivered per second, and the match cost as they grow.

Three measurements on a hub's own push side (matcher and delivery worker stepped in this process,
a webhook receiver on loopback answering 200 at once):

- one national alert (a polygon over the whole country) against N subscriptions: matches/s of
  the matcher and deliveries/s of the delivery worker;
- A local alerts against A subscriptions (2 km circles spread over the country): events/s
  through the matcher, deliveries/s;
- the matcher's cost per local event at growing numbers of subscriptions, which a spatial index
  keeps flat (a scan would grow with the subscriptions).

Subscriptions are written straight into the subscription store as active: the verification
handshake is a one-off per subscription and not part of fan-out.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.core import Context, Result, note
from domain.commands import command_for
from domain.model import AlertMessage
from hub.bootstrap import Hub, bootstrap
from hub.settings import load_settings
from hub.subscriptions.model import State, Subscription, SubscriptionRequest
from hub.subscriptions.webhooks import new_secret

# national subscriptions, local alerts and subscriptions, subscription counts for the cost curve
SIZES = {
    "full": (10_000, 1000, (1000, 10_000, 100_000)),
    "quick": (10_000, 1000, (1000, 10_000)),
    "smoke": (200, 20, (100, 400)),
}
NL = (51.3, 53.3, 3.9, 6.9)  # lat and lon ranges that lie over the Netherlands
COUNTRY = [[50.7, 3.3], [50.7, 7.3], [53.6, 7.3], [53.6, 3.3], [50.7, 3.3]]
COST_ALERTS = 200


class Receiver:
    """A webhook receiver that answers 200 with no work, keeping connections alive."""

    def __init__(self) -> None:
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                receiver.count += 1
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def spot(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(*NL[:2]), rng.uniform(*NL[2:])


@contextmanager
def push_hub(ctx: Context, name: str, subscriptions: int, url: str) -> Iterator[Hub]:
    settings = load_settings(
        data_dir=ctx.folder(name) / "data",
        run_projector=False,
        run_deliveries=False,
        webhook_allow_private=True,
        delivery_concurrency=32,
    )
    hub = bootstrap(settings, configure_logs=False)
    rng = random.Random(subscriptions)
    store = hub.push.service.store
    for _ in range(subscriptions):
        lat, lon = spot(rng)
        request = SubscriptionRequest.model_validate(
            {
                "area": {"circle": {"lat": lat, "lon": lon, "radius_km": 2}},
                "target": {"webhook": url},
            }
        )
        sub = Subscription(
            subscription_id=uuid.uuid4(),
            owner="bench",
            request=request,
            state=State.ACTIVE,
            created_at=datetime.now(UTC),
        )
        store.add(sub, new_secret(), None)
    try:
        yield hub
    finally:
        hub.close()


def alert(identifier: str, area: dict[str, object]) -> AlertMessage:
    return AlertMessage.model_validate(
        {
            "identifier": identifier,
            "sender": "bench@alerthub.example",
            "sent": datetime.now(UTC),
            "status": "Actual",
            "msg_type": "Alert",
            "scope": "Public",
            "info": [
                {
                    "language": "nl-NL",
                    "category": ["Safety"],
                    "event": "Bench",
                    "urgency": "Immediate",
                    "severity": "Severe",
                    "certainty": "Observed",
                    "headline": "Bench",
                    "areas": [{"description": "bench", **area}],
                }
            ],
        }
    )


def local_alerts(count: int, seed: int) -> list[AlertMessage]:
    rng = random.Random(seed)
    return [
        alert(
            f"LOCAL-{seed}-{i}",
            {"circles": [dict(zip(("lat", "lon"), spot(rng), strict=True)) | {"radius_km": 2}]},
        )
        for i in range(count)
    ]


def drain_matcher(hub: Hub) -> float:
    began = time.perf_counter()
    while hub.push.matcher.step():
        pass
    return time.perf_counter() - began


def drain_deliveries(hub: Hub) -> float:
    began = time.perf_counter()
    while hub.push.deliverer.step():
        pass
    return time.perf_counter() - began


def national(ctx: Context, subscriptions: int, receiver: Receiver) -> list[Result]:
    with push_hub(ctx, "fanout-national", subscriptions, receiver.url) as hub:
        hub.push.matcher.index()  # built once, outside the timing (it is kept between events)
        hub.service.handle([command_for("cap", alert("NATIONAL", {"polygons": [COUNTRY]}))])
        match_s = drain_matcher(hub)
        queued = hub.push.service.store.queue_depth()
        deliver_s = drain_deliveries(hub)
    conditions = {
        "subscriptions": subscriptions,
        "matched": queued,
        "receiver": "loopback",
        "concurrency": 32,
    }
    return [
        Result(
            "fanout national: matches/s",
            queued / match_s,
            "matches/s",
            "higher",
            conditions=conditions,
        ),
        Result(
            "fanout national: deliveries/s",
            queued / deliver_s,
            "deliveries/s",
            "higher",
            conditions=conditions,
        ),
    ]


def many(ctx: Context, count: int, receiver: Receiver) -> list[Result]:
    with push_hub(ctx, "fanout-many", count, receiver.url) as hub:
        hub.push.matcher.index()
        hub.service.handle([command_for("cap", m) for m in local_alerts(count, 7)])
        match_s = drain_matcher(hub)
        queued = hub.push.service.store.queue_depth()
        deliver_s = drain_deliveries(hub)
    conditions = {
        "alerts": count,
        "subscriptions": count,
        "matched": queued,
        "area": "2 km circles, uniform over the country",
    }
    return [
        Result(
            f"fanout {count}x{count}: events/s through the matcher",
            count / match_s,
            "events/s",
            "higher",
            conditions=conditions,
        ),
        Result(
            f"fanout {count}x{count}: deliveries/s",
            queued / max(deliver_s, 1e-9),
            "deliveries/s",
            "higher",
            conditions=conditions,
        ),
    ]


def cost_curve(ctx: Context, sizes: tuple[int, ...], receiver: Receiver) -> list[Result]:
    results = []
    for size in sizes:
        with push_hub(ctx, f"fanout-cost-{size}", size, receiver.url) as hub:
            hub.push.matcher.index()
            hub.service.handle([command_for("cap", m) for m in local_alerts(COST_ALERTS, size)])
            seconds = drain_matcher(hub)
            matched = hub.push.service.store.queue_depth()
        results.append(
            Result(
                f"fanout: match cost per event @{size:,} subscriptions",
                seconds / COST_ALERTS * 1e6,
                "us/event",
                "lower",
                conditions={
                    "subscriptions": size,
                    "events": COST_ALERTS,
                    "matches_per_event": round(matched / COST_ALERTS, 2),
                    "index": "shapely STRtree",
                },
            )
        )
        note(f"fanout cost @{size}: {results[-1].value:,.0f} us/event")
    return results


def run(ctx: Context) -> list[Result]:
    national_subs, local, curve = SIZES[ctx.sizes.mode]
    receiver = Receiver()
    try:
        return [
            *national(ctx, national_subs, receiver),
            *many(ctx, local, receiver),
            *cost_curve(ctx, curve, receiver),
        ]
    finally:
        receiver.close()
