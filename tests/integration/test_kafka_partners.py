"""Partners on Kafka: SASL/SCRAM principals, ACLs per ingress topic, the publisher from the topic.

A broker of its own (module scope): it runs KRaft's StandardAuthorizer and a SASL_PLAINTEXT
listener with SCRAM-SHA-512 credentials written at format time. Topics and ACLs are created the
way an operator would, on the operator's listener.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.admin._acls import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ResourcePattern,
    ResourceType,
)
from kafka.errors import KafkaTimeoutError, TopicAuthorizationFailedError

from adapters.cap import parse_cap
from devtools.kafka_broker import KafkaBroker
from domain.partner import PartnerRights
from domain.provenance import OPERATOR
from hub.security.recheck import originals
from hub.streaming.topics import DEADLETTER, ingress_topic
from tests.conftest import EXAMPLES, HubFactory, kafka_skip_reason
from tests.integration.kafka_helpers import eventually, kafka_settings, read_topic

pytestmark = pytest.mark.kafka
PARTNERS = {"vr-a": "a-secret-of-some-length", "vr-b": "b-secret-of-some-length"}
CT = [("content-type", b"application/cap+xml")]
CAP = sorted((EXAMPLES / "cap").glob("*.xml"))


@pytest.fixture(scope="module")
def secured() -> Iterator[KafkaBroker]:
    reason = kafka_skip_reason()
    if reason:
        pytest.skip(reason)
    with KafkaBroker(scram_users=PARTNERS) as broker:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        try:
            admin.create_topics(
                [NewTopic(ingress_topic("cap", p), 1, 1) for p in PARTNERS]
                + [NewTopic(DEADLETTER, 1, 1)]
            )
            result = admin.create_acls(
                [
                    ACL(
                        f"User:{p}",
                        "*",
                        ACLOperation.WRITE,
                        ACLPermissionType.ALLOW,
                        ResourcePattern(ResourceType.TOPIC, ingress_topic("cap", p)),
                    )
                    for p in PARTNERS
                ]
            )
            assert not result["failed"]
        finally:
            admin.close()
        yield broker


def partner(broker: KafkaBroker, name: str | None, password: str | None = None) -> KafkaProducer:
    """A producer on the partners' listener: as `name` with SCRAM-SHA-512, or with nothing."""
    credentials = (
        {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": name,
            "sasl_plain_password": password or PARTNERS[name],
        }
        if name
        else {}
    )
    return KafkaProducer(
        bootstrap_servers=broker.sasl_bootstrap,
        acks="all",
        max_block_ms=5_000,
        bootstrap_timeout_ms=5_000,  # a refused client gives up soon
        **credentials,
    )


def publish_one(broker: KafkaBroker, name: str | None, password: str | None, topic: str) -> None:
    producer = partner(broker, name, password)
    try:
        producer.send(topic, value=b"<alert/>", headers=CT).get(10)
    finally:
        producer.close()


def test_a_partner_publishes_on_its_own_topic_with_its_own_rights(
    make_hub: HubFactory, secured: KafkaBroker
) -> None:
    """The hub names the partner of the topic as publisher and holds it to its rights."""
    hub = make_hub(**kafka_settings(secured, kafka_ingress=True))
    sender = parse_cap(CAP[0].read_bytes()).sender
    rights = PartnerRights(channels=frozenset({"cap"}), senders=frozenset({sender}))
    hub.registry.add("vr-a", rights, by=OPERATOR.to_json())
    hub.start()
    bodies = [CAP[0].read_bytes(), b"<alert>not CAP</alert>", CAP[1].read_bytes()]
    producer = partner(secured, "vr-a")
    for body in bodies:
        producer.send(ingress_topic("cap", "vr-a"), value=body, headers=CT).get(30)
    producer.close()

    eventually(lambda: len(read_topic(secured.bootstrap, DEADLETTER)) >= 2)
    (kept,) = originals(hub.store)
    assert kept.partner == "vr-a"
    (event,) = [e for e in hub.store.events.get(UUID(kept.alerts[0])) if hasattr(e, "provenance")]
    assert event.provenance["partner"] == "vr-a"
    assert event.provenance["auth_method"] == "kafka"
    dead = [
        {k: v.decode() for k, v in r.headers} for r in read_topic(secured.bootstrap, DEADLETTER)
    ]
    assert [(d["partner"], d["error"]) for d in dead] == [
        ("vr-a", "InvalidMessageError"),  # not CAP
        ("vr-a", "ForbiddenError"),  # a CAP sender vr-a was not granted
    ]
    assert "may not use the CAP sender" in dead[1]["detail"]


def test_the_broker_refuses_a_partner_writing_another_partners_topic(
    secured: KafkaBroker,
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        publish_one(secured, "vr-a", None, ingress_topic("cap", "vr-b"))
    assert read_topic(secured.bootstrap, ingress_topic("cap", "vr-b")) == []


@pytest.mark.parametrize(
    ("name", "password"), [(None, None), ("vr-b", "a-guess")], ids=["anonymous", "wrong-password"]
)
def test_the_broker_refuses_a_producer_without_valid_credentials(
    secured: KafkaBroker, name: str | None, password: str | None
) -> None:
    with pytest.raises(KafkaTimeoutError, match="bootstrap"):
        publish_one(secured, name, password, ingress_topic("cap", "vr-b"))
    assert read_topic(secured.bootstrap, ingress_topic("cap", "vr-b")) == []
