"""How uvicorn serves the hub: HTTP protocol (httptools, with the slow-client guard), timeouts.

The event loop is uvicorn's "auto" choice: uvloop, installed with the hub (not on Windows).

One place, so `alerthub serve` and the benchmark's framework floor (a minimal app measured on
the same server stack) cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from hub.api.guard import guarded_protocol
from hub.settings import Settings


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` besides the app, host and port."""
    return {
        "log_config": None,
        "timeout_graceful_shutdown": 5,  # open live streams (SSE) must not hold a shutdown
        "timeout_keep_alive": settings.http_keep_alive_timeout,
        "http": guarded_protocol(settings.http_header_timeout, settings.http_body_timeout),
    }
