"""The score dates every reader composes: now, one window back, and the first of every month.

The queue compares now with one window back and with the first of recent months; the person page's
history, vanity vs meaningful and goals read the first of every month since the first touchpoint.
A date is reused when it was scored with today's scale (a new scale rescores every date, oldest
first) and no interaction dated before it was imported since;
otherwise it is scored with ``tiescale.scoring.run.score_store``, oldest first, so each date is an
incremental run from the one before (only what was touched in between is recomputed) and writes
history rows for what changed (scoring/history.py); readers compose those dates' scores. Only the
newest date rewrites the materialised score tables, once, at the end. Only dates after the first
touchpoint are scored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, UTC

from tiescale.scoring.stamp import scale_fingerprint
from tiescale.store.db import Store
from .shadow import writable_tables


@dataclass
class Snapshots:
    now: datetime  # naive UTC, as score tables store it
    previous: datetime
    history: list[datetime]


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def snapshot_is_fresh(store: Store, as_of: datetime) -> bool:
    """A stored snapshot at ``as_of``, scored with today's scale, that no later import changed."""
    watermark = store.scalar("SELECT max(watermark) FROM score_runs WHERE as_of = ? AND scale = ?",
                             [as_of, scale_fingerprint()])
    if watermark is None:
        return False
    changed = store.scalar(
        "SELECT count(*) FROM (SELECT 1 FROM interactions WHERE import_id > ? AND ts < ? LIMIT 1)",
        [watermark, as_of.replace(tzinfo=UTC)])
    return bool(changed == 0)


def fresh_dates(store: Store, dates: list[datetime]) -> set[datetime]:
    """The dates of ``dates`` with a fresh snapshot (:func:`snapshot_is_fresh`), in two queries."""
    if not dates:
        return set()
    runs = {r["as_of"]: r["watermark"] for r in store.rows(
        "SELECT as_of, max(watermark) AS watermark FROM score_runs WHERE as_of IN (SELECT unnest(?)) AND scale = ? "
        "GROUP BY 1", [sorted(set(dates)), scale_fingerprint()])}
    if not runs:
        return set()
    # the oldest touchpoint of each import newer than the oldest of those runs
    later = store.rows("SELECT import_id, min(ts) AS first FROM interactions WHERE import_id > ? AND ts IS NOT NULL "
                       "GROUP BY 1", [min(runs.values())])
    fresh = set()
    for day, watermark in runs.items():
        cut = day.replace(tzinfo=UTC)
        if not any(r["import_id"] > watermark and r["first"] < cut for r in later):
            fresh.add(day)
    return fresh


def composable(store: Store, as_of: datetime) -> bool:
    """Whether the scores at ``as_of`` are a composition of the history (scoring/history.py): a
    fresh run at that date, or at the end of the data when ``as_of`` is later (nothing happened in
    between, so rolling the last state forward is exact)."""
    if snapshot_is_fresh(store, as_of):
        return True
    end = store.data_end()
    return end is not None and as_of >= end and snapshot_is_fresh(store, end)


#: What scoring a snapshot writes (TEMP copies of them take the writes on a read-only store).
SCORE_TABLES = ("connection_scores", "person_scores", "connection_top", "score_runs", "connection_history",
                "person_history", "history_pending")


def ensure_snapshot(store: Store, as_of: datetime, materialise: bool = True, fresh: bool | None = None) -> None:
    """Score ``as_of`` unless a fresh snapshot is stored; on a read-only store the snapshot is
    written into TEMP copies of the score tables (see ``shadow``) and the file is not touched.
    ``materialise=False``: history rows only (a date before the newest one of a batch); ``fresh``:
    whether the snapshot is fresh, when the caller already knows (:func:`fresh_dates`)."""
    if not (snapshot_is_fresh(store, as_of) if fresh is None else fresh):
        from tiescale.scoring.run import score_store  # imported when needed: it loads the scoring engine

        writable_tables(store, *SCORE_TABLES)
        score_store(store, as_of, materialise=materialise)


def month_starts(t: datetime, months: int) -> list[datetime]:
    found, year, month = [], t.year, t.month
    for _ in range(months):
        found.append(datetime(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return [d for d in found if d < t]


def months_since(first: datetime, t: datetime) -> list[datetime]:
    """The first of every month after ``first`` and before ``t``, oldest first."""
    found: list[datetime] = []
    year, month = first.year, first.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        start = datetime(year, month, 1)
        if start >= t:
            return found
        found.append(start)


def ensure_snapshots(store: Store, now: datetime | None, window_days: int, history_months: int,
                     every_month: bool = False) -> Snapshots | None:
    """The snapshots at ``now`` (default: ``Store.data_end()``, the day the data was taken), one
    window before, and the first of each of the last ``history_months`` months (``history``, the ones
    the queue compares); with ``every_month``, the first of every month since the first touchpoint
    (what ``refresh_derived`` keeps for the history readers)."""
    first = store.scalar("SELECT min(first_ts) FROM imports")
    if first is None:
        first = store.scalar("SELECT min(ts) FROM interactions WHERE ts IS NOT NULL")
    if first is None:
        return None
    first = _naive(first)
    t = _naive(now) if now is not None else store.data_end()
    if t is None:
        return None
    previous = t - timedelta(days=window_days)
    history = [d for d in month_starts(t, history_months) if d > first]
    earlier = (set(months_since(first, t)) if every_month else set()) | set(history) | (
        {previous} if previous > first else set())
    dates = sorted(d for d in earlier if d < t)
    # every date's freshness in two queries (scoring one date leaves the others' as they were)
    fresh = fresh_dates(store, [*dates, t])
    for day in dates:  # oldest first: each run goes on from the one before
        ensure_snapshot(store, day, materialise=False, fresh=day in fresh)
    ensure_snapshot(store, t, fresh=t in fresh)
    return Snapshots(t, previous, history)
