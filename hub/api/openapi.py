"""`/openapi.json` as the truth, and `/docs` and `/redoc` that work with no network.

FastAPI's generated document is completed here, once, from what the running hub really does:

- one `POST /v1/channels/<name>/messages` per installed channel, with that channel's media
  types, its JSON schema where its format is JSON (a channel's optional `json_schema()`), and its
  sample messages as examples when the source tree's `examples/messages/<name>/` is present;
- every error answer as RFC 9457 problem+json (`Problem`): 400 for bad parameters (never
  FastAPI's 422 validation shape, which the hub does not send), 404 where a path names something,
  and the write errors 409/413/415/422/503 on messages; 401/403/429 wherever credentials are read.

The documentation pages load Swagger UI and ReDoc from the `fastapi-offline` package's files,
served by the hub itself: no CDN, so they work on a machine without internet.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from adapters.base import Channel
from hub.api.auth import OPTIONAL_SCHEME

PROBLEM_JSON = "application/problem+json"
MESSAGES_PATH = "/v1/channels/{channel}/messages"
EXAMPLES = Path(__file__).parents[2] / "examples" / "messages"
_ASSETS = "/docs-assets"
_WRITE_ERRORS = {
    400: "the body is not well-formed in its media type",
    404: "no such channel",
    409: "the message conflicts with what is recorded (ended alert, reused identifier)",
    413: "the body is larger than the hub accepts",
    415: "the channel does not accept this media type",
    422: "the message is well-formed but invalid; `errors` names each failing element",
    503: "the store is busy or failing; nothing was recorded, try again",
}


class ProblemLocation(BaseModel):
    location: str = Field(description="Where in the input, e.g. `info[0].area[1].polygon`")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: every error the hub answers."""

    type: str = Field(description="A URI reference naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str = Field(description="The request path")
    request_id: str | None = None
    errors: list[ProblemLocation] | None = None


def install_docs(app: FastAPI, channels: Mapping[str, Channel]) -> None:
    """Serve the completed OpenAPI document and the offline documentation pages."""
    static = files("fastapi_offline") / "static"
    app.mount(_ASSETS, StaticFiles(directory=str(static)), name="docs-assets")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(_generated(app), channels)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="AlertHub API",
            swagger_js_url=f"{_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{_ASSETS}/favicon.png",
        )

    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="AlertHub API",
            redoc_js_url=f"{_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{_ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)


def _generated(app: FastAPI) -> dict[str, Any]:
    return get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )


def complete(schema: dict[str, Any], channels: Mapping[str, Channel]) -> dict[str, Any]:
    """FastAPI's document with problem answers and one message path per channel."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components["ProblemLocation"] = components["Problem"].pop("$defs")["ProblemLocation"]
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    _optional_security(schema)
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            _problem_answers(path, operation)
    generic = schema["paths"].pop(MESSAGES_PATH)["post"]
    links = _links(schema["paths"])
    for name, channel in sorted(channels.items()):
        operation = _channel_operation(generic, name, channel, components)
        operation["responses"]["202"]["links"] = links
        schema["paths"][f"/v1/channels/{name}/messages"] = {"post": operation}
    return schema


def _optional_security(schema: dict[str, Any]) -> None:
    """Reads that take an optional credential: "the bearer scheme, or nothing" (one scheme)."""
    schemes = schema.get("components", {}).get("securitySchemes", {})
    optional = schemes.pop(OPTIONAL_SCHEME, None)
    if optional is None:
        return
    required = next(iter(schemes), None)
    for operations in schema["paths"].values():
        for operation in operations.values():
            security = operation.get("security", [])
            if any(OPTIONAL_SCHEME in item for item in security):
                operation["security"] = [{required: []}, {}] if required else [{}]


def _links(paths: dict[str, Any]) -> dict[str, Any]:
    """From an accepted message to what can be read about its first alert (stateful clients)."""
    targets = {
        "ReadAlert": "/v1/alerts/{alert_id}",
        "AlertEvents": "/v1/alerts/{alert_id}/events",
        "AlertCap": "/v1/alerts/{alert_id}.cap",
    }
    return {
        name: {
            "operationId": paths[path]["get"]["operationId"],
            "parameters": {"alert_id": "$response.body#/accepted/0/alert_id"},
        }
        for name, path in targets.items()
        if path in paths
    }


def _problem(description: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {PROBLEM_JSON: {"schema": ref}}}


def _problem_answers(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's validation shape: the hub answers 400 problems
    if operation.get("parameters") or operation.get("requestBody"):
        responses["400"] = _problem("a parameter or the body is malformed; `errors` names each")
    if "{" in path:
        responses["404"] = _problem("nothing by that name or id")
    if operation.get("security"):  # a bearer credential is read (required or optional)
        responses["401"] = _problem("the credentials are missing, unknown, revoked or expired")
        responses["403"] = _problem("the partner lacks a right this needs; `detail` names it")
        responses["429"] = _problem("too many failed authentications from this address")


def _channel_operation(
    generic: dict[str, Any], name: str, channel: Channel, components: dict[str, Any]
) -> dict[str, Any]:
    operation = copy.deepcopy(generic)
    operation["operationId"] = f"post_{name.replace('-', '_')}_message"
    operation["summary"] = f"Post a {name} message"
    operation["parameters"] = [
        p for p in operation.get("parameters", []) if p.get("name") != "channel"
    ]
    if not operation["parameters"]:
        del operation["parameters"]
    schema = _body_schema(name, channel, components)
    examples = _examples(name)
    operation["requestBody"] = {
        "required": True,
        "content": {
            media_type: {"schema": schema(media_type)}
            | ({"examples": examples} if examples else {})
            for media_type in channel.media_types
        },
    }
    responses = operation["responses"]
    for status, description in _WRITE_ERRORS.items():
        responses[str(status)] = _problem(description)
    return operation


def _body_schema(name: str, channel: Channel, components: dict[str, Any]) -> Any:
    """Per media type: the channel's JSON schema for JSON, otherwise any text in that format."""
    json_schema = getattr(channel, "json_schema", None)
    described = _hoisted(name, json_schema(), components) if callable(json_schema) else None

    def for_type(media_type: str) -> dict[str, Any]:
        if described is not None and media_type.rsplit("+", maxsplit=1)[-1].endswith("json"):
            return described
        return {"type": "string", "description": f"a {name} message as {media_type}"}

    return for_type


def _hoisted(name: str, schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A pydantic schema with its `$defs` moved into the components, named after the channel."""
    prefix = "".join(part.capitalize() for part in name.replace("-", "_").split("_"))
    text = json.dumps(schema).replace('"#/$defs/', f'"#/components/schemas/{prefix}')
    hoisted: dict[str, Any] = json.loads(text)
    for key, definition in hoisted.pop("$defs", {}).items():
        components[f"{prefix}{key}"] = definition
    return hoisted


def _examples(name: str) -> dict[str, Any]:
    """The channel's sample messages, when the source tree is at hand (not in a wheel)."""
    folder = EXAMPLES / name
    examples: dict[str, Any] = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix == ".json":
            examples[path.stem] = {"summary": path.name, "value": json.loads(path.read_text())}
        elif path.suffix == ".xml":
            examples[path.stem] = {"summary": path.name, "value": path.read_text()}
    return examples
