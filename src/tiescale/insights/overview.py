"""The overview's figures: people, tiers, the score distribution, followers, meaningful connections
and activity over time, the top people; and the state key a cache of any page can use.

Every figure is read from stored snapshots and tables: asking never scores and never writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..results import Records
from ..scoring.config import TIER_NAMES, tier_of
from ..scoring.history import scores_over_sql, scores_sql
from ..store.db import Store
from .accounts import Account, accounts
from .meaningful import MEANINGFUL_MIN, meaningful_tiers, words
from .people import PersonRow, Snapshot, people_page, snapshot

#: the one meaning of a meaningful connection (insights/meaningful.py): a score of 7 or more, the
#: tiers close and champion; the overview, its chart, Revenue, the report, vanity and goals agree
MEANINGFUL_TIERS = meaningful_tiers(MEANINGFUL_MIN)
#: composing each date's scores skips people freshness keeps below it
MEANINGFUL_FROM = MEANINGFUL_MIN


@dataclass(frozen=True)
class ScoreBucket:
    """People whose score lies in [bucket, bucket + 1) (the last bucket includes 10)."""

    bucket: int
    label: str
    tier: str
    people: int


@dataclass(frozen=True)
class MonthFollowers:
    """Followers of every own account at the last snapshot of a month."""

    month: datetime
    followers: int


@dataclass(frozen=True)
class MeaningfulAt:
    """People at the meaningful threshold (score 7+) in the snapshot at ``as_of``."""

    as_of: datetime
    meaningful: int


@dataclass(frozen=True)
class MonthActivity:
    """Touchpoints in a month, from people (inbound) and from the brand (outbound)."""

    month: datetime
    inbound: int
    outbound: int


@dataclass(frozen=True)
class Overview:
    """Everything the overview page and the report show about the scale."""

    snapshot: Snapshot
    people: int
    scored: int
    interactions: int
    accounts: Records[Account]
    tiers: dict[str, int]
    distribution: Records[ScoreBucket]
    followers: Records[MonthFollowers]
    meaningful: Records[MeaningfulAt]
    activity: Records[MonthActivity]  # the last 24 months with touchpoints
    top_people: Records[PersonRow]
    meaningful_now: int = 0  # people at the meaningful threshold in the snapshot (the KPI)
    meaningful_label: str = words(MEANINGFUL_MIN)  # "score 7+ (close or champion)", beside every figure using it


def active_people(store: Store) -> int:
    """People not merged into someone else."""
    return int(store.scalar("SELECT count(*) FROM people WHERE merged_into IS NULL") or 0)


def overview(store: Store, snap: Snapshot | None = None, top: int = 10) -> Overview:
    snap = snap or snapshot(store)
    as_of = snap.as_of
    interactions = int(store.scalar("SELECT count(*) FROM interactions") or 0)
    tiers = {t: 0 for t in TIER_NAMES}
    distribution: Records[ScoreBucket] = Records(columns=ScoreBucket.__dataclass_fields__)
    meaningful: Records[MeaningfulAt] = Records(columns=MeaningfulAt.__dataclass_fields__)
    meaningful_now = 0
    top_people: Records[PersonRow] = Records(columns=PersonRow.__dataclass_fields__)
    if as_of is not None:
        current = scores_sql(store, as_of)
        by_bucket = {r["bucket"]: r["people"] for r in store.rows(
            f"SELECT least(floor(score), 9)::INTEGER AS bucket, count(*) AS people FROM ({current}) "
            "WHERE as_of = ? GROUP BY ALL", [as_of])}
        distribution = Records((ScoreBucket(b, f"{b}-{b + 1}", tier_of(b + 0.5), by_bucket.get(b, 0))
                                for b in range(10)), ScoreBucket.__dataclass_fields__)
        for r in store.rows(f"SELECT tier, count(*) AS people FROM ({current}) WHERE as_of = ? GROUP BY ALL",
                            [as_of]):
            tiers[r["tier"]] = r["people"]
        meaningful = Records((MeaningfulAt(**r) for r in store.rows(f"""
            SELECT r.as_of, count(ps.person_id) FILTER (WHERE ps.score >= {float(MEANINGFUL_MIN)!r}) AS meaningful
            FROM (SELECT DISTINCT as_of FROM score_runs) r
            LEFT JOIN ({scores_over_sql("SELECT DISTINCT as_of AS at FROM score_runs", min_score=MEANINGFUL_FROM)}) ps
            ON ps.as_of = r.as_of
            GROUP BY r.as_of ORDER BY r.as_of""")), MeaningfulAt.__dataclass_fields__)
        top_people = people_page(store, snap, limit=top).rows
        meaningful_now = int(store.scalar(f"SELECT count(*) FROM ({current}) WHERE as_of = ? AND score >= ?",
                                          [as_of, MEANINGFUL_MIN]) or 0)
    followers = Records((MonthFollowers(**r) for r in store.rows("""
        WITH snaps AS (SELECT platform, account, snapshot_at, count(*) AS n FROM follower_snapshots
                       WHERE relation = 'follower' GROUP BY ALL),
             monthly AS (SELECT platform, account, date_trunc('month', snapshot_at AT TIME ZONE 'UTC') AS month,
                                arg_max(n, snapshot_at) AS n FROM snaps GROUP BY ALL)
        SELECT month, sum(n)::BIGINT AS followers FROM monthly GROUP BY month ORDER BY month""")),
        MonthFollowers.__dataclass_fields__)
    activity = store.rows("""
        SELECT date_trunc('month', ts AT TIME ZONE 'UTC') AS month,
               count(*) FILTER (WHERE direction = 'in') AS inbound, count(*) FILTER (WHERE direction = 'out') AS outbound
        FROM interactions WHERE ts IS NOT NULL GROUP BY ALL ORDER BY month""")
    return Overview(snap, active_people(store), sum(tiers.values()), interactions, accounts(store), tiers,
                    distribution, followers, meaningful,
                    Records((MonthActivity(**r) for r in activity[-24:]), MonthActivity.__dataclass_fields__),
                    top_people, meaningful_now)


def store_version(store: Store) -> tuple[Any, ...]:
    """A key that changes whenever anything a page shows may have changed (imports, scores, merges,
    queue actions): pages cache their results under it."""
    actions = 0
    if store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'nurture_actions'"):
        actions = store.scalar("SELECT count(*) FROM nurture_actions")
    return snapshot(store).version + (actions,)
