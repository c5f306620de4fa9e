"""Conditional GET (RFC 9110 §13): an `ETag` and `Last-Modified` on a body, 304 when unchanged.

Feed readers poll; answering "not modified" costs both sides almost nothing. The ETag is a hash of
the exact bytes, so it changes whenever the body does (an alert expiring included); If-None-Match
wins over If-Modified-Since when a client sends both, as the RFC requires.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def conditional_response(
    request: Request, body: bytes, media_type: str, last_modified: datetime
) -> Response:
    """`body` with validators, or an empty 304 when the client's copy is current."""
    headers = {
        "ETag": entity_tag(body),
        "Last-Modified": http_date(last_modified),
        "Cache-Control": "no-cache",
    }
    if _not_modified(request, headers["ETag"], last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since
