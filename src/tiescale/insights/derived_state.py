"""The watermark each derived table was last brought up to date at (table ``derived_state``).

A refresh step that can work from "what was imported since" keeps here the store's watermark it
last reached and the version of what computed it (a model's id, an expression's hash): the next
refresh reads only newer imports, a refresh with nothing new returns at once, and a new version
starts over from every row.
"""
from __future__ import annotations

from tiescale.store.db import Store
from .shadow import is_read_only


def _has_table(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'derived_state'"))


def derived_watermark(store: Store, name: str, version: str) -> int | None:
    """The watermark ``name`` was refreshed at with ``version``; None: never, or with another version."""
    if not _has_table(store):
        return None
    found = store.row("SELECT watermark, version FROM derived_state WHERE name = ?", [name])
    if found is None or found["version"] != version:
        return None
    return int(found["watermark"])


def set_derived_watermark(store: Store, name: str, version: str, watermark: int) -> None:
    """Record that ``name`` reflects every import up to ``watermark`` (not on a read-only store,
    whose refreshes live in TEMP tables for one connection)."""
    if not _has_table(store) or is_read_only(store):
        return
    with store.transaction() as con:
        con.execute("DELETE FROM derived_state WHERE name = ?", [name])
        con.execute("INSERT INTO derived_state (name, watermark, version, refreshed_at) VALUES (?, ?, ?, now())",
                    [name, watermark, version])
