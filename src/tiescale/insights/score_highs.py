"""The people at or above a score on each scored date, kept by the refresh.

Two readers ask the whole history the same question: ``vanity`` (and goals, the overview's
chart) counts the people at 7+ on the first of every month, and the queue looks for former
champions (9+ on any scored date of the last months). Composing the history at two dozen dates for
every person costs seconds on a store of a million people (4 s for vanity, 3 s for the queue at 10M
events), on every read or every refresh.

The answer for a date depends only on the history rows at or before it: a run at that date or
earlier, a person forgotten, or a new scale changes it. So each date's rows are
kept (``score_highs``, migration 26) with a stamp of those (``score_highs_dates``) and composed again
only when the stamp moved: after one more day, the new dates only. A read-only store composes what
is not kept (TEMP tables, nothing written); it gets the same rows.
"""
from __future__ import annotations

from datetime import datetime
from collections.abc import Iterable
from typing import Any

from tiescale.scoring.history import history_unchanged_since, scores_over_sql
from tiescale.scoring.stamp import scale_fingerprint
from tiescale.store.db import Store
from .shadow import is_read_only

def _kept(store: Store) -> bool:
    return bool(store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'score_highs_dates'"))


def history_stamps(store: Store, dates: list[datetime]) -> dict[datetime, str]:
    """For each date, a text that changes whenever its composed scores may: the runs again at a date
    at or before it (the newest and how many: a rescore after a late import or a merge rewrites a
    date's rows), the history rows at or before it (what a first run at a new date wrote, a
    forgotten person's rows leaving), and the scale. A first run at an earlier date that changed no
    state (one window back, every day) leaves it alone, and so do new people and runs after the date:
    one more day recomposes the new dates only."""
    if not dates:
        return {}
    found = store.rows("""
        WITH d AS (SELECT unnest(?::TIMESTAMP[]) AS at),
             r AS (SELECT as_of, max(computed_at) AS c, count(*) AS n FROM score_runs GROUP BY 1),
             h AS (SELECT as_of, count(*) AS n FROM person_history_all GROUP BY 1)
        SELECT d.at, (SELECT max(c) FROM r WHERE r.as_of <= d.at AND r.n > 1) AS runs_at,
               (SELECT sum(n - 1) FROM r WHERE r.as_of <= d.at) AS runs,
               (SELECT sum(n) FROM h WHERE h.as_of <= d.at) AS rows
        FROM d""", [sorted(set(dates))])
    return {r["at"]: f"{scale_fingerprint()}|{r['runs_at']}|{r['runs']}|{r['rows']}" for r in found}


def highs_sql(store: Store, dates: list[datetime], min_score: float) -> str:
    """SQL (a SELECT of ``as_of, person_id, score``) of the people scoring at least ``min_score`` on
    each of ``dates``, from the kept rows where their stamp holds; the other dates are composed now
    and kept (on a writable store) or held in a TEMP table for this connection (read-only)."""
    dates = sorted(set(dates))
    if not dates:
        return "SELECT NULL::TIMESTAMP AS as_of, NULL::BIGINT AS person_id, NULL::DOUBLE AS score WHERE false"
    stamps = history_stamps(store, dates)
    kept = _kept(store)
    valid: set[datetime] = set()
    if kept:
        valid = _still_valid(store, store.rows(
            "SELECT * FROM score_highs_dates WHERE min_score = ? AND as_of IN (SELECT unnest(?))",
            [float(min_score), dates]), stamps, min_score)
    missing = [d for d in dates if d not in valid]
    if not missing:
        return _kept_sql(dates, min_score)
    if kept:  # every kept date whose stamp holds: a missing date after one composes from it
        others = store.rows("SELECT * FROM score_highs_dates WHERE min_score = ? AND as_of < ?",
                            [float(min_score), max(missing)])
        valid |= _still_valid(store, others, history_stamps(store, [r["as_of"] for r in others]), min_score)
    try:
        return _highs_now(store, dates, missing, min_score, kept, valid, stamps)
    finally:
        _drop_candidates(store, len(missing))


def _still_valid(store: Store, kept: list[dict[str, Any]], stamps: dict[datetime, str],
                 min_score: float) -> set[datetime]:
    """The kept dates whose rows hold: their stamp holds, or it moved only by runs that cannot have
    changed them (the same scale, and history_unchanged_since the rows were kept: a first run one
    window back, whose rows later ones shadow). Those get today's stamp (on a writable store), so the
    next check is the stamp's."""
    valid = {r["as_of"] for r in kept if stamps.get(r["as_of"]) == r["stamp"]}
    fingerprint = scale_fingerprint()
    shadowed = [r for r in kept if r["as_of"] not in valid and r.get("kept_at") is not None
                and r["stamp"].split("|")[0] == fingerprint and r["as_of"] in stamps
                and history_unchanged_since(store.con, "person", r["kept_at"], r["as_of"])]
    if shadowed and not is_read_only(store):
        with store.transaction() as con:
            con.executemany("UPDATE score_highs_dates SET stamp = ? WHERE min_score = ? AND as_of = ?",
                            [[stamps[r["as_of"]], float(min_score), r["as_of"]] for r in shadowed])
    return valid | {r["as_of"] for r in shadowed}


def _highs_now(store: Store, dates: list[datetime], missing: list[datetime], min_score: float, kept: bool,
               valid: set[datetime], stamps: dict[datetime, str]) -> str:
    fresh = _composed_sql(store, missing, min_score, valid)
    if kept and not is_read_only(store):
        with store.transaction() as con:
            con.execute("CREATE OR REPLACE TEMP TABLE score_highs_new AS " + fresh)
            con.execute("DELETE FROM score_highs WHERE min_score = ? AND as_of IN (SELECT unnest(?))",
                        [float(min_score), missing])
            con.execute("DELETE FROM score_highs_dates WHERE min_score = ? AND as_of IN (SELECT unnest(?))",
                        [float(min_score), missing])
            con.execute("INSERT INTO score_highs (as_of, min_score, person_id, score) "
                        "SELECT as_of, ?, person_id, score FROM score_highs_new", [float(min_score)])
            con.executemany("INSERT INTO score_highs_dates (as_of, min_score, stamp, kept_at) "
                            "VALUES (?, ?, ?, current_timestamp)", [[d, float(min_score), stamps[d]] for d in missing])
            con.execute("DROP TABLE score_highs_new")
        return _kept_sql(dates, min_score)
    # read-only (or a store before migration 26): the kept dates from the table, the rest composed
    name = f"score_highs_read_{abs(hash((tuple(missing), float(min_score))))}"
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {fresh}")
    asked = sorted(d for d in valid if d in dates)
    kept_part = f" UNION ALL {_kept_sql(asked, min_score)}" if asked else ""
    return f"SELECT as_of, person_id, score FROM {name}{kept_part}"


def _composed_sql(store: Store, dates: list[datetime], min_score: float, valid: set[datetime]) -> str:
    """SQL of the people at ``min_score`` or more on ``dates``, composed from the history.

    - The newest date's scores are read from the score tables when they are materialised there and
      fresh (the same composition, written by the run).
    - A date after a kept one (``valid``: kept rows whose stamp holds) composes only the people kept
      there and those with history rows between the two: silence never raises a score, so nobody
      else can have reached ``min_score`` (TEMP ``score_highs_cand_*``, dropped by the caller).
    - Any other date composes every person."""
    from .snapshots import snapshot_is_fresh

    parts = []
    newest = store.scalar("SELECT max(as_of) FROM person_scores")
    if newest in dates and snapshot_is_fresh(store, newest):
        parts.append(f"SELECT as_of, person_id, score FROM person_scores WHERE as_of = "
                     f"TIMESTAMP '{newest.isoformat(sep=' ')}' AND score >= {float(min_score)!r}")
        dates = [d for d in dates if d != newest]
    whole = []
    for i, day in enumerate(dates):
        base = max((k for k in valid if k < day), default=None)
        if base is None:
            whole.append(day)
            continue
        name = f"score_highs_cand_{i}"
        store.con.execute(f"""CREATE OR REPLACE TEMP TABLE {name} AS
            SELECT person_id FROM score_highs WHERE min_score = ? AND as_of = ?
            UNION SELECT person_id FROM person_history_all WHERE as_of > ? AND as_of <= ?""",
                          [float(min_score), base, base, day])
        at = f"SELECT TIMESTAMP '{day.isoformat(sep=' ')}' AS at"
        parts.append(f"SELECT as_of, person_id, score FROM ({scores_over_sql(at, 'person', min_score=min_score, only=name)}) "
                     f"WHERE score >= {float(min_score)!r}")
    if whole:
        composed = " UNION ALL ".join(f"SELECT TIMESTAMP '{d.isoformat(sep=' ')}' AS at" for d in whole)
        parts.append(f"SELECT as_of, person_id, score FROM ({scores_over_sql(composed, 'person', min_score=min_score)}) "
                     f"WHERE score >= {float(min_score)!r}")
    return " UNION ALL ".join(parts)


def compile_highs_sql(min_scores: Iterable[float]) -> None:
    """Compile into the SQL cache the composition of candidates that a date after a kept one reads
    (:func:`_composed_sql`), for each of ``min_scores``: a full build keeps every date, so only the
    next day would compile it otherwise."""
    for min_score in min_scores:
        scores_over_sql("SELECT NULL::TIMESTAMP AS at", "person", min_score=min_score, only="score_highs_cand_0")


def _drop_candidates(store: Store, count: int) -> None:
    for i in range(count):
        store.con.execute(f"DROP TABLE IF EXISTS score_highs_cand_{i}")


def _kept_sql(dates: list[datetime], min_score: float) -> str:
    """SQL of the kept rows of ``dates`` at ``min_score``."""
    dates_sql = ", ".join(f"TIMESTAMP '{d.isoformat(sep=' ')}'" for d in dates)
    return (f"SELECT as_of, person_id, score FROM score_highs WHERE min_score = {float(min_score)!r} "
            f"AND as_of IN ({dates_sql})")
