"""Orders in the store: the import (inside ``ingest_path``'s transaction), who an order belongs to,
and forgetting a person's orders.

Ownership is computed when asked, from the stored keys and the identities as they are now, so a
merge, a new identity or a coupon mapping imported later changes who an order belongs to, and
nothing stale is kept (:data:`ORDER_OWNERS_SQL`). Matching reports (how an order was matched,
why not, revenue per person) are :mod:`tiescale.insights.orders`.

The ``conversions`` and ``coupon_mappings`` tables hold person data (e-mail addresses, handles);
:func:`forget_conversions` removes a person's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Iterable

import duckdb
import pyarrow as pa

from ..records import Rejected
from ..sources.conversions import Conversion, CouponMapping
from .db import Store
from .forgetting import EMAIL, drop_forgotten_orders, remember_forgotten
from .import_errors import StrictAbort

BATCH = 50_000
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
    store: Store, records: Iterable[Conversion | CouponMapping | Rejected], import_id: int,
    strict: bool = False,
) -> ConversionImport:
    """Write parsed records, inside the caller's transaction. Orders dedupe on ``order_id``."""
    con = store.con
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
    drop_forgotten_orders(store)  # a forgotten person's orders do not come back with a re-import
    if rejects:
        con.executemany("INSERT INTO import_rejects (import_id, file, record, reason) VALUES (?, ?, ?, ?)", rejects)
    result.rejected = len(rejects)
    staged = int(store.scalar("SELECT count(*) FROM stage_conversions"))
    # The first row of each order id that the store does not hold yet; every other row is a duplicate.
    con.execute(f"""
        INSERT INTO conversions (order_id, ts, value, currency, email, platform, handle, person_ref, coupon,
                                 utm_source, utm_campaign, click_id, import_id)
        SELECT order_id, ts, value, currency, email, platform, handle, person_ref, coupon, utm_source,
               utm_campaign, click_id, {int(import_id)}
        FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY seq) AS nth FROM stage_conversions) s
        WHERE nth = 1 AND NOT EXISTS (SELECT 1 FROM conversions c WHERE c.order_id = s.order_id)
        ORDER BY seq
    """)
    added = store.row("SELECT count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts FROM conversions "
                      "WHERE import_id = ?", [import_id])
    assert added is not None, "an aggregate without GROUP BY returns one row"
    result.new_conversions, result.first_ts, result.last_ts = added["n"], added["first_ts"], added["last_ts"]
    result.duplicates = staged - result.new_conversions
    # A coupon mapping replaces the earlier one for the same code (the last row of the file wins).
    con.execute("""
        DELETE FROM coupon_mappings WHERE coupon IN (SELECT coupon FROM stage_coupons)""")
    con.execute(f"""
        INSERT INTO coupon_mappings (coupon, person_ref, platform, handle, email, import_id)
        SELECT coupon, person_ref, platform, handle, email, {int(import_id)}
        FROM (SELECT *, row_number() OVER (PARTITION BY coupon ORDER BY seq DESC) AS nth FROM stage_coupons)
        WHERE nth = 1 ORDER BY seq
    """)
    result.new_mappings = int(store.scalar("SELECT count(*) FROM stage_coupons"))
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
        columns = ", ".join(schema.names)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM conversion_batch")
    finally:
        con.unregister("conversion_batch")
    rows.clear()


# -- who an order belongs to ---------------------------------------------------------------------
#: Every stored order with the person each of its keys names, and the person it belongs to.
#:
#: Priority: the ``person_id`` the file gives (a merged person's id leads to the one it was merged
#: into), then platform + handle (exact, case-insensitive, with or without a leading @, the handle
#: or the @name), then a coupon mapping, then e-mail. A key that names several people names
#: nobody (``*_people`` counts them). The store needs this rule itself, to forget a person's
#: orders; how an order was matched, and the reports on it, are an insight
#: (:mod:`tiescale.insights.orders`).
ORDER_OWNERS_SQL = """
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
SELECT c.order_id, c.ts, c.value, c.currency, c.email, c.platform, c.handle, c.person_ref, c.coupon,
       c.utm_source, c.utm_campaign,
       a.person_id AS ref_person, h.person_id AS handle_person, h.n AS handle_people,
       k.person_id AS coupon_person, e.person_id AS email_person, e.n AS email_people,
       coalesce(a.person_id, CASE WHEN h.n = 1 THEN h.person_id END, k.person_id,
                CASE WHEN e.n = 1 THEN e.person_id END) AS person_id
FROM conversions c
LEFT JOIN active a ON a.ref = c.person_ref
LEFT JOIN handle_keys h ON h.platform = c.platform AND h.key = ltrim(lower(c.handle), '@')
LEFT JOIN coupons k ON k.coupon = c.coupon
LEFT JOIN email_keys e ON e.email = c.email
"""


def forget_conversions(con: duckdb.DuckDBPyConnection, person_id: int) -> int:
    """Delete the orders and coupon mappings tied to one person (call before their identities go).

    Returns how many orders were deleted.
    """
    ids = [r[0] for r in con.execute(
        f"SELECT order_id FROM ({ORDER_OWNERS_SQL}) WHERE person_id = ?", [person_id]).fetchall()]
    handles = con.execute("SELECT platform, lower(handle), lower(username), lower(email) FROM identities "
                          "WHERE person_id = ?", [person_id]).fetchall()
    # their e-mail addresses join the forgotten list (keyed hashes): a re-imported orders file keys
    # orders by e-mail, and must not bring them back
    emails = {r[0] for r in con.execute(
        "SELECT DISTINCT lower(trim(email)) FROM conversions WHERE order_id IN (SELECT unnest(?)) "
        "AND email IS NOT NULL", [ids]).fetchall()} | {email for *_, email in handles if email}
    for email in sorted(emails):
        remember_forgotten(con, EMAIL, email)
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
