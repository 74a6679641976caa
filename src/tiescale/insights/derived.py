"""Derived state, brought up to date in one call after a write.

The insights keep derived tables next to the data: the answer index (``threads``), the score
snapshots the queue compares (``snapshots``), the queue's cache (``queue``) and the content
classifier's verdicts (``content_labels``). Each read brings what it needs up to date, which on a
read-only store happens in TEMP copies (``shadow``) and is lost when the connection closes. A
surface that writes (an import, a merge, done / snooze, a rescore) calls ``refresh_derived`` after
its write, on its writable store, so that readers through a read-only store find every derived
table current and have nothing to recompute.
"""
from __future__ import annotations

from tiescale.store.db import Store
from .content import refresh_content_labels
from .queue import build_queue
from .queue_items import DEFAULT_QUEUE
from .snapshots import ensure_snapshots
from .threads import refresh_threads


def refresh_derived(store: Store) -> None:
    """Bring every derived table up to date with the store (a writable one; on a read-only store
    the refresh lands in TEMP copies for this connection only)."""
    refresh_threads(store)
    ensure_snapshots(store, None, DEFAULT_QUEUE.window_days, DEFAULT_QUEUE.history_months)
    build_queue(store, limit=1)  # the default queue's cache (every account, today's date)
    refresh_content_labels(store)
