"""The framework floor under HTTP ingest: a minimal FastAPI app on the hub's own server stack.

`python -m bench.floor --port P --store FILE` serves one route, `POST /messages`, that reads the
body and saves one new eventsourcing aggregate holding it (one `Application.save()`, one SQLite
transaction, in the thread pool as any blocking FastAPI handler), then answers 202. Nothing else:
no auth, no parsing, no views. Uvicorn is configured exactly as `alerthub serve` configures it
(`hub.api.server.server_options`), and the benchmark drives it with the same client in the same
run as the hub, so "ratio to floor" is the hub against what the framework itself allows. The
floor commits once per request; a hub that commits concurrent requests together can beat it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from uuid import UUID

import uvicorn
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bench.server import Server
from hub.api.server import server_options
from hub.settings import load_settings


class Received(Aggregate):
    """One message as received: its body, as text."""

    @event("Received")
    def __init__(self, body: str) -> None:
        self.body = body


class FloorApp(Application[UUID]):
    name = "BenchFloor"


def create_floor_app(store: Path) -> FastAPI:
    events = FloorApp(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(store)}
    )
    app = FastAPI()

    @app.get("/")
    def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/messages", status_code=202)
    async def post_message(request: Request) -> JSONResponse:
        message = Received((await request.body()).decode())
        await run_in_threadpool(events.save, message)
        return JSONResponse({"id": str(message.id)}, status_code=202)

    return app


class FloorServer(Server):
    """The floor as a process: `with FloorServer(folder) as s: post to s.url + "/messages"`."""

    def __init__(self, folder: Path) -> None:
        store = folder / "floor.sqlite"
        super().__init__(
            folder,
            lambda port: ["-m", "bench.floor", "--port", str(port), "--store", str(store)],
            lambda _: {},
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path, required=True)
    args = parser.parse_args()
    options: dict[str, Any] = server_options(load_settings())
    uvicorn.run(create_floor_app(args.store), host="127.0.0.1", port=args.port, **options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
