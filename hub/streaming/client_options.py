"""Options every Kafka client of the hub shares (consumers, producers, the admin client).

Why: kafka-python backs off between reconnection attempts exponentially, up to 30 s a try by
default. A broker that restarts takes a few seconds to come back; by then a client has backed off
so far that it sits idle for tens of seconds more, and a consumer does so without an error (its
poll just comes back empty), so the projector looks healthy while its views fall behind.
Measured on the development VM: a group consumer read nothing for 25-66 s after each broker
restart with the default, and caught up within a few seconds with a 1 s cap. The Java client
caps its back-off at 1 s (`reconnect.backoff.max.ms`); the hub does the same.

Metadata is also refreshed every 30 s instead of every 5 minutes: a broker that has just
restarted may answer a first metadata request with no topics yet, and a client that missed the
update would wait for the next refresh to find its partitions' leader again. (The ingress also
needs it to subscribe a new partner's topic soon.)
"""

from __future__ import annotations

from typing import Any

CLIENT_OPTIONS: dict[str, Any] = {
    "reconnect_backoff_ms": 50,
    "reconnect_backoff_max_ms": 1000,
    "metadata_max_age_ms": 30_000,
}
