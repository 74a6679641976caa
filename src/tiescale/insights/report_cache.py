"""Reports the refresh computes for everyone and readers take back while the store is unchanged.

A default report (vanity by month, the content report's language mix) reads millions of rows;
the refresh (``insights.derived.refresh_derived``) computes it once after a write and keeps it as
JSON in ``report_cache`` (migration 26) next to the state of the store it was computed from. A read
whose state matches returns it; any other read computes the report itself and writes nothing. The
kept reports hold counts and shares only, never a person.
"""
from __future__ import annotations

import json
from typing import Any

from tiescale.scoring.stamp import scale_fingerprint
from tiescale.store.db import Store
from .shadow import is_read_only


def store_state(store: Store, **more: Any) -> str:
    """The state of everything a report may read: imports, people (forget, merges), score runs,
    orders, the scale, plus ``more`` (the report's own parameters and versions)."""
    row = store.row("""
        SELECT ? AS watermark, (SELECT count(*) FROM conversions) AS orders,
               (SELECT max(ts) FROM conversions) AS newest_order,
               (SELECT count(*) FROM people) AS people,
               (SELECT count(*) FROM people WHERE merged_into IS NULL) AS active_people,
               (SELECT count(*) FROM merges) AS merges, (SELECT max(undone_at) FROM merges) AS undone,
               (SELECT count(*) FROM forgotten) AS forgotten,
               (SELECT max(computed_at) FROM score_runs) AS scored,
               (SELECT count(*) FROM follower_snapshots) AS follower_rows""", [store.watermark()])
    return json.dumps({**(row or {}), **more, "scale": scale_fingerprint()}, default=str, sort_keys=True)


def _has_table(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'report_cache'"))


def kept_report(store: Store, name: str, state: str) -> dict[str, Any] | None:
    """The report ``name`` kept for exactly this ``state``, or None."""
    if not _has_table(store):
        return None
    body = store.scalar("SELECT body FROM report_cache WHERE name = ? AND state = ?", [name, state])
    return json.loads(body) if body is not None else None


def is_kept(store: Store, name: str, state: str) -> bool:
    return _has_table(store) and bool(
        store.scalar("SELECT count(*) FROM report_cache WHERE name = ? AND state = ?", [name, state]))


def keep_report(store: Store, name: str, state: str, body: dict[str, Any]) -> None:
    """Keep ``body`` as the report ``name`` for ``state`` (a refresh; nothing on a read-only store)."""
    if is_read_only(store) or not _has_table(store):
        return
    with store.transaction() as con:
        con.execute("DELETE FROM report_cache WHERE name = ?", [name])
        con.execute("INSERT INTO report_cache (name, state, body, computed_at) VALUES (?, ?, ?, now())",
                    [name, state, json.dumps(body, default=str)])
