"""The hub's Kafka topics: created on start if missing (idempotent, safe to race), checked if not.

Durability is decided here, once, for every topic the hub creates: the replication factor (by
default the number of brokers, at most 3), `min.insync.replicas` (by default one less than the
replication factor, at least 1, so `acks=all` means "on every in-sync replica, at least two of
three") and the canonical topic's retention (by default `-1`: the canonical topic is the history
a Kafka-mode rebuild reads, so it must keep every event, not the broker's default week). A topic
that already exists is never altered behind an operator's back; where its settings contradict
these, each contradiction is logged at start and returned, for an operator to fix on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource
from kafka.errors import TopicAlreadyExistsError

from hub.streaming.client_options import CLIENT_OPTIONS

log = structlog.get_logger(__name__)

INGRESS_PREFIX = "alerthub.ingress."
DEADLETTER = "alerthub.deadletter"
MAX_DEFAULT_REPLICATION = 3


# `alerthub.ingress.<channel>` (the operator's) and `alerthub.ingress.<channel>.<partner>`.
INGRESS_PATTERN = r"^alerthub\.ingress\.[^.]+(\..+)?$"


def ingress_topic(channel: str, partner: str | None = None) -> str:
    """Where messages for `channel` are published: one topic per partner, which its ACL names."""
    return f"{INGRESS_PREFIX}{channel}" + (f".{partner}" if partner else "")


def ingress_source(topic: str) -> tuple[str, str | None]:
    """(channel, partner) of an ingress topic: the broker's ACLs vouch for who wrote there.

    Channel names hold no dot; partner names may, so the partner is everything after the first.
    """
    channel, _, partner = topic.removeprefix(INGRESS_PREFIX).partition(".")
    return channel, partner or None


def cluster_id(bootstrap: str) -> str:
    """The Kafka cluster's own id: with the topic, it names the stream offsets count in."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="alerthub-admin")
    try:
        return str(admin.describe_cluster()["cluster_id"])
    finally:
        admin.close()


@dataclass(frozen=True)
class Durability:
    """What the hub asks of its topics; `None` means "derive from the cluster" (module doc)."""

    partitions: int = 3
    replication_factor: int | None = None
    min_insync_replicas: int | None = None
    canonical_retention_ms: int = -1

    def resolved(self, brokers: int) -> tuple[int, int]:
        """(replication factor, min.insync.replicas) for a cluster of `brokers` brokers."""
        factor = self.replication_factor or max(1, min(brokers, MAX_DEFAULT_REPLICATION))
        return factor, self.min_insync_replicas or max(1, factor - 1)


def ensure_topics(
    bootstrap: str, names: Iterable[str], durability: Durability, *, canonical: str
) -> list[str]:
    """Create each missing topic with `durability`; return how existing ones contradict it."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="alerthub-admin", **CLIENT_OPTIONS
    )
    try:
        factor, min_isr = durability.resolved(len(admin.describe_cluster()["brokers"]))
        wanted = {
            name: {"min.insync.replicas": str(min_isr)}
            | (
                {"retention.ms": str(durability.canonical_retention_ms)}
                if name == canonical
                else {}
            )
            for name in set(names)
        }
        existing = set(admin.list_topics())
        for name in sorted(set(wanted) - existing):
            _create(admin, name, durability.partitions, factor, wanted[name])
        mismatches = _contradictions(admin, sorted(set(wanted) & existing), factor, wanted)
    finally:
        admin.close()
    for mismatch in mismatches:
        log.warning("kafka.topic_settings_differ", problem=mismatch)
    return mismatches


def _create(
    admin: KafkaAdminClient, name: str, partitions: int, factor: int, configs: dict[str, str]
) -> None:
    spec = {"num_partitions": partitions, "replication_factor": factor, "configs": configs}
    try:
        admin.create_topics({name: spec}, wait_for_metadata=True)
    except TopicAlreadyExistsError:
        return
    log.info(
        "kafka.topic_created", topic=name, partitions=partitions, replication=factor, **configs
    )


def _contradictions(
    admin: KafkaAdminClient, names: list[str], factor: int, wanted: dict[str, dict[str, str]]
) -> list[str]:
    if not names:
        return []
    found: list[str] = []
    for topic in admin.describe_topics(names):
        replicas = min((len(p["replica_nodes"]) for p in topic["partitions"]), default=0)
        if replicas != factor:
            found.append(f"{topic['name']}: replication factor {replicas}, wanted {factor}")
    resources = [ConfigResource("TOPIC", name, list(wanted[name])) for name in names]
    configs = admin.describe_configs(resources, config_filter="all").get("topic", {})
    for name in names:
        for key, value in wanted[name].items():
            actual = configs.get(name, {}).get(key, {}).get("value")
            if actual != value:
                found.append(f"{name}: {key}={actual}, wanted {value}")
    return found
