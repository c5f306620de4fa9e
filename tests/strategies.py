"""Hypothesis strategies for canonical messages, shared by the CAP, Avro and store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from domain.model import AlertMessage, Category, Certainty, ResponseType, Severity, Urgency

cap_id = st.from_regex(r"[A-Za-z0-9._@:-]{1,40}", fullmatch=True)
# XML 1.0 cannot carry control characters; CAP text is trimmed of surrounding whitespace.
text = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-7))])
moment = st.builds(
    lambda seconds, tz: (
        datetime(2020, 1, 1, tzinfo=UTC).astimezone(tz) + timedelta(seconds=seconds)
    ),
    st.integers(0, 10 * 365 * 86400),
    offsets,
)
coordinate = st.tuples(
    st.floats(-90, 90, allow_nan=False).map(lambda v: round(v, 6)),
    st.floats(-180, 180, allow_nan=False).map(lambda v: round(v, 6)),
)
ring = st.lists(coordinate, min_size=3, max_size=8).map(lambda p: [*p, p[0]])
pair = st.fixed_dictionaries({"name": cap_id, "value": text})


def _area() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"description": text},
        optional={
            "polygons": st.lists(ring, max_size=2),
            "circles": st.lists(
                st.builds(
                    lambda c, r: {"lat": c[0], "lon": c[1], "radius_km": r},
                    coordinate,
                    st.floats(0, 500, allow_nan=False).map(lambda v: round(v, 3)),
                ),
                max_size=2,
            ),
            "geocodes": st.lists(pair, max_size=2),
        },
    )


def _info() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "language": st.sampled_from(["nl-NL", "en-US", "fr-BE"]),
            "category": st.lists(st.sampled_from(list(Category)), min_size=1, max_size=3),
            "event": text,
            "urgency": st.sampled_from(list(Urgency)),
            "severity": st.sampled_from(list(Severity)),
            "certainty": st.sampled_from(list(Certainty)),
        },
        optional={
            "response_type": st.lists(st.sampled_from(list(ResponseType)), max_size=2),
            "event_codes": st.lists(pair, max_size=2),
            "expires": moment,
            "headline": text,
            "description": text,
            "web": st.just("https://crisis.nl/"),
            "parameters": st.lists(pair, max_size=3),
            "areas": st.lists(_area(), max_size=2),
        },
    )


def alert_messages() -> st.SearchStrategy[AlertMessage]:
    return st.fixed_dictionaries(
        {
            "identifier": cap_id,
            "sender": cap_id,
            "sent": moment,
            "status": st.sampled_from(["Actual", "Exercise", "Test"]),
            "msg_type": st.just("Alert"),
            "scope": st.just("Public"),
        },
        optional={
            "source": text,
            "codes": st.lists(text, max_size=2),
            "note": text,
            "incidents": st.lists(cap_id, max_size=3),
            "info": st.lists(_info(), max_size=3),
        },
    ).map(AlertMessage.model_validate)
