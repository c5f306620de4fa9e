"""Keep a throw-away server in the foreground until Ctrl-C or SIGTERM (make kafka, postgres)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Protocol, Self, TypeVar

_log = logging.getLogger(__name__)


class Server(Protocol):
    @property
    def is_running(self) -> bool: ...

    def tail_log(self, lines: int = 40) -> str: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


S = TypeVar("S", bound=Server)


def run_in_foreground(
    server: S, name: str, announce: Callable[[S], None], failure: type[Exception]
) -> int:
    """Start `server`, announce it, and keep it until a signal; the exit status of the command."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop_requested = threading.Event()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        with server:
            announce(server)
            while not stop_requested.wait(1.0):
                if not server.is_running:
                    _log.error("%s exited unexpectedly; log tail:\n%s", name, server.tail_log())
                    return 1
            _log.info("stopping %s", name)
    except KeyboardInterrupt:
        _log.info("interrupted; %s stopped", name)
    except failure as exc:
        _log.error("%s", exc)
        return 1
    return 0
