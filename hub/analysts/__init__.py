"""Analysts' tools over the canonical stream: a window of history, exports, replays, shadows.

Everything reads an `EventStream` (the store's log or the Kafka topic: the same code) and streams;
no function holds a window in memory, only what its result needs (an id or a state per alert).

- `window(stream, start, end, channel=)`: the events recorded in `[start, end)` (`window.py`);
- `export(records, fmt, out, codec)`: JSON lines, CSV or an Avro container file (`export.py`),
  CSV rows one per event and language with the area as WKT (`table.py`);
- `sent_between(records, start, end)`: keep the events whose message was sent in a window;
- `replay(records, projections, target_dir)`: views rebuilt in a separate database (`replay.py`);
- `shadow(records, channel, existing_channels)`: a channel plugin over history (`shadow.py`);
- `reading_hub(settings)`: the hub to read from, built by the one bootstrap, workers off.
"""

from hub.analysts.export import FORMATS, ExportReport, Format, document, export, to_json
from hub.analysts.replay import (
    ReplayReport,
    WholeAlerts,
    fold,
    load_projections,
    projection_names,
    replay,
)
from hub.analysts.shadow import AlertShadow, RenderFailure, ShadowReport, shadow
from hub.analysts.table import CSV_COLUMNS, area_wkt, table_rows
from hub.analysts.window import (
    Progress,
    ProgressFn,
    reading_hub,
    sent_between,
    tracked,
    window,
    window_size,
)
from projections.registry import PROJECTION_GROUP

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "PROJECTION_GROUP",
    "AlertShadow",
    "ExportReport",
    "Format",
    "Progress",
    "ProgressFn",
    "RenderFailure",
    "ReplayReport",
    "ShadowReport",
    "WholeAlerts",
    "area_wkt",
    "document",
    "export",
    "fold",
    "load_projections",
    "projection_names",
    "reading_hub",
    "replay",
    "sent_between",
    "shadow",
    "table_rows",
    "to_json",
    "tracked",
    "window",
    "window_size",
]
