"""Where recorded events live: the event store (SQLite embedded)."""
