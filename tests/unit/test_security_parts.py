"""The door's small parts on their own: the failure limiter, keys, and forgery-proof metrics."""

from __future__ import annotations

import pytest

from domain.errors import ContentionError, RateLimitedError
from hub.metrics import Metrics
from hub.security.keys import PREFIX, KeyHasher, key_id_of
from hub.security.limiter import FailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_past_the_limit_lock_the_address_until_the_window_moves() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, 60, clock=clock)
    for _ in range(3):
        limiter.check("10.0.0.1")
        limiter.failed("10.0.0.1", "bad key")
    with pytest.raises(RateLimitedError) as refused:
        limiter.check("10.0.0.1")
    assert refused.value.retry_after == 60
    limiter.check("10.0.0.2")  # another address is not affected
    clock.now += 61
    limiter.check("10.0.0.1")


def test_the_limiter_forgets_the_oldest_addresses_beyond_its_bound() -> None:
    limiter = FailureLimiter(1, 60, clock=Clock(), max_addresses=2)
    for address in ("a", "b", "c"):
        limiter.failed(address, "bad key")
    limiter.check("a")  # forgotten
    with pytest.raises(RateLimitedError):
        limiter.check("c")


def test_keys_are_long_prefixed_and_verify_only_themselves() -> None:
    hasher = KeyHasher()
    key = hasher.new_key()
    assert key.token.startswith(PREFIX)
    assert len(key.token) == len(PREFIX) + 12 + 1 + 43
    assert key_id_of(key.token) == key.key_id
    assert key.token not in key.hash
    assert hasher.verify(key.hash, key.token)
    assert not hasher.verify(key.hash, key.token[:-1] + "x")
    assert not hasher.verify("not a hash", key.token)
    assert key_id_of("Bearer nonsense") is None


@pytest.mark.parametrize(
    "channel",
    ["x\nfake_metric 1", 'x"} fake_metric 1', "nope", "a" * 10_000],
)
def test_no_channel_name_from_a_request_becomes_a_label(channel: str) -> None:
    metrics = Metrics(["cap"])
    metrics.message(channel, ContentionError("busy"))
    metrics.message("cap", None, events=2)
    metrics.request("BREW\nfake_metric 1", "unmatched", 404)
    text = metrics.render().decode()
    assert "fake_metric" not in text
    assert 'alerthub_messages_total{channel="unknown",outcome="ContentionError"} 1.0' in text
    assert 'alerthub_messages_total{channel="cap",outcome="accepted"} 1.0' in text
    assert "alerthub_events_recorded_total 2.0" in text
    assert 'method="OTHER"' in text
