"""Prometheus metrics with `prometheus-client`: one registry per hub, label values from known sets.

Why known sets: a label value taken from a request (a channel name in a URL, a method) would let
anyone create series at will, and a hand-written exposition once let a channel name carrying a
newline write a metric line of its own. Here the client library writes the text format, and every
label value is checked first: a channel is a label only once it is installed, an outcome is
`accepted` or the name of one of the hub's own error classes, a method one of HTTP's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from domain.errors import AlertHubError

Labels = tuple[tuple[str, str], ...]
UNKNOWN = "unknown"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, channels: Collection[str] = ()) -> None:
        self.registry = CollectorRegistry()
        self.channels = frozenset(channels)
        self._gauges = _Gauges()
        self.registry.register(self._gauges)
        self._messages = Counter(
            "alerthub_messages",
            "Native messages by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._events = Counter(
            "alerthub_events_recorded", "Events committed to the store", registry=self.registry
        )
        self._requests = Counter(
            "alerthub_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )

    def message(self, channel: str, outcome: BaseException | None, events: int = 0) -> None:
        """Count one native message: accepted (with its events) or refused with an error."""
        channel_label = channel if channel in self.channels else UNKNOWN
        self._messages.labels(channel_label, _outcome(outcome)).inc()
        if events:
            self._events.inc(events)

    def request(self, method: str, route: str, status: int) -> None:
        """Count one HTTP request; `route` must be a route template (or `unmatched`)."""
        self._requests.labels(method if method in METHODS else "OTHER", route, str(status)).inc()

    def gauge(self, name: str, text: str, read: Callable[[], dict[Labels, float]]) -> None:
        """A gauge read when scraped, so it is never stale; its labels come from the hub itself."""
        self._gauges.readers[name] = (text, read)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "accepted"
    return type(error).__name__ if isinstance(error, AlertHubError) else "error"


class _Gauges(Collector):
    def __init__(self) -> None:
        self.readers: dict[str, tuple[str, Callable[[], dict[Labels, float]]]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (text, read) in sorted(self.readers.items()):
            samples = read()
            names = [key for key, _ in next(iter(samples), ())]
            family = GaugeMetricFamily(name, text, labels=names)
            for labels, value in sorted(samples.items()):
                family.add_metric([v for _, v in labels], value)
            yield family
