"""Order matching: which person each order belongs to, how it was matched, and why not.

The store keeps orders and knows who owns one (:data:`tiescale.store.conversions.ORDER_OWNERS_SQL`,
needed to forget a person); this module explains the match (``matched_by``), names the platform
of an order matched only through ``utm_source`` (it counts for that platform, never for a person),
says why an order matched nobody, and reports the match rate and the revenue matched.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..store.conversions import ORDER_OWNERS_SQL
from ..results import Records
from ..store.db import Store

#: ``utm_source`` values that name a social platform, and the platform they name.
UTM_PLATFORMS: dict[str, str] = {
    "x": "x", "twitter": "x", "t.co": "x", "x.com": "x", "twitter.com": "x",
    "instagram": "instagram", "ig": "instagram", "instagram.com": "instagram",
    "facebook": "facebook", "fb": "facebook", "facebook.com": "facebook", "m.facebook.com": "facebook",
    "youtube": "youtube", "yt": "youtube", "youtube.com": "youtube",
    "bluesky": "bluesky", "bsky": "bluesky", "bsky.app": "bluesky",
    "mastodon": "mastodon", "linkedin": "linkedin", "lnkd.in": "linkedin", "linkedin.com": "linkedin",
    "reddit": "reddit", "reddit.com": "reddit", "tiktok": "tiktok", "threads": "threads",
}


def _utm_platform_sql(column: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in UTM_PLATFORMS.items())
    return f"CASE {column} {cases} END"


#: Every order with ``person_id`` (NULL when unmatched), ``matched_by``, ``utm_platform`` and
#: ``unmatched_reason``.
MATCH_SQL = f"""
SELECT o.order_id, o.ts, o.value, o.currency, o.utm_source, o.utm_campaign, o.person_id,
       CASE WHEN o.ref_person IS NOT NULL THEN 'person_id'
            WHEN o.handle_people = 1 THEN 'handle'
            WHEN o.coupon_person IS NOT NULL THEN 'coupon'
            WHEN o.email_people = 1 THEN 'email'
            WHEN {_utm_platform_sql('o.utm_source')} IS NOT NULL THEN 'utm'
       END AS matched_by,
       {_utm_platform_sql('o.utm_source')} AS utm_platform,
       CASE WHEN o.handle_people > 1 THEN 'handle names several people'
            WHEN o.email_people > 1 THEN 'e-mail names several people'
            WHEN o.person_ref IS NOT NULL AND o.ref_person IS NULL THEN 'person_id not in the store'
            WHEN o.handle IS NOT NULL AND o.handle_people IS NULL THEN 'handle not in the store'
            WHEN o.coupon IS NOT NULL AND o.coupon_person IS NULL AND o.email IS NULL
                 THEN 'coupon not mapped to a person'
            WHEN o.email IS NOT NULL THEN 'e-mail not in the store'
            WHEN o.utm_source IS NOT NULL THEN 'only utm_source ' || o.utm_source
            ELSE 'no matching key'
       END AS unmatched_reason
FROM ({ORDER_OWNERS_SQL}) o
"""


def matched_conversions_sql() -> str:
    """Every conversion with ``person_id`` (NULL when unmatched), ``matched_by``, ``utm_platform``."""
    return MATCH_SQL


@dataclass
class MatchReport:
    """How many orders could be tied to a person, how, and which could not."""

    conversions: int = 0
    matched: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    utm_only: int = 0
    unmatched: int = 0
    match_rate: float = 0.0
    revenue: dict[str, float] = field(default_factory=dict)  # currency -> total
    matched_revenue: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def in_words(self) -> str:
        if not self.conversions:
            return "no conversions imported yet (tiescale ingest ORDERS.csv --format conversions)"
        methods = ", ".join(f"{n:,} by {m}" for m, n in sorted(self.by_method.items(), key=lambda kv: -kv[1]))
        return (f"{self.matched:,} of {self.conversions:,} orders ({self.match_rate:.1%}) matched to a person"
                f"{' (' + methods + ')' if methods else ''}; {self.utm_only:,} only by UTM to a platform; "
                f"{self.unmatched:,} unmatched")


def match_report(store: Store, matched: str | None = None) -> MatchReport:
    """``matched``: a table holding MATCH_SQL's rows already (a caller that reads them several times)."""
    source = matched or f"({MATCH_SQL})"
    report = MatchReport()
    rows = store.rows(f"""
        SELECT coalesce(CASE WHEN person_id IS NOT NULL THEN matched_by END,
                        CASE WHEN matched_by = 'utm' THEN 'utm' END, 'unmatched') AS how,
               count(*) AS n FROM {source} GROUP BY ALL
    """)
    for row in rows:
        how, n = row["how"], row["n"]
        report.conversions += n
        if how == "utm":
            report.utm_only += n
        elif how == "unmatched":
            report.unmatched += n
        else:
            report.matched += n
            report.by_method[how] = n
    report.match_rate = report.matched / report.conversions if report.conversions else 0.0
    for row in store.rows(f"""
            SELECT currency, sum(value) AS total,
                   coalesce(sum(value) FILTER (WHERE person_id IS NOT NULL), 0) AS matched
            FROM {source} GROUP BY ALL ORDER BY 2 DESC"""):
        report.revenue[row["currency"]] = round(row["total"], 2)
        report.matched_revenue[row["currency"]] = round(row["matched"], 2)
    return report


def unmatched_conversions(store: Store, limit: int = 50, include_utm: bool = True) -> list[dict[str, Any]]:
    """Orders not tied to a person, newest first, with why (UTM-only ones say their platform)."""
    where = "person_id IS NULL" + ("" if include_utm else " AND matched_by IS NULL")
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    return store.rows(f"""
        SELECT m.order_id, m.ts, m.value, m.currency, m.utm_source, m.utm_platform, m.unmatched_reason AS reason
        FROM ({MATCH_SQL}) m WHERE {where} ORDER BY m.ts DESC, m.order_id {limit_sql}""")


def all_orders(store: Store, limit: int = 50) -> Records[dict[str, Any]]:
    """Every order, newest first, with the person it is tied to (if any), how, and why not."""
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    columns = ["order_id", "ts", "value", "currency", "person_id", "matched_by", "utm_platform", "unmatched_reason"]
    return Records(store.rows(f"""
        SELECT {', '.join(columns)} FROM ({matched_conversions_sql()})
        ORDER BY ts DESC, order_id {limit_sql}"""), columns)


__all__ = ["MATCH_SQL", "UTM_PLATFORMS", "MatchReport", "all_orders", "match_report", "matched_conversions_sql",
           "unmatched_conversions"]
