"""Poll mode: a channel's public feed fetched on an interval, through the same ingest path.

Feeds such as NL-Alert's are snapshots; polling them with conditional GETs is how the hub learns
what appeared, changed or vanished. One worker per configured feed (`ALERTHUB_POLL_FEEDS`).
"""

from __future__ import annotations

from adapters.nlalert.poll import FeedPoller
from domain.errors import ConfigurationError
from hub.service import IngestService
from hub.worker import Worker


class FeedWorker(Worker):
    def __init__(self, service: IngestService, channel: str, url: str, interval: float) -> None:
        super().__init__(idle_wait=interval)
        self.name = f"poll:{channel}"
        service.channel(channel)  # an unknown channel is a configuration error, at start
        self.poller = FeedPoller(
            url, lambda body, content_type: service.ingest(channel, body, content_type)
        )

    def step(self) -> int:
        """One conditional GET; the poller never raises, so the worker just waits again."""
        self.poller.poll_once()
        return 0


def feed_workers(
    service: IngestService, feeds: dict[str, str], interval: float
) -> list[FeedWorker]:
    try:
        return [FeedWorker(service, channel, url, interval) for channel, url in feeds.items()]
    except ValueError as exc:
        raise ConfigurationError(f"ALERTHUB_POLL_FEEDS: {exc}") from exc
