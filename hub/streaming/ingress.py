"""Partners publish native messages on `alerthub.ingress.<channel>.<partner>`; the hub ingests them.

Each partner writes as its own Kafka principal (SASL/SCRAM), and the broker's ACLs let it write
only its own topics, so the topic a message was read from names its publisher: the hub takes the
partner from the topic, never from the message. `alerthub.ingress.<channel>` without a partner is
the operator's. The hub subscribes by pattern, so a partner's topic created later is picked up
without a restart (within the metadata refresh interval).

The same path as HTTP (`IngestService.ingest`). Offsets are committed only after the events are
durable in the store, so a crash re-delivers, and re-delivery is harmless (ingest is idempotent).
A message the hub refuses goes to `alerthub.deadletter` with headers naming the channel, the error
and where it came from, and is then committed: a bad message never blocks its partition.
"""

from __future__ import annotations

import structlog
from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata

from domain.errors import AlertHubError, ContentionError, UnauthenticatedError, UnavailableError
from domain.provenance import AuthMethod, Provenance
from domain.rights import Publisher
from hub.metrics import Metrics
from hub.security.registry import PartnerRegistry
from hub.service import IngestService
from hub.streaming.client_options import CLIENT_OPTIONS
from hub.streaming.topics import DEADLETTER, INGRESS_PATTERN, ingress_source
from hub.worker import Worker

log = structlog.get_logger(__name__)


def _header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or []:
        if key.lower() == name and value is not None:
            return bytes(value).decode("utf-8", "replace")
    return None


class Ingress(Worker):
    name = "ingress"

    def __init__(
        self,
        service: IngestService,
        bootstrap: str,
        *,
        group: str,
        metrics: Metrics | None = None,
        registry: PartnerRegistry | None = None,
    ) -> None:
        super().__init__(idle_wait=0.0)
        self.service, self.bootstrap, self.group = service, bootstrap, group
        self.registry = registry
        self.metrics = metrics or Metrics(service.channels)
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None

    def _clients(self) -> tuple[KafkaConsumer, KafkaProducer]:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                client_id="alerthub-ingress",
                group_id=self.group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=10_000,
                heartbeat_interval_ms=3_000,
                **CLIENT_OPTIONS,  # metadata every 30 s: a new partner's topic is subscribed soon
            )
            self._consumer.subscribe(pattern=INGRESS_PATTERN)
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id="alerthub-deadletter",
                acks="all",
                **CLIENT_OPTIONS,
            )
        return self._consumer, self._producer

    def step(self) -> int:
        consumer, producer = self._clients()
        batches = consumer.poll(timeout_ms=500, max_records=200)
        handled = 0
        for tp, records in batches.items():
            for record in records:
                # Infrastructure trouble raises out of here uncommitted; the worker drops the
                # consumer, and the group re-delivers from the last commit.
                self._handle(record, producer)
                consumer.commit({tp: OffsetAndMetadata(record.offset + 1, None, -1)})
                handled += 1
        return handled

    def publisher(self, partner: str | None, topic: str) -> Publisher:
        """Who wrote `topic`: the registered partner it names (its rights apply, as on HTTP), or
        the operator for a topic without a partner. An unregistered or revoked partner is refused
        (the message goes to the dead-letter topic)."""
        if partner is None:
            return Publisher.operator(
                Provenance(partner="operator", auth_method=AuthMethod.KAFKA, credential=topic)
            )
        found = self.registry.partner_named(partner) if self.registry else None
        if found is None:
            raise UnauthenticatedError(f"partner {partner} of topic {topic} is not registered")
        provenance = Provenance(partner=partner, auth_method=AuthMethod.KAFKA, credential=topic)
        return Publisher(rights=found.rights, provenance=provenance)

    def _handle(self, record: ConsumerRecord, producer: KafkaProducer) -> None:
        channel, partner = ingress_source(record.topic)
        content_type = _header(record, "content-type")
        try:
            result = self.service.ingest(
                channel,
                record.value or b"",
                content_type,
                publisher=self.publisher(partner, record.topic),
            )
        except (ContentionError, UnavailableError):
            raise  # not the message's fault: left uncommitted, retried once storage is back
        except AlertHubError as exc:
            self._dead_letter(record, producer, channel, exc)
            self.metrics.message(channel, exc)
            return
        self.metrics.message(channel, None, sum(len(a.events) for a in result.accepted))
        log.info(
            "ingress.accepted",
            channel=channel,
            partner=partner,
            offset=record.offset,
            duplicates=result.duplicates,
            alerts=len(result.accepted),
        )

    @staticmethod
    def _dead_letter(
        record: ConsumerRecord, producer: KafkaProducer, channel: str, exc: AlertHubError
    ) -> None:
        headers = [
            ("channel", channel),
            ("partner", ingress_source(record.topic)[1] or ""),
            ("error", type(exc).__name__),
            ("detail", str(exc)[:2000]),
            ("original_topic", record.topic),
            ("original_partition", str(record.partition)),
            ("original_offset", str(record.offset)),
            ("content-type", _header(record, "content-type") or ""),
        ]
        producer.send(
            DEADLETTER,
            key=record.key,
            value=record.value,
            headers=[(k, v.encode()) for k, v in headers],
        ).get(timeout=30)
        log.warning(
            "ingress.dead_lettered",
            channel=channel,
            error=type(exc).__name__,
            offset=record.offset,
            detail=str(exc)[:200],
        )

    def on_error(self) -> None:
        for client in (self._consumer, self._producer):
            if client is not None:
                client.close()
        self._consumer = self._producer = None
