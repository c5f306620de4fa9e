"""The one composition root: settings in, a wired hub out. Nothing is built at import time.

Production (`alerthub serve`), the CLI and the tests all call `bootstrap` with their own settings,
so they run the same wiring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.base import Channel, discover_channels
from hub.follower import Follower
from hub.logging import configure_logging
from hub.metrics import Metrics
from hub.service import IngestService
from hub.settings import Settings
from hub.store import EventStore, open_sqlite_store
from hub.stream_embedded import EmbeddedStream
from projections.alerts import AlertsProjection, open_threads
from projections.database import ViewDatabase


@dataclass
class Hub:
    settings: Settings
    store: EventStore
    channels: Mapping[str, Channel]
    service: IngestService
    views: ViewDatabase
    follower: Follower
    metrics: Metrics

    def start(self) -> None:
        self.follower.start()

    def close(self) -> None:
        self.follower.stop()
        self.views.close()
        self.store.close()


def bootstrap(
    settings: Settings,
    *,
    channels: Mapping[str, Channel] | None = None,
    configure_logs: bool = True,
) -> Hub:
    """Build the hub described by `settings`; `channels` overrides discovery (tests of plugins)."""
    if configure_logs:
        configure_logging(settings)
    found = discover_channels() if channels is None else channels
    store = open_sqlite_store(settings.events_db)
    views = ViewDatabase(settings.views_db)
    follower = Follower(
        EmbeddedStream(store),
        views,
        [AlertsProjection()],
        poll_interval=settings.projection_poll_interval,
    )
    service = IngestService(store, found, open_threads=lambda c: open_threads(views.connect(), c))
    return Hub(settings, store, found, service, views, follower, _metrics(follower))


def _metrics(follower: Follower) -> Metrics:
    metrics = Metrics()
    metrics.describe("alerthub_messages_total", "counter", "Native messages by channel and outcome")
    metrics.describe("alerthub_events_recorded_total", "counter", "Events committed to the store")
    metrics.describe("alerthub_http_requests_total", "counter", "HTTP requests by route and status")
    metrics.gauge(
        "alerthub_projection_position",
        "Last notification id applied by each projection",
        lambda: {
            (("projection", name), ("partition", str(partition))): float(position)
            for name, checkpoint in follower.checkpoints().items()
            for partition, position in checkpoint.items()
        },
    )
    metrics.gauge(
        "alerthub_projection_lag",
        "Events recorded but not yet applied, per projection",
        lambda: {(("projection", n),): float(lag) for n, lag in follower.lag().items()},
    )
    return metrics
