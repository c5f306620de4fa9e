"""The hub's Kafka topics, created on start if missing (idempotent, safe to race)."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from kafka import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError

log = structlog.get_logger(__name__)

INGRESS_PREFIX = "alerthub.ingress."
DEADLETTER = "alerthub.deadletter"


def ingress_topic(channel: str) -> str:
    return f"{INGRESS_PREFIX}{channel}"


def ensure_topics(bootstrap: str, names: Iterable[str], partitions: int) -> None:
    """Create each topic that does not exist yet; existing ones are left as they are."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="alerthub-admin")
    try:
        existing = set(admin.list_topics())
        for name in sorted(set(names) - existing):
            try:
                admin.create_topics(
                    {name: {"num_partitions": partitions, "replication_factor": 1}},
                    wait_for_metadata=True,
                )
                log.info("kafka.topic_created", topic=name, partitions=partitions)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()
