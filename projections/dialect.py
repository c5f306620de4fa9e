"""The one SQL shape the views write that is worth a builder: the upsert.

Every statement of the views is written once, in SQL both SQLite and PostgreSQL accept: `?`
placeholders, `INSERT ... ON CONFLICT (...) DO UPDATE SET col = excluded.col`, `SAVEPOINT`,
`ALTER TABLE ... RENAME TO`, timestamps as ISO-8601 UTC text (text order is time order), no
engine functions. What differs between the engines (how a write transaction starts, the
catalogue of indexes) is the database class's (`projections.database`,
`hub.storage.postgres`).
"""

from __future__ import annotations


def upsert(
    table: str, columns: tuple[str, ...], key: tuple[str, ...], *, keep_existing: bool = False
) -> str:
    """INSERT a row or, when its key exists, overwrite the other columns (or keep the row)."""
    marks = ",".join("?" * len(columns))
    updates = ",".join(f"{c}=excluded.{c}" for c in columns if c not in key)
    action = "DO NOTHING" if keep_existing or not updates else f"DO UPDATE SET {updates}"
    return (
        f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})"
        f" ON CONFLICT ({','.join(key)}) {action}"
    )
