"""The operator page at `GET /`: a map of the active public alerts, a list, incident timelines.

Everything the browser loads is served by the hub: Leaflet from the installed `XStatic-Leaflet`
package, the page's own script and style from `static/`, and the outline of the Netherlands from
data shipped here, so the map needs no tile server, no CDN and no internet. The page reads the
public JSON API and stays current through `/v1/stream` (server-sent events).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet

STATIC = files("hub.web") / "static"


def install_page(app: FastAPI) -> None:
    """Mount the assets and serve the page at `/`."""
    app.mount("/assets/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/assets/page", StaticFiles(directory=str(STATIC)), name="page")

    def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
