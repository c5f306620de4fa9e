"""Poll mode: a channel's public feed fetched on an interval, through the same ingest path.

Feeds such as NL-Alert's are snapshots; polling them with conditional GETs is how the hub learns
what appeared, changed or vanished. One worker per configured feed (`ALERTHUB_POLL_FEEDS`).

A feed may also be Atom whose entries link to CAP documents, as another hub's
`/v1/feeds/all.atom` or an alerting authority's CAP feed: then each new or changed entry's CAP
document is fetched and ingested through the configured channel (`cap`), so CAP comes in
through Atom and hubs can be chained.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable

import structlog

from adapters.base import media_type_of
from adapters.cap.atom import ATOM_MEDIA_TYPE, FeedEntry, is_feed, parse_feed
from adapters.nlalert.parse import MAX_BYTES
from adapters.nlalert.poll import FeedPoller
from domain.errors import AlertHubError, ConfigurationError, InvalidMessageError
from domain.partner import ANY, PartnerRights
from domain.provenance import AuthMethod, Provenance
from domain.rights import Publisher
from hub.service import IngestService
from hub.worker import Worker

log = structlog.get_logger(__name__)

Ingest = Callable[[bytes, str | None], object]
Fetch = Callable[[str], tuple[bytes, str | None]]
ACCEPT = f"{ATOM_MEDIA_TYPE}, application/json;q=0.9, */*;q=0.8"


class FeedIncompleteError(AlertHubError):
    """Some entries of a followed feed could not be fetched; the feed is read again next poll."""


def fetch_document(
    url: str, timeout: float = 10.0, max_bytes: int = MAX_BYTES
) -> tuple[bytes, str | None]:
    """One linked document, bounded in size; raises on transport and HTTP errors."""
    request = urllib.request.Request(url, headers={"User-Agent": "AlertHub-feed-follower"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read(max_bytes + 1)
        content_type: str | None = response.headers.get("Content-Type")
    if len(body) > max_bytes:
        raise ValueError(f"{url} is larger than {max_bytes} bytes")
    return body, content_type


class AtomFollower:
    """What a poller hands each changed body to: Atom is followed, anything else is ingested.

    For Atom, an entry is fetched when its id is new or its `updated` changed. Entries the hub
    rejected are remembered (they would be rejected again); entries that could not be fetched
    or stored are not, and the poll raises so the poller reads the whole feed again next time.
    """

    def __init__(self, url: str, ingest: Ingest, fetch: Fetch = fetch_document) -> None:
        self.url, self.ingest, self.fetch = url, ingest, fetch
        self.seen: dict[str, str] = {}

    def __call__(self, body: bytes, content_type: str | None) -> None:
        if media_type_of(content_type) != ATOM_MEDIA_TYPE and not is_feed(body):
            self.ingest(body, content_type)
            return
        entries = parse_feed(body, self.url)
        failed = [entry.cap_url for entry in entries if not self._follow(entry)]
        self.seen = {e.id: self.seen[e.id] for e in entries if e.id in self.seen}
        if failed:
            raise FeedIncompleteError(f"{len(failed)} entries not taken in: {failed[:3]}")

    def _follow(self, entry: FeedEntry) -> bool:
        """Take one entry in unless already seen at this `updated`; False to try again later."""
        if self.seen.get(entry.id) == entry.updated:
            return True
        try:
            document, content_type = self.fetch(entry.cap_url)
            self.ingest(document, content_type)
        except InvalidMessageError as exc:
            log.warning("feed.entry_rejected", url=entry.cap_url, error=str(exc))
        except Exception as exc:
            log.warning("feed.entry_failed", url=entry.cap_url, error=repr(exc))
            return False
        self.seen[entry.id] = entry.updated
        return True


class FeedWorker(Worker):
    def __init__(self, service: IngestService, channel: str, url: str, interval: float) -> None:
        super().__init__(idle_wait=interval)
        self.name = f"poll:{channel}"
        service.channel(channel)  # an unknown channel is a configuration error, at start
        publisher = feed_publisher(channel, url)
        follower = AtomFollower(
            url,
            lambda body, content_type: service.ingest(
                channel, body, content_type, publisher=publisher
            ),
        )
        self.poller = FeedPoller(url, follower, accept=ACCEPT)

    def step(self) -> int:
        """One conditional GET; the poller never raises, so the worker just waits again."""
        self.poller.poll_once()
        return 0


def feed_publisher(channel: str, url: str) -> Publisher:
    """A feed the operator configured publishes as `feed.<channel>`, on that channel only.

    Its alerts are its own: its snapshots end only what it issued, under the same snapshot limit
    as any partner (an empty feed from a broken server ends nothing).
    """
    rights = PartnerRights(channels=frozenset({channel}), senders=frozenset({ANY}))
    provenance = Provenance(partner=f"feed.{channel}", auth_method=AuthMethod.LOCAL, credential=url)
    return Publisher(rights=rights, provenance=provenance)


def feed_workers(
    service: IngestService, feeds: dict[str, str], interval: float
) -> list[FeedWorker]:
    try:
        return [FeedWorker(service, channel, url, interval) for channel, url in feeds.items()]
    except ValueError as exc:
        raise ConfigurationError(f"ALERTHUB_POLL_FEEDS: {exc}") from exc
