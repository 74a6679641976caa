"""The score snapshots the queue compares: now, one window back, and the first of recent months.

A snapshot is reused when it exists and no interaction dated before it was imported after it was
computed; otherwise it is scored with ``tiescale.scoring.run.score_store`` and stored (it then also
shows in ``tiescale person`` history). Only dates after the first touchpoint are scored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..store.db import Store
from .threads import data_end


@dataclass
class Snapshots:
    now: datetime  # naive UTC, as score tables store it
    previous: datetime
    history: list[datetime]


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def snapshot_is_fresh(store: Store, as_of: datetime) -> bool:
    """A stored snapshot at ``as_of`` that no later import changed."""
    row = store.con.execute(
        "SELECT max(watermark) FROM score_runs WHERE as_of = ?", [as_of]).fetchall()[0]
    if row is None or row[0] is None:
        return False
    changed = store.con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM interactions WHERE import_id > ? AND ts < ? LIMIT 1)",
        [row[0], as_of.replace(tzinfo=timezone.utc)]).fetchall()[0][0]
    return changed == 0


def ensure_snapshot(store: Store, as_of: datetime) -> None:
    if not snapshot_is_fresh(store, as_of):
        from ..scoring.run import score_store  # imported when needed: it loads the scoring engine

        score_store(store, as_of)


def month_starts(t: datetime, months: int) -> list[datetime]:
    found, year, month = [], t.year, t.month
    for _ in range(months):
        found.append(datetime(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return [d for d in found if d < t]


def default_now(store: Store) -> datetime | None:
    """Midnight (UTC) after the newest touchpoint, never later than now: the day the data was taken
    (the same rule as ``tiescale score`` without --as-of)."""
    newest = data_end(store)
    if newest is None:
        return None
    newest = _naive(newest)
    end = datetime(newest.year, newest.month, newest.day) + timedelta(days=1)
    return min(end, _naive(datetime.now(timezone.utc)))


def ensure_snapshots(store: Store, now: datetime | None, window_days: int, history_months: int) -> Snapshots | None:
    """Call after ``refresh_threads``."""
    con = store.con
    first = con.execute("SELECT min(first_ts) FROM imports").fetchone()[0]
    if first is None:
        first = con.execute("SELECT min(ts) FROM interactions WHERE ts IS NOT NULL").fetchone()[0]
    if first is None:
        return None
    first = _naive(first)
    t = _naive(now) if now is not None else default_now(store)
    if t is None:
        return None
    previous = t - timedelta(days=window_days)
    history = [d for d in month_starts(t, history_months) if d > first]
    for day in ([previous] if previous > first else []) + history:
        ensure_snapshot(store, day)
    ensure_snapshot(store, t)
    return Snapshots(t, previous, history)
