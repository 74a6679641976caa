"""Derived state, brought up to date in one call after a write.

The insights keep derived tables next to the data: the score snapshot that reflects every import
(``score_runs`` at the store's watermark), the answer index (``threads``), the score snapshots the
queue compares (``snapshots``), the queue's cache (``queue``) and the content classifier's verdicts
(``content_labels``). A read that finds one of them stale brings it up to date, which on a
read-only store happens in TEMP copies (``shadow``): slow, and lost when the connection closes.

So every surface that writes (an import, a sync round, a merge or unmerge, forget, done / snooze,
a goal, the dashboard's actions) calls ``refresh_derived`` right after its write, on its writable
store, and readers through a read-only store find every derived table current and have nothing to
recompute. Each step skips what is already current (the answer index and the scores go
incrementally from what they were built at), so a refresh after a small change is cheap and a
refresh of a current store costs a few lookups.
"""
from __future__ import annotations

from tiescale.scoring.history import compile_incremental_sql
from tiescale.sqlcache import cache_dir
from tiescale.store.db import Store
from .content import refresh_content_labels, refresh_message_index
from .goals import refresh_vanity
from .languages import refresh_language_mix, refresh_languages
from .meaningful import MEANINGFUL_MIN
from .people import current_as_of
from .queue import build_queue
from .queue_items import DEFAULT_QUEUE
from .revenue_cache import refresh_revenue
from .score_highs import compile_highs_sql
from .snapshots import ensure_snapshots
from .threads import refresh_threads


def refresh_derived(store: Store) -> None:
    """Bring every derived table up to date with the store (a writable one; on a read-only store
    the refresh lands in TEMP copies for this connection only)."""
    # every date readers compose (the first of each month, one window back) oldest first, then the
    # newest, materialised for the listings
    ensure_snapshots(store, None, DEFAULT_QUEUE.window_days, DEFAULT_QUEUE.history_months, every_month=True)
    current_as_of(store)  # the snapshot the listings read (scored above unless the data has no date)
    refresh_threads(store)
    build_queue(store, limit=1)  # the default queue's cache (every account, today's date)
    refresh_content_labels(store)
    refresh_message_index(store)  # the outbound messages the content report counts
    refresh_languages(store)  # the content report's language mix, for the newest messages
    refresh_language_mix(store)  # and the default mix itself (insights/report_cache.py)
    refresh_revenue(store)  # the default revenue report's person-time (insights/revenue_cache.py)
    refresh_vanity(store)  # the default vanity report (its people at 7+ per month: insights/score_highs.py)
    # what only a later, incremental refresh reads, compiled now: a full build leaves the first
    # morning nothing to compile (0.7 s of it, Ibis loaded); a lookup when the cache holds it
    if cache_dir() is not None:
        compile_incremental_sql()
        compile_highs_sql({DEFAULT_QUEUE.reengage_peak, DEFAULT_QUEUE.cooling_min_score, MEANINGFUL_MIN})
