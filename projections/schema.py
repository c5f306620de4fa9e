"""Every table and index of the views, in one place and in SQL every supported engine accepts.

`{p}` is the projection's table prefix (a rebuild builds a prefixed copy beside the live one).
Times are ISO-8601 UTC text, so text order is time order on every engine.

History is kept as validity intervals: a row is what was true from `valid_from` until
`valid_to` (NULL: still true). "Now" reads `valid_to IS NULL`; "as of T" reads the rows with
`valid_from <= T < valid_to`; both are indexed, so a page costs the page, not the history. A
message is stored once (`alert_messages`), never copied into each version of its alert.
"""

from __future__ import annotations

from projections.database import Connection

ALERTS = (
    # The current state of each alert (its message history left out: see alert_messages).
    "CREATE TABLE IF NOT EXISTS {p}alerts (alert_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, status TEXT NOT NULL, public INTEGER NOT NULL,"
    " ended INTEGER NOT NULL, expires_at TEXT, sent TEXT NOT NULL, thread TEXT,"
    " origin_channel TEXT NOT NULL, state TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_sent ON {p}alerts (sent DESC, alert_id)",
    "CREATE INDEX IF NOT EXISTS {p}alerts_open ON {p}alerts (ended, expires_at)",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_expiry ON {p}alerts (expires_at)",
    # Every version of each alert, valid from when it was recorded until the next one was.
    "CREATE TABLE IF NOT EXISTS {p}alert_versions (alert_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT,"
    " status TEXT NOT NULL, public INTEGER NOT NULL, ended INTEGER NOT NULL, expires_at TEXT,"
    " sent TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (alert_id, version))",
    "CREATE INDEX IF NOT EXISTS {p}versions_by_sent ON {p}alert_versions (sent DESC, alert_id)",
    "CREATE INDEX IF NOT EXISTS {p}versions_by_time ON {p}alert_versions (alert_id, valid_from)",
    "CREATE INDEX IF NOT EXISTS {p}versions_recorded ON {p}alert_versions (valid_from)",
    # Each message of an alert once, with the version that brought it.
    "CREATE TABLE IF NOT EXISTS {p}alert_messages (alert_id TEXT NOT NULL,"
    " message_key TEXT NOT NULL, version INTEGER NOT NULL, sent TEXT NOT NULL,"
    " message TEXT NOT NULL, PRIMARY KEY (alert_id, message_key))",
    # The channels an alert went through (a channel, once joined, stays) and its geocodes.
    "CREATE TABLE IF NOT EXISTS {p}alert_channels (alert_id TEXT NOT NULL, channel TEXT NOT NULL,"
    " valid_from TEXT NOT NULL, PRIMARY KEY (alert_id, channel))",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_channel ON {p}alert_channels (channel, alert_id)",
    "CREATE TABLE IF NOT EXISTS {p}alert_geocodes (alert_id TEXT NOT NULL, value TEXT NOT NULL,"
    " valid_from TEXT NOT NULL, valid_to TEXT, PRIMARY KEY (alert_id, value, valid_from))",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_geocode ON {p}alert_geocodes (value, alert_id)",
)

CHANNEL_VIEWS = (
    # The projection's own copy of each alert's state (it never reads another view's tables).
    "CREATE TABLE IF NOT EXISTS {p}view_states (alert_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, state TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}view_messages (alert_id TEXT NOT NULL,"
    " message_key TEXT NOT NULL, version INTEGER NOT NULL, sent TEXT NOT NULL,"
    " message TEXT NOT NULL, PRIMARY KEY (alert_id, message_key))",
    # The state (without history) of each version some channel selected, kept to render it.
    "CREATE TABLE IF NOT EXISTS {p}view_versions (alert_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (alert_id, version))",
    # Each channel's selection of each alert, per version, as an interval; its rendering
    # (`native`, `lost`) is NULL until the first read renders it.
    "CREATE TABLE IF NOT EXISTS {p}channel_views (channel TEXT NOT NULL, alert_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT,"
    " ended INTEGER NOT NULL, expires_at TEXT, sent TEXT NOT NULL,"
    " native TEXT, lost TEXT, PRIMARY KEY (channel, alert_id, version))",
    "CREATE INDEX IF NOT EXISTS {p}channel_views_now ON {p}channel_views"
    " (channel, valid_to, sent DESC, alert_id)",
    "CREATE INDEX IF NOT EXISTS {p}channel_views_by_sent ON {p}channel_views"
    " (channel, sent DESC, alert_id)",
)

PLACES = (
    "CREATE TABLE IF NOT EXISTS {p}place_states (alert_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, state TEXT NOT NULL)",
    # The Dutch places (NL, PVxx, VRxx, GMxxxx) each alert's area covers, as intervals.
    "CREATE TABLE IF NOT EXISTS {p}alert_places (alert_id TEXT NOT NULL, code TEXT NOT NULL,"
    " valid_from TEXT NOT NULL, valid_to TEXT, PRIMARY KEY (alert_id, code, valid_from))",
    "CREATE INDEX IF NOT EXISTS {p}alerts_by_place ON {p}alert_places (code, alert_id)",
    # Each alert's bounding box, as intervals: a point query narrows by box, then tests exactly.
    "CREATE TABLE IF NOT EXISTS {p}alert_bounds (alert_id TEXT NOT NULL,"
    " valid_from TEXT NOT NULL, valid_to TEXT,"
    " min_lat DOUBLE PRECISION NOT NULL, min_lon DOUBLE PRECISION NOT NULL,"
    " max_lat DOUBLE PRECISION NOT NULL, max_lon DOUBLE PRECISION NOT NULL,"
    " PRIMARY KEY (alert_id, valid_from))",
)

INCIDENTS = (
    "CREATE TABLE IF NOT EXISTS {p}incident_states (alert_id TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL, state TEXT NOT NULL)",
    # Which incident each link (a CAP incidents token, a message key) belongs to.
    "CREATE TABLE IF NOT EXISTS {p}incident_links (link TEXT PRIMARY KEY,"
    " incident_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {p}links_by_incident ON {p}incident_links (incident_id)",
    # Each incident: opened by its earliest alert; merged_at set when it joined another one.
    # open_until: the latest expiry among its alerts that have not ended ('9999' when one
    # never expires, NULL when all ended), so "active now" is one indexed comparison.
    "CREATE TABLE IF NOT EXISTS {p}incidents (incident_id TEXT PRIMARY KEY,"
    " opened_at TEXT NOT NULL, merged_at TEXT, merged_into TEXT, open_until TEXT)",
    "CREATE INDEX IF NOT EXISTS {p}incidents_by_opened ON {p}incidents (opened_at DESC,"
    " incident_id)",
    "CREATE INDEX IF NOT EXISTS {p}incidents_open ON {p}incidents (merged_at, open_until)",
    # Each alert's membership and summary, as intervals (an alert moves when incidents merge).
    "CREATE TABLE IF NOT EXISTS {p}incident_members (alert_id TEXT NOT NULL,"
    " valid_from TEXT NOT NULL, valid_to TEXT, incident_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL,"
    " public INTEGER NOT NULL, ended INTEGER NOT NULL, expires_at TEXT,"
    " recorded_at TEXT NOT NULL, event TEXT, headline TEXT, tokens TEXT NOT NULL,"
    " PRIMARY KEY (alert_id, valid_from))",
    "CREATE INDEX IF NOT EXISTS {p}members_by_incident ON {p}incident_members"
    " (incident_id, valid_to)",
    "CREATE INDEX IF NOT EXISTS {p}members_now ON {p}incident_members (alert_id, valid_to)",
)


def create(conn: Connection, statements: tuple[str, ...], prefix: str) -> None:
    """Create a projection's tables and indexes if they do not exist (idempotent)."""
    for statement in statements:
        conn.execute(statement.format(p=prefix))
