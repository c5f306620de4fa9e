"""Typed settings, read from `ALERTHUB_*` environment variables (and an optional env file).

Defaults serve the embedded mode: SQLite files under `./var`, no Kafka, no database server.
`ALERTHUB_DATABASE_URL` moves the event store and the views to PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.limits import Limits
from hub.streaming.topics import Durability

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Every setting of the hub; `docs/settings` in the README lists them with their variables."""

    model_config = SettingsConfigDict(env_prefix="ALERTHUB_", frozen=True, extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite files live")
    database_url: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db for the store and the views;"
        " unset means SQLite files in data_dir",
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP API binds to")
    port: int = Field(default=8000, ge=0, le=65535, description="Port of the HTTP API")
    max_body_bytes: int = Field(
        default=1 * MIB, ge=1024, description="Largest accepted message body; larger gets 413"
    )
    http_header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a client may take to send a request's headers"
    )
    http_body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a client may take to send a request's body"
    )
    http_keep_alive_timeout: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive connection stays open"
    )
    sse_max_clients: int = Field(
        default=500, ge=1, description="Most open /v1/stream connections; more get 503"
    )
    sse_ping_seconds: int = Field(
        default=15, ge=1, description="Seconds between keep-alive comments on an idle stream"
    )
    sse_send_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a stream client may take no data before it is dropped",
    )
    max_polygon_points: int = Field(
        default=5_000, ge=4, description="Most points in one polygon; more gets 422"
    )
    max_message_points: int = Field(
        default=20_000, ge=4, description="Most polygon points in one message; more gets 422"
    )
    max_areas: int = Field(default=100, ge=1, description="Most areas in one info block")
    max_info_blocks: int = Field(default=16, ge=1, description="Most info blocks in one message")
    max_references: int = Field(default=100, ge=1, description="Most references in one message")
    max_resources: int = Field(default=16, ge=0, description="Most resources in one info block")
    max_text_chars: int = Field(
        default=8_192, ge=256, description="Longest headline, description, instruction..."
    )
    min_free_disk_mib: int = Field(
        default=64, ge=0, description="Below this many MiB free for the data, writes get 503"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = Field(
        default="json", description="json for machines, console for people"
    )
    read_your_writes_timeout: float = Field(
        default=2.0,
        ge=0,
        description="Seconds a POST waits for the views to show what it recorded (0: no wait)",
    )
    projection_poll_interval: float = Field(
        default=0.5, gt=0, description="Seconds between polls of the store when idle"
    )
    kafka_bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset means the embedded stream"
    )
    kafka_topic: str = Field(default="alerthub.alerts.v1", description="The canonical topic")
    kafka_partitions: int = Field(
        default=3, ge=1, le=1024, description="Partitions of the canonical and ingress topics"
    )
    kafka_replication_factor: int | None = Field(
        default=None, ge=1, description="Replicas of each topic created; unset: brokers, at most 3"
    )
    kafka_min_insync_replicas: int | None = Field(
        default=None, ge=1, description="min.insync.replicas of each topic; unset: replicas - 1"
    )
    kafka_retention_ms: int = Field(
        default=-1, ge=-1, description="Retention of the canonical topic; -1 keeps every event"
    )
    kafka_ingress: bool = Field(
        default=True, description="Consume alerthub.ingress.<channel> topics (Kafka mode)"
    )
    kafka_group: str = Field(
        default="alerthub", description="Prefix of the hub's Kafka consumer groups"
    )
    poll_feeds: dict[str, str] = Field(
        default_factory=dict,
        description='Feeds to poll, channel -> URL, as JSON: {"nlalert": "https://..."}',
    )
    poll_interval: float = Field(default=60.0, gt=0, description="Seconds between feed polls")
    run_relay: bool = Field(default=True, description="Publish recorded events to Kafka here")
    run_projector: bool = Field(default=True, description="Run the projections in this process")
    run_deliveries: bool = Field(
        default=True,
        description="Match and deliver subscriptions in this process (exactly one process should)",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="This hub's address as subscribers reach it (links in deliveries and e-mail)",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhooks to loopback and private addresses (tests, closed networks)",
    )
    delivery_timeout: float = Field(default=10.0, gt=0, description="Seconds a receiver may take")
    delivery_first_retry: float = Field(
        default=1.0, gt=0, description="Seconds before the first retry (then doubling, jittered)"
    )
    delivery_max_retry: float = Field(default=300.0, gt=0, description="Longest wait between tries")
    delivery_give_up_after: float = Field(
        default=3600.0, gt=0, description="Seconds after which a failing delivery is dead-lettered"
    )
    delivery_concurrency: int = Field(
        default=16, ge=1, le=256, description="Deliveries sent side by side"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail subscriptions")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Port of the SMTP server")
    smtp_sender: str = Field(
        default="alerthub@localhost", description="From address of subscription e-mail"
    )

    snapshot_end_max_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Largest share of a partner's active alerts one feed snapshot may end",
    )
    snapshot_end_min_count: int = Field(
        default=2, ge=1, description="A snapshot ending fewer alerts than this is never refused"
    )
    auth_failure_limit: int = Field(
        default=10, ge=1, description="Failed authentications per client address per window"
    )
    auth_failure_window: float = Field(
        default=60.0, gt=0, description="Seconds of the failed-authentication window (then 429)"
    )
    oauth_issuer: str | None = Field(
        default=None, description="OAuth 2.0 issuer (iss) whose JWT access tokens are accepted"
    )
    oauth_audience: str | None = Field(
        default=None, description="Audience (aud) the hub's access tokens must name"
    )
    oauth_jwks: str | None = Field(
        default=None, description="The issuer's JWKS: an https:// URL or a file path"
    )
    oauth_partner_claim: str = Field(
        default="client_id", description="The token claim that names the partner"
    )
    local_partner: bool = Field(
        default=True,
        description="On first start with no partners, create the local partner and write its key",
    )
    default_lifetime_hours: dict[str, float] = Field(
        default_factory=lambda: {"*": 24.0},
        description='Lifetime of alerts without expires, channel -> hours ("*": any other)',
    )

    master_key: SecretStr | None = Field(
        default=None,
        description="Base64 of the 32-byte master key that wraps the alerts' data keys;"
        " unset: read (or, on a fresh data dir, create) `master_key_file`",
    )
    master_key_file: Path | None = Field(
        default=None, description="The master key's file (mode 0600); default <data_dir>/master.key"
    )
    retention: dict[str, timedelta] = Field(
        default_factory=dict,
        description="Personal data kept after an alert ends, per channel, as JSON:"
        ' {"burgernet": "P30D", "amber": "P30D"} (ISO 8601 or seconds); unlisted: kept',
    )
    retention_interval: float = Field(
        default=300.0, gt=0, description="Seconds between runs of the retention worker"
    )
    run_retention: bool = Field(default=True, description="Run the retention worker here")

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    @property
    def keys_db(self) -> Path:
        return self.data_dir / "keys.sqlite"

    @property
    def limits(self) -> Limits:
        return Limits(
            polygon_points=self.max_polygon_points,
            message_points=self.max_message_points,
            areas=self.max_areas,
            info_blocks=self.max_info_blocks,
            references=self.max_references,
            resources=self.max_resources,
            text_chars=self.max_text_chars,
        )

    @property
    def durability(self) -> Durability:
        return Durability(
            partitions=self.kafka_partitions,
            replication_factor=self.kafka_replication_factor,
            min_insync_replicas=self.kafka_min_insync_replicas,
            canonical_retention_ms=self.kafka_retention_ms,
        )

    @property
    def events_db(self) -> Path:
        return self.data_dir / "events.sqlite"

    @property
    def views_db(self) -> Path:
        return self.data_dir / "views.sqlite"

    @property
    def subscriptions_db(self) -> Path:
        return self.data_dir / "subscriptions.sqlite"


def as_environment(settings: Settings) -> dict[str, str]:
    """The settings as `ALERTHUB_*` variables: what a child process (an API worker) reads back."""
    return {
        f"ALERTHUB_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
        for name, value in settings.model_dump(mode="json").items()
        if value is not None
    }


def load_settings(env_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, an optional env file, then explicit overrides (highest)."""
    return Settings(_env_file=env_file, **overrides)
