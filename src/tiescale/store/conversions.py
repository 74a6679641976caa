"""Conversions in the store: the import (inside ``ingest_path``'s transaction), matching, the match report.

Matching is computed when asked, from the stored keys and the identities as they are now, so a
merge, a new identity or a coupon mapping imported later changes who an order belongs to, and
nothing stale is kept. Priority: the ``person_id`` the file gives, then platform + handle
(exact, case-insensitive, with or without a leading @, the handle or the @name), then a coupon mapping, then e-mail. A key
that names several people matches nobody. An order matched only through ``utm_source`` counts
for that platform, never for a person.

The ``conversions`` and ``coupon_mappings`` tables hold person data (e-mail addresses, handles);
:func:`forget_conversions` removes a person's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Iterable

import duckdb
import pyarrow as pa

from ..records import Rejected
from ..sources.conversions import Conversion, CouponMapping
from .db import Store
from .import_errors import StrictAbort

BATCH = 50_000
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

_STAGE_SCHEMA = pa.schema([
    ("seq", pa.int64()), ("order_id", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("value", pa.float64()),
    ("currency", pa.string()), ("email", pa.string()), ("platform", pa.string()), ("handle", pa.string()),
    ("person_ref", pa.int64()), ("coupon", pa.string()), ("utm_source", pa.string()),
    ("utm_campaign", pa.string()), ("click_id", pa.string()),
])
_MAP_SCHEMA = pa.schema([
    ("seq", pa.int64()), ("coupon", pa.string()), ("person_ref", pa.int64()), ("platform", pa.string()),
    ("handle", pa.string()), ("email", pa.string()),
])


@dataclass
class ConversionImport:
    """What one conversions import added."""

    rows_read: int = 0
    new_conversions: int = 0
    duplicates: int = 0
    new_mappings: int = 0
    rejected: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None


def import_conversions(
    con: duckdb.DuckDBPyConnection, records: Iterable[Conversion | CouponMapping | Rejected], import_id: int,
    strict: bool = False,
) -> ConversionImport:
    """Write parsed records, inside the caller's transaction. Orders dedupe on ``order_id``."""
    result = ConversionImport()
    orders: list[dict[str, Any]] = []
    mappings: list[dict[str, Any]] = []
    rejects: list[tuple[int, str, str, str]] = []
    con.execute(_create_stage_sql("stage_conversions", _STAGE_SCHEMA))
    con.execute(_create_stage_sql("stage_coupons", _MAP_SCHEMA))
    for seq, record in enumerate(records, 1):
        result.rows_read += 1
        if isinstance(record, Rejected):
            if strict:
                raise StrictAbort.at(record)
            rejects.append((import_id, record.file, record.record, record.reason))
        elif isinstance(record, CouponMapping):
            mappings.append({"seq": seq, "coupon": record.coupon, "person_ref": record.person_id,
                             "platform": record.platform, "handle": record.handle, "email": record.email})
        else:
            orders.append({"seq": seq, "order_id": record.order_id, "ts": record.ts, "value": record.value,
                           "currency": record.currency, "email": record.email, "platform": record.platform,
                           "handle": record.handle, "person_ref": record.person_id, "coupon": record.coupon,
                           "utm_source": record.utm_source, "utm_campaign": record.utm_campaign,
                           "click_id": record.click_id})
        if len(orders) >= BATCH:
            _append(con, "stage_conversions", orders, _STAGE_SCHEMA)
        if len(mappings) >= BATCH:
            _append(con, "stage_coupons", mappings, _MAP_SCHEMA)
    _append(con, "stage_conversions", orders, _STAGE_SCHEMA)
    _append(con, "stage_coupons", mappings, _MAP_SCHEMA)
    if rejects:
        con.executemany("INSERT INTO import_rejects VALUES (?, ?, ?, ?)", rejects)
    result.rejected = len(rejects)
    staged = con.execute("SELECT count(*) FROM stage_conversions").fetchone()[0]
    # The first row of each order id that the store does not hold yet; every other row is a duplicate.
    con.execute(f"""
        INSERT INTO conversions
        SELECT order_id, ts, value, currency, email, platform, handle, person_ref, coupon, utm_source,
               utm_campaign, click_id, {int(import_id)}
        FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY seq) AS nth FROM stage_conversions) s
        WHERE nth = 1 AND NOT EXISTS (SELECT 1 FROM conversions c WHERE c.order_id = s.order_id)
        ORDER BY seq
    """)
    result.new_conversions, result.first_ts, result.last_ts = con.execute(
        "SELECT count(*), min(ts), max(ts) FROM conversions WHERE import_id = ?", [import_id]).fetchone()
    result.duplicates = staged - result.new_conversions
    # A coupon mapping replaces the earlier one for the same code (the last row of the file wins).
    con.execute("""
        DELETE FROM coupon_mappings WHERE coupon IN (SELECT coupon FROM stage_coupons)""")
    con.execute(f"""
        INSERT INTO coupon_mappings
        SELECT coupon, person_ref, platform, handle, email, {int(import_id)}
        FROM (SELECT *, row_number() OVER (PARTITION BY coupon ORDER BY seq DESC) AS nth FROM stage_coupons)
        WHERE nth = 1 ORDER BY seq
    """)
    result.new_mappings = con.execute("SELECT count(*) FROM stage_coupons").fetchone()[0]
    con.execute("DROP TABLE stage_conversions")
    con.execute("DROP TABLE stage_coupons")
    return result


def _create_stage_sql(name: str, schema: pa.Schema) -> str:
    types = {pa.int64(): "BIGINT", pa.string(): "VARCHAR", pa.float64(): "DOUBLE",
             pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ"}
    columns = ", ".join(f"{f.name} {types[f.type]}" for f in schema)
    return f"CREATE OR REPLACE TEMP TABLE {name} ({columns})"


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], schema: pa.Schema) -> None:
    if not rows:
        return
    batch = pa.Table.from_pylist(rows, schema=schema)
    con.register("conversion_batch", batch)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM conversion_batch")
    finally:
        con.unregister("conversion_batch")
    rows.clear()


# -- matching ------------------------------------------------------------------------------------
def _utm_platform_sql(column: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in UTM_PLATFORMS.items())
    return f"CASE {column} {cases} END"


MATCH_SQL = f"""
WITH handle_keys AS (
    SELECT platform, key, min(person_id) AS person_id, count(DISTINCT person_id) AS n
    FROM (SELECT platform, ltrim(lower(handle), '@') AS key, person_id FROM identities
          UNION SELECT platform, ltrim(lower(username), '@'), person_id FROM identities WHERE username IS NOT NULL)
    GROUP BY ALL
), email_keys AS (
    SELECT lower(email) AS email, min(person_id) AS person_id, count(DISTINCT person_id) AS n
    FROM identities WHERE email IS NOT NULL AND email <> '' GROUP BY ALL
), active AS (
    SELECT p.person_id AS ref, coalesce(p.merged_into, p.person_id) AS person_id FROM people p
), coupons AS (
    SELECT m.coupon,
           coalesce(a.person_id, CASE WHEN h.n = 1 THEN h.person_id END,
                    CASE WHEN e.n = 1 THEN e.person_id END) AS person_id
    FROM coupon_mappings m
    LEFT JOIN active a ON a.ref = m.person_ref
    LEFT JOIN handle_keys h ON h.platform = m.platform AND h.key = ltrim(lower(m.handle), '@')
    LEFT JOIN email_keys e ON e.email = m.email
)
SELECT c.order_id, c.ts, c.value, c.currency, c.utm_source, c.utm_campaign,
       coalesce(a.person_id, CASE WHEN h.n = 1 THEN h.person_id END, k.person_id,
                CASE WHEN e.n = 1 THEN e.person_id END) AS person_id,
       CASE WHEN a.person_id IS NOT NULL THEN 'person_id'
            WHEN h.n = 1 THEN 'handle'
            WHEN k.person_id IS NOT NULL THEN 'coupon'
            WHEN e.n = 1 THEN 'email'
            WHEN {_utm_platform_sql('c.utm_source')} IS NOT NULL THEN 'utm'
       END AS matched_by,
       {_utm_platform_sql('c.utm_source')} AS utm_platform,
       CASE WHEN h.n > 1 THEN 'handle names several people'
            WHEN e.n > 1 THEN 'e-mail names several people'
            WHEN c.person_ref IS NOT NULL AND a.person_id IS NULL THEN 'person_id not in the store'
            WHEN c.handle IS NOT NULL AND h.n IS NULL THEN 'handle not in the store'
            WHEN c.coupon IS NOT NULL AND k.person_id IS NULL AND c.email IS NULL THEN 'coupon not mapped to a person'
            WHEN c.email IS NOT NULL THEN 'e-mail not in the store'
            WHEN c.utm_source IS NOT NULL THEN 'only utm_source ' || c.utm_source
            ELSE 'no matching key'
       END AS unmatched_reason
FROM conversions c
LEFT JOIN active a ON a.ref = c.person_ref
LEFT JOIN handle_keys h ON h.platform = c.platform AND h.key = ltrim(lower(c.handle), '@')
LEFT JOIN coupons k ON k.coupon = c.coupon
LEFT JOIN email_keys e ON e.email = c.email
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


def match_report(store: Store) -> MatchReport:
    con = store.con
    report = MatchReport()
    rows = con.execute(f"""
        SELECT coalesce(CASE WHEN person_id IS NOT NULL THEN matched_by END,
                        CASE WHEN matched_by = 'utm' THEN 'utm' END, 'unmatched') AS how,
               count(*) FROM ({MATCH_SQL}) GROUP BY ALL
    """).fetchall()
    for how, n in rows:
        report.conversions += n
        if how == "utm":
            report.utm_only += n
        elif how == "unmatched":
            report.unmatched += n
        else:
            report.matched += n
            report.by_method[how] = n
    report.match_rate = report.matched / report.conversions if report.conversions else 0.0
    for currency, total, matched in con.execute(f"""
            SELECT currency, sum(value), coalesce(sum(value) FILTER (WHERE person_id IS NOT NULL), 0)
            FROM ({MATCH_SQL}) GROUP BY ALL ORDER BY 2 DESC""").fetchall():
        report.revenue[currency] = round(total, 2)
        report.matched_revenue[currency] = round(matched, 2)
    return report


def unmatched_conversions(store: Store, limit: int = 50, include_utm: bool = True) -> list[dict[str, Any]]:
    """Orders not tied to a person, newest first, with why (UTM-only ones say their platform)."""
    where = "person_id IS NULL" + ("" if include_utm else " AND matched_by IS NULL")
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    cursor = store.con.execute(f"""
        SELECT m.order_id, m.ts, m.value, m.currency, m.utm_source, m.utm_platform, m.unmatched_reason AS reason
        FROM ({MATCH_SQL}) m WHERE {where} ORDER BY m.ts DESC, m.order_id {limit_sql}""")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def forget_conversions(con: duckdb.DuckDBPyConnection, person_id: int) -> int:
    """Delete the orders and coupon mappings tied to one person (call before their identities go).

    Returns how many orders were deleted.
    """
    ids = [r[0] for r in con.execute(
        f"SELECT order_id FROM ({MATCH_SQL}) WHERE person_id = ?", [person_id]).fetchall()]
    handles = con.execute("SELECT platform, lower(handle), lower(username), lower(email) FROM identities "
                          "WHERE person_id = ?", [person_id]).fetchall()
    if ids:
        con.execute("DELETE FROM conversions WHERE order_id IN (SELECT unnest(?))", [ids])
    con.execute("DELETE FROM coupon_mappings WHERE person_ref = ?", [person_id])
    for platform, handle, username, email in handles:
        con.execute("DELETE FROM coupon_mappings WHERE platform = ? AND lower(handle) IN (?, ?)",
                    [platform, handle, username or handle])
        if email:
            con.execute("DELETE FROM coupon_mappings WHERE email = ?", [email])
            con.execute("DELETE FROM conversions WHERE email = ?", [email])
    return len(ids)
