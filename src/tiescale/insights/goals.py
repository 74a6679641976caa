"""Vanity vs meaningful: followers, people who talked at all, meaningful connections; goals.

Per month end (the midnight that starts the next month, or the end of the data for the last
month): followers = people in each account's latest follower list taken before then (summed over
accounts); talked = people who ever replied, messaged, mentioned, commented, liked or reposted
before then; meaningful = people whose score as of then is at least ``min_score`` (the one setting,
insights/meaningful.py: 7 by default, the same threshold as the overview, Revenue and the report).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tiescale.records import UsageError
from tiescale.store.db import Store
from tiescale.timeparse import BadTimestamp, parse_ts
from .meaningful import MEANINGFUL_MIN
from .person_days_kept import kept_people_current
from .revenue import revenue_window_end
from .snapshots import composable, fresh_dates
from .score_highs import highs_sql
from .report_cache import is_kept, keep_report, kept_report, store_state
from .shadow import is_read_only
from .tiers_before import SILENT_KINDS, score_pairs

METRICS = ("meaningful",)


@dataclass
class VanityPoint:
    month: str  # YYYY-MM
    as_of: datetime
    followers: int
    talked: int
    meaningful: int
    ratio: float  # meaningful / followers (0 when no follower list)

    def in_words(self, min_score: float = MEANINGFUL_MIN) -> str:
        if self.followers:
            return (f"of {self.followers:,} followers, {self.meaningful:,} are meaningful connections "
                    f"(score {min_score:g}+)")
        return (f"{self.meaningful:,} meaningful connections (score {min_score:g}+) among {self.talked:,} people "
                "who talked with you")


@dataclass
class VanityReport:
    account: str | None
    min_score: float
    points: list[VanityPoint]
    statement: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for point in data["points"]:
            point["as_of"] = point["as_of"].isoformat()
        return data


def _month_ends(first: datetime, end: datetime) -> list[datetime]:
    points = []
    year, month = first.year, first.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        cut = datetime(year, month, 1)
        if cut >= end:
            points.append(end)
            return points
        points.append(cut)


def meaningful_people(store: Store, as_ofs: list[datetime], account: str | None = None,
                      min_score: float = MEANINGFUL_MIN) -> dict[datetime, int]:
    """How many people scored at least ``min_score`` as of each date.

    Dates the history covers (:func:`composable`: the first of every month and the newest date,
    which every refresh scores) are counted from the composition, all in one query; any other date,
    and every date for one ``account`` (the history holds people across accounts), is scored from
    the touchpoints (tiers_before.score_pairs), one date at a time.
    """
    counts: dict[datetime, int] = {}
    fresh = fresh_dates(store, as_ofs) if account is None else set()
    covered = [d for d in as_ofs if account is None and (d in fresh or composable(store, d))]
    if covered:  # kept per date by the refresh (score_highs): composed again only where the history moved
        found = {r["as_of"]: r["n"] for r in store.rows(
            f"SELECT as_of, count(*) AS n FROM ({highs_sql(store, covered, min_score)}) GROUP BY as_of")}
        counts.update({d: int(found.get(d, 0)) for d in covered})
    account_sql = "AND i.account = ?" if account else ""
    people: list[int] | None = None
    for as_of in as_ofs:
        if as_of in counts:
            continue
        if people is None:
            people = [r["person_id"] for r in store.rows(f"""
                SELECT DISTINCT i.person_id FROM touchpoints i
                WHERE i.kind NOT IN {SILENT_KINDS} {account_sql}""", [account] if account else [])]
        scores = score_pairs(store, [(p, as_of) for p in people], account=account)
        counts[as_of] = sum(1 for s in scores.values() if s.talked and s.score >= min_score)
    return counts


#: Bump when what the vanity report computes changes: a kept report of another version is recomputed.
VANITY_VERSION = 1


def vanity_state(store: Store, min_score: float = MEANINGFUL_MIN) -> str:
    """What the default vanity report depends on (report_cache.store_state), the window's end and
    the threshold."""
    return store_state(store, report="vanity", end=revenue_window_end(store), min_score=min_score,
                       version=VANITY_VERSION)


def refresh_vanity(store: Store) -> None:
    """Compute the default vanity report (every account, the meaningful threshold) and keep it, so
    ``vanity``, the overview's chart and the report read it back (a refresh; not on a read-only store)."""
    if is_read_only(store):
        return
    state = vanity_state(store)
    if not is_kept(store, "vanity", state):
        keep_report(store, "vanity", state, _vanity(store, None, MEANINGFUL_MIN).to_dict())


def vanity_vs_meaningful(store: Store, account: str | None = None, by: str = "month",
                         min_score: float = MEANINGFUL_MIN) -> VanityReport:
    if by != "month":
        raise UsageError("vanity vs meaningful is reported by month")
    if account is None and min_score == MEANINGFUL_MIN:
        data = kept_report(store, "vanity", vanity_state(store))
        if data is not None:  # what the refresh computed for this very state of the store
            points = [VanityPoint(**{**p, "as_of": datetime.fromisoformat(p["as_of"])}) for p in data["points"]]
            return VanityReport(data["account"], data["min_score"], points, data["statement"])
    return _vanity(store, account, min_score)


def _vanity(store: Store, account: str | None, min_score: float) -> VanityReport:
    end = revenue_window_end(store)
    # the oldest instant from the column's statistics, converted once (not every row)
    first = store.scalar("SELECT min(ts) AT TIME ZONE 'UTC' FROM interactions")
    if end is None or first is None:
        return VanityReport(account, min_score, [], "no interactions yet")
    cuts = _month_ends(first, end)
    account_sql = "AND account = ?" if account else ""
    params = [account] if account else []
    meaningful = meaningful_people(store, cuts, account, min_score)
    cuts_sql = " UNION ALL ".join(f"SELECT TIMESTAMP '{c.isoformat(sep=' ')}' AS cut" for c in cuts)
    # each account's latest follower list before each cut, summed; people who talked before each cut
    followers = {r["cut"]: r["n"] for r in store.rows(f"""
        WITH cuts AS ({cuts_sql}),
        lists AS (SELECT platform, account, snapshot_at AT TIME ZONE 'UTC' AS taken, count(*) AS n
                  FROM follower_snapshots WHERE relation = 'follower' {account_sql} GROUP BY ALL),
        latest AS (SELECT c.cut, l.platform, l.account, max(l.taken) AS taken FROM cuts c JOIN lists l ON l.taken < c.cut
                   GROUP BY ALL)
        SELECT x.cut, sum(l.n) AS n FROM latest x JOIN lists l USING (platform, account, taken) GROUP BY x.cut""",
        params)}
    if account is None and kept_people_current(store):
        # the midnight after each person's first conversation, kept by the refresh with revenue's days
        talked = {r["cut"]: r["n"] for r in store.rows(f"""
            WITH cuts AS ({cuts_sql})
            SELECT c.cut, count(*) AS n FROM cuts c JOIN revenue_people p ON p.talk <= c.cut GROUP BY c.cut""")}
    else:
        talked = _talked(store, cuts_sql, account_sql, params)
    points = []
    for cut in cuts:
        strong = meaningful[cut]
        label = (cut - timedelta(days=1)).strftime("%Y-%m")
        points.append(VanityPoint(label, cut, int(followers.get(cut) or 0), int(talked.get(cut) or 0), strong,
                                  strong / followers[cut] if followers.get(cut) else 0.0))
    last = points[-1]
    trend = ""
    if len(points) > 1:
        before = points[-2] if len(points) < 4 else points[-4]
        trend = f" ({last.meaningful - before.meaningful:+,} since {before.month})"
    return VanityReport(account, min_score, points, last.in_words(min_score) + trend)


# -- goals -----------------------------------------------------------------------------------------
@dataclass
class Goal:
    metric: str
    account: str | None
    target: float
    by_date: date
    min_score: float
    baseline: float
    baseline_at: datetime


@dataclass
class GoalProgress:
    metric: str
    account: str | None
    target: float
    by_date: date
    current: float
    as_of: datetime
    baseline: float
    baseline_at: datetime
    progress: float  # share of the way from the baseline to the target
    expected_now: float  # on a straight line from the baseline to the target
    on_track: bool
    statement: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("by_date", "as_of", "baseline_at"):
            data[key] = data[key].isoformat()
        return data



def _talked(store: Store, cuts_sql: str, account_sql: str, params: list[Any]) -> dict[datetime, int]:
    """How many people had talked (a touchpoint that is no like or follow) before each cut."""
    return {r["cut"]: r["n"] for r in store.rows(f"""
        WITH cuts AS ({cuts_sql}),
        -- each handle's first word, then each person's (the touchpoints view would join millions of
        -- rows to their identities; converting the time zone per row scans them all again)
        handle_firsts AS (SELECT platform, handle, min(ts) AS first FROM interactions
                          WHERE kind NOT IN {SILENT_KINDS} {account_sql} GROUP BY ALL),
        firsts AS (SELECT d.person_id, min(h.first) AT TIME ZONE 'UTC' AS first
                   FROM handle_firsts h JOIN identities d USING (platform, handle) GROUP BY 1),
        per_day AS (SELECT first, count(*) AS n FROM firsts GROUP BY 1)
        SELECT c.cut, sum(p.n) AS n FROM cuts c JOIN per_day p ON p.first < c.cut GROUP BY c.cut""", params)}


def _current(store: Store, account: str | None, min_score: float) -> tuple[float, datetime]:
    end = revenue_window_end(store)
    if end is None:
        raise UsageError("no data yet: import some interactions first")
    return float(meaningful_people(store, [end], account, min_score)[end]), end


def set_goal(store: Store, metric: str, target: float, by: str | date, account: str | None = None,
             min_score: float = MEANINGFUL_MIN) -> Goal:
    """Set (or replace) the target for ``metric`` by a date; the value now becomes the baseline."""
    if metric not in METRICS:
        raise UsageError(f"unknown goal {metric!r}; choose one of: {', '.join(METRICS)}")
    if target <= 0:
        raise UsageError("a goal's target must be above 0")
    try:
        by_date = by if isinstance(by, date) else parse_ts(by).date()
    except BadTimestamp as exc:
        raise UsageError(f"--by: {exc}") from None
    baseline, at = _current(store, account, min_score)
    if datetime(by_date.year, by_date.month, by_date.day) <= at:
        raise UsageError(f"--by {by_date} is not after the end of the data ({at:%Y-%m-%d})")
    with store.transaction() as con:
        con.execute("DELETE FROM goals WHERE metric = ? AND account = ?", [metric, account or ""])
        con.execute("INSERT INTO goals (metric, account, target, by_date, min_score, baseline, baseline_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", [metric, account or "", target, by_date, min_score, baseline, at])
    return Goal(metric, account, target, by_date, min_score, baseline, at)


def goal_progress(store: Store) -> list[GoalProgress]:
    rows = store.con.execute("SELECT metric, account, target, by_date, min_score, baseline, baseline_at "
                             "FROM goals ORDER BY by_date, metric, account").fetchall()
    out = []
    for metric, account, target, by_date, min_score, baseline, baseline_at in rows:
        current, at = _current(store, account or None, min_score)
        span = (datetime(by_date.year, by_date.month, by_date.day) - baseline_at).total_seconds()
        elapsed = min(max((at - baseline_at).total_seconds() / span, 0.0), 1.0) if span > 0 else 1.0
        expected = baseline + (target - baseline) * elapsed
        gap = target - baseline
        progress = (current - baseline) / gap if gap else 1.0
        on_track = current >= expected
        days_left = (by_date - at.date()).days
        statement = (f"{current:,.0f} meaningful connections (score {min_score:g}+) of a target of {target:,.0f} by "
                     f"{by_date}; {'on track' if on_track else 'behind'} (expected about {expected:,.0f} by now), "
                     f"{max(target - current, 0):,.0f} to go in {max(days_left, 0)} days")
        out.append(GoalProgress(metric, account or None, target, by_date, current, at, baseline, baseline_at,
                                progress, expected, on_track, statement))
    return out
