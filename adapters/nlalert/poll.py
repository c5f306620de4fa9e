"""Poll mode: fetch the NL-Alert feed on an interval and hand each new version to the hub.

The public feed is a snapshot, so polling it is how the hub learns that an alert appeared, changed
or vanished. Each poll is a conditional GET (If-None-Match / If-Modified-Since): an unchanged feed
costs the server a 304 and the hub nothing. Stdlib only (urllib), bounded in time and size, and it
never dies of one bad poll: errors are logged and the next interval tries again.

The validators (ETag, Last-Modified) are remembered only after `ingest` accepted the body, so a
body the hub failed to store is fetched again on the next poll rather than skipped forever.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPResponse
from urllib.parse import urlsplit

import structlog

from adapters.nlalert.parse import MAX_BYTES

log = structlog.get_logger(__name__)

Ingest = Callable[[bytes, str], object]
DEFAULT_CONTENT_TYPE = "application/json"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class _Fetched:
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


class FeedPoller:
    """GET `url` every `interval` seconds and pass each changed body to `ingest(body, type)`.

    `timeout` bounds each socket operation, `deadline` a whole download, `max_bytes` its size.
    """

    def __init__(
        self,
        url: str,
        ingest: Ingest,
        *,
        interval: float = 60.0,
        timeout: float = 10.0,
        deadline: float = 60.0,
        max_bytes: int = MAX_BYTES,
        user_agent: str = "AlertHub-nlalert-poller",
        accept: str = DEFAULT_CONTENT_TYPE,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"feed URL must be http or https, got {url!r}")
        if min(interval, timeout, deadline, max_bytes) <= 0:
            raise ValueError("interval, timeout, deadline and max_bytes must be positive")
        self.url = url
        self.ingest = ingest
        self.interval = interval
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.accept = accept
        self.etag: str | None = None
        self.last_modified: str | None = None

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; a stop during the wait ends the loop at once."""
        log.info("nlalert.poll.started", url=self.url, interval=self.interval)
        while not stop.is_set():
            self.poll_once()
            stop.wait(self.interval)
        log.info("nlalert.poll.stopped", url=self.url)

    def poll_once(self) -> bool:
        """One conditional GET; True when a new body was ingested. Never raises."""
        try:
            fetched = self._fetch()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("nlalert.poll.fetch_failed", url=self.url, error=repr(exc))
            return False
        if fetched is None:
            log.debug("nlalert.poll.unchanged", url=self.url)
            return False
        try:
            self.ingest(fetched.body, fetched.content_type)
        except Exception:
            log.exception("nlalert.poll.ingest_failed", url=self.url, bytes=len(fetched.body))
            return False
        self.etag, self.last_modified = fetched.etag, fetched.last_modified
        log.info("nlalert.poll.ingested", url=self.url, bytes=len(fetched.body))
        return True

    def _read(self, response: HTTPResponse) -> bytes:
        """The body, within `max_bytes` and `deadline` seconds in all.

        The socket timeout bounds each read only; a server trickling a byte at a time could
        otherwise hold the poller for ever.
        """
        deadline = time.monotonic() + self.deadline
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise ValueError(f"feed is larger than {self.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise TimeoutError(f"feed took longer than {self.deadline} s to arrive")
            chunks.append(chunk)
        return b"".join(chunks)

    def _request(self) -> urllib.request.Request:
        headers = {"Accept": self.accept, "User-Agent": self.user_agent}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return urllib.request.Request(self.url, headers=headers, method="GET")

    def _fetch(self) -> _Fetched | None:
        """The new body, or None for 304 Not Modified; raises on transport or HTTP errors."""
        try:
            with urllib.request.urlopen(self._request(), timeout=self.timeout) as response:
                body = self._read(response)
                headers: Message = response.headers
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 304:
                return None
            raise
        return _Fetched(
            body=body,
            content_type=headers.get("Content-Type") or DEFAULT_CONTENT_TYPE,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
        )
