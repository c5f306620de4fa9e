"""The one composition root: settings in, a wired hub out. Nothing is built at import time.

Production (`alerthub serve`), the CLI and the tests all call `bootstrap` with their own settings,
so they run the same wiring. Store and views are SQLite files, or PostgreSQL with a database URL
(then several processes can serve one hub). Without Kafka the store's notification log is the
stream; with a Kafka bootstrap the relay publishes every event, projections read the topic, and
partners may publish on ingress topics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from uuid import UUID

from adapters.base import Channel, discover_channels
from adapters.territory import keep_to_territories
from domain.lifetimes import Lifetimes
from domain.rights import SnapshotLimit
from geography import Geography
from hub.logging import configure_logging
from hub.metrics import Metrics
from hub.polling import feed_workers
from hub.privacy.erasure import Eraser, RetentionWorker
from hub.privacy.sealing import OpeningCodec, Sealer
from hub.privacy.setup import Privacy, open_privacy
from hub.security.auth import Authenticator
from hub.security.registry import PartnerRegistry
from hub.service import IngestService
from hub.settings import Settings
from hub.storage.database_url import DatabaseUrl
from hub.storage.health import StorageHealth
from hub.storage.postgres import (
    PROJECTOR_LEASE,
    RELAY_LEASE,
    AdvisoryLease,
    open_views,
    probe,
)
from hub.storage.store import EventStore, open_store
from hub.streaming.avro import AvroCodec
from hub.streaming.embedded import PARTITION, EmbeddedStream
from hub.streaming.follower import Follower
from hub.streaming.ingress import Ingress
from hub.streaming.kafka import KafkaStream
from hub.streaming.relay import Relay, kafka_producer
from hub.streaming.topics import DEADLETTER, ensure_topics, ingress_topic
from hub.subscriptions.delivery import Deliverer, Policy
from hub.subscriptions.mail import Mailer
from hub.subscriptions.matcher import Matcher
from hub.subscriptions.payload import PayloadBuilder
from hub.subscriptions.service import SubscriptionService
from hub.subscriptions.store import SubscriptionStore
from hub.worker import Lease, Worker, always
from projections.alerts import Places
from projections.base import Projection
from projections.database import ViewDatabase
from projections.queries import ReadModel
from projections.registry import discover_projections
from projections.stream import EventStream


@dataclass
class Leases:
    """Who may relay, and who may project the embedded stream, when processes share a database."""

    relay: Lease = always
    projector: Lease = always

    @classmethod
    def for_settings(cls, settings: Settings) -> Leases:
        if settings.database_url is None:
            return cls()  # one process owns the SQLite files
        url = DatabaseUrl.parse(settings.database_url)
        return cls(AdvisoryLease(url, RELAY_LEASE), AdvisoryLease(url, PROJECTOR_LEASE))

    def close(self) -> None:
        for lease in (self.relay, self.projector):
            if isinstance(lease, AdvisoryLease):
                lease.close()


def _reachable() -> None:
    """SQLite files need no probe: the store's own read answers at once."""


@dataclass
class Hub:
    settings: Settings
    store: EventStore
    channels: Mapping[str, Channel]
    geography: Geography
    lifetimes: Lifetimes
    service: IngestService
    views: ViewDatabase
    stream: EventStream
    follower: Follower
    metrics: Metrics
    reads: ReadModel
    registry: PartnerRegistry
    auth: Authenticator
    push: Push
    privacy: Privacy
    eraser: Eraser
    relay: Relay | None = None
    ingress: Ingress | None = None
    workers: list[Worker] = field(default_factory=list)
    probe: Callable[[], None] = _reachable  # raises when the database cannot be reached
    leases: Leases = field(default_factory=Leases)

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def wait_for_views(self, position: int, timeout: float) -> bool:
        """Read-your-writes: wait until the views show the store up to `position`."""
        for worker in self.workers:
            worker.wake()
        if self.relay is None:
            return self.follower.wait_for({PARTITION: position}, timeout)
        offsets = self.relay.wait_published(position, timeout)
        return offsets is not None and self.follower.wait_for(offsets, timeout)

    def close(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()
        self.leases.close()
        self.stream.close()
        self.push.service.store.close()
        self.views.close()
        self.store.close()
        self.privacy.close()


def bootstrap(
    settings: Settings,
    *,
    channels: Mapping[str, Channel] | None = None,
    configure_logs: bool = True,
) -> Hub:
    """Build the hub described by `settings`; `channels` overrides discovery (tests of plugins)."""
    if configure_logs:
        configure_logging(settings)
    geography = Geography()  # reads its data file on first use, not here
    lifetimes = Lifetimes(settings.default_lifetime_hours)
    found = keep_to_territories(
        discover_channels() if channels is None else channels, {"NL": geography.in_netherlands}
    )
    with ExitStack() as undo:  # what opened is closed again if a later part fails
        privacy = open_privacy(settings, found)
        undo.callback(privacy.close)
        store = open_store(settings, privacy.sealer)
        undo.callback(store.close)
        views = open_views(settings)
        undo.pop_all()
    service = IngestService(
        store,
        found,
        limits=settings.limits,
        snapshot_limit=SnapshotLimit(
            max_share=settings.snapshot_end_max_share, min_count=settings.snapshot_end_min_count
        ),
        storage=StorageHealth(settings.data_dir, settings.min_free_disk_mib * 1024 * 1024),
    )
    metrics = Metrics(found)
    leases = Leases.for_settings(settings)
    registry = PartnerRegistry(store)
    if settings.kafka_bootstrap is None:
        stream: EventStream = EmbeddedStream(store)
        relay = ingress = None
    else:
        stream, relay, ingress = _kafka(settings, store, service, registry, privacy.sealer, metrics)
        relay.lease = leases.relay
    follower = Follower(
        stream,
        views,
        live_projections(found, geography, lifetimes),
        poll_interval=settings.projection_poll_interval,
        lease=leases.projector if relay is None else always,  # Kafka: the group shares
    )
    auth = Authenticator.from_settings(registry, settings)
    push = build_push(settings, store, found, geography, registry)
    eraser = Eraser(store, privacy.keys, views, privacy.sealer.fields_of, settings.retention)
    reads = ReadModel(views, found, covers=geography.covers)
    hub = Hub(
        settings,
        store,
        found,
        geography,
        lifetimes,
        service,
        views,
        stream,
        follower,
        metrics,
        reads,
        registry,
        auth,
        push,
        privacy,
        eraser,
        relay,
        ingress,
    )
    hub.leases = leases
    if settings.database_url is not None:
        url = DatabaseUrl.parse(settings.database_url)
        hub.probe = lambda: probe(url)
    hub.workers = [w for w in (relay, ingress) if w is not None and _wanted(settings, w)]
    hub.workers += feed_workers(service, settings.poll_feeds, settings.poll_interval)
    if settings.run_projector:
        hub.workers.append(follower)
    if settings.run_deliveries:
        hub.workers += [push.matcher, push.deliverer]
    if settings.run_retention and settings.retention:
        hub.workers.append(RetentionWorker(eraser, settings.retention_interval))
    _describe_metrics(hub)
    return hub


def live_projections(
    channels: Mapping[str, Channel], places: Places, lifetimes: Lifetimes, prefix: str = ""
) -> list[Projection]:
    """The views the hub keeps up to date (and `projections rebuild` can rebuild): every
    projection installed under `alerthub.projections`, the built-in ones included."""
    return list(discover_projections(channels, places, prefix, lifetimes=lifetimes).values())


@dataclass(frozen=True)
class Push:
    """Subscriptions: the service the API and CLI use, and the matcher and delivery workers."""

    service: SubscriptionService
    matcher: Matcher
    deliverer: Deliverer


def build_push(
    settings: Settings,
    store: EventStore,
    channels: Mapping[str, Channel],
    geography: Geography,
    registry: PartnerRegistry,
) -> Push:
    """The push side of the hub, wired from settings (its workers run where `run_deliveries`).

    The matcher reads the store's own log in every mode: it needs the alert at each version from
    the store anyway, and one matcher per hub keeps one position (run it in one process).
    """
    subscriptions = SubscriptionStore(settings.subscriptions_db)
    mailer = (
        Mailer(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
        if settings.smtp_host
        else None
    )
    service = SubscriptionService(
        subscriptions,
        geography,
        tuple(channels),
        settings.public_url,
        settings.webhook_allow_private,
        mailer,
        settings.delivery_timeout,
    )
    payloads = PayloadBuilder(store, settings.public_url)
    policy = Policy(
        settings.delivery_first_retry,
        settings.delivery_max_retry,
        settings.delivery_give_up_after,
        settings.delivery_timeout,
        settings.delivery_concurrency,
    )
    cap = channels.get("cap")

    def cap_xml(alert_id: UUID, version: int) -> bytes | None:
        return None if cap is None else cap.render(payloads.state(alert_id, version)).body

    deliverer = Deliverer(subscriptions, payloads, policy, mailer, cap_xml)
    matcher = Matcher(
        EmbeddedStream(store),
        subscriptions=subscriptions,
        geography=geography,
        may_read=lambda owner, channel: _may_use(registry, owner, channel),
        on_queued=deliverer.wake,
    )
    return Push(service, matcher, deliverer)


def _may_use(registry: PartnerRegistry, owner: str, channel: str) -> bool:
    """A subscription's owner sees non-public alerts of the channels it holds rights on."""
    partner = registry.partner_named(owner)
    return partner is not None and partner.rights.may_use_channel(channel)


def _wanted(settings: Settings, worker: Worker) -> bool:
    return settings.run_relay if isinstance(worker, Relay) else settings.kafka_ingress


def _kafka(  # noqa: PLR0917 - the composition root hands over what it built
    settings: Settings,
    store: EventStore,
    service: IngestService,
    registry: PartnerRegistry,
    sealer: Sealer,
    metrics: Metrics,
) -> tuple[EventStream, Relay, Ingress]:
    bootstrap_servers = settings.kafka_bootstrap
    assert bootstrap_servers is not None
    topics = [settings.kafka_topic, DEADLETTER, *(ingress_topic(c) for c in service.channels)]
    ensure_topics(bootstrap_servers, topics, settings.durability, canonical=settings.kafka_topic)
    codec = AvroCodec()
    # Projector processes share the partitions as a group; a reader (replay, export) owns them all.
    group = f"{settings.kafka_group}-projector" if settings.run_projector else None
    opening = OpeningCodec(codec, sealer)
    stream = KafkaStream(bootstrap_servers, settings.kafka_topic, opening, group_id=group)
    # The relay publishes events as stored (sealed); readers of the topic open them.
    relay = Relay(
        EmbeddedStream(store, sealed=True),
        store.home,  # the relay's position lives with the event store it counts in
        codec,
        kafka_producer(bootstrap_servers),
        settings.kafka_topic,
        destination=stream.identity,
    )
    ingress = Ingress(
        service,
        bootstrap_servers,
        group=f"{settings.kafka_group}-ingress",
        metrics=metrics,
        registry=registry,
    )
    return stream, relay, ingress


def _describe_metrics(hub: Hub) -> None:
    metrics = hub.metrics
    metrics.gauge(
        "alerthub_projection_position",
        "Last stream position applied, per projection and partition",
        lambda: {
            (("projection", name), ("partition", str(partition))): float(position)
            for name, checkpoint in hub.follower.checkpoints().items()
            for partition, position in checkpoint.items()
        },
    )
    metrics.gauge(
        "alerthub_projection_lag",
        "Events on the stream not yet applied, per projection",
        lambda: {(("projection", n),): float(lag) for n, lag in hub.follower.lag().items()},
    )
    if hub.relay is not None:
        relay = hub.relay
        metrics.gauge(
            "alerthub_relay_lag",
            "Events recorded in the store but not yet on Kafka",
            lambda: {(): float(relay.lag())},
        )
