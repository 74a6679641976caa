"""What the dashboard keeps in the store besides the data: saved views, its settings (the daily
queue size), and the small reads behind its pages that have no other home (a person's orders).

Saved views and settings live in the store (migration 19) so that they travel with it, like goals.
Every read here is one indexed lookup or a scan of a small table: pages call them in a GET.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tiescale.records import UsageError
from tiescale.store.db import Store

#: The daily queue size when none is set: the first 20 are "today", the rest behind "more".
DEFAULT_DAILY_SIZE = 20
#: The pages a view can be saved for, and the filters each keeps.
VIEW_PAGES: dict[str, tuple[str, ...]] = {
    "people": ("q", "account", "platform", "tier", "sort"),
    "queue": ("reason", "account"),
}
_NAME = re.compile(r"^[^\x00-\x1f]{1,80}$")


@dataclass
class SavedView:
    name: str
    page: str
    query: str
    created_at: datetime

    @property
    def url(self) -> str:
        return f"/{self.page}" + (f"?{self.query}" if self.query else "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "url": self.url}


def _clean_query(page: str, query: str) -> str:
    """Only the page's own filters, in a stable order (no paging, no token, nothing else)."""
    wanted = VIEW_PAGES[page]
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k in wanted and v]
    return urlencode(sorted(kept, key=lambda kv: wanted.index(kv[0])))


def save_view(store: Store, name: str, page: str, query: str) -> SavedView:
    """Save (or replace) the named filter set of a page."""
    name = name.strip()
    if not _NAME.match(name):
        raise UsageError("a saved view needs a name of 1 to 80 characters")
    if page not in VIEW_PAGES:
        raise UsageError(f"views can be saved for {', '.join(VIEW_PAGES)}, not {page!r}")
    clean = _clean_query(page, query)
    with store.transaction() as con:
        con.execute("DELETE FROM saved_views WHERE name = ?", [name])
        con.execute("INSERT INTO saved_views (name, page, query, created_at) VALUES (?, ?, ?, now())",
                    [name, page, clean])
    found = saved_views(store, page, name=name)
    return found[0]


def delete_view(store: Store, name: str) -> bool:
    with store.transaction() as con:
        existed = bool(store.scalar("SELECT count(*) FROM saved_views WHERE name = ?", [name]))
        con.execute("DELETE FROM saved_views WHERE name = ?", [name])
    return existed


def saved_views(store: Store, page: str | None = None, name: str | None = None) -> list[SavedView]:
    """The saved views (of one page, or one by name), by name."""
    where, params = [], []
    if page is not None:
        where.append("page = ?")
        params.append(page)
    if name is not None:
        where.append("name = ?")
        params.append(name)
    sql = "SELECT name, page, query, created_at FROM saved_views"
    rows = store.con.execute(sql + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY name",
                             params).fetchall()
    return [SavedView(*r) for r in rows]


def daily_size(store: Store) -> int:
    """How many people the queue calls today's work (the rest is behind "more")."""
    value = store.scalar("SELECT value FROM dashboard_settings WHERE key = 'daily_queue_size'")
    try:
        return max(1, int(value)) if value is not None else DEFAULT_DAILY_SIZE
    except ValueError:
        return DEFAULT_DAILY_SIZE


def set_daily_size(store: Store, size: int) -> int:
    if not 1 <= size <= 500:
        raise UsageError(f"the daily queue size must be 1 to 500, not {size}")
    with store.transaction() as con:
        con.execute("DELETE FROM dashboard_settings WHERE key = 'daily_queue_size'")
        con.execute("INSERT INTO dashboard_settings (key, value) VALUES ('daily_queue_size', ?)", [str(size)])
    return size


def person_orders(store: Store, person_id: int, limit: int = 20) -> dict[str, Any]:
    """The orders tied to a person (and to people merged into them), newest first, with totals.

    The same match as every other report (``insights.orders``: person id, then a handle naming one
    person, then a coupon, then an e-mail naming one person), computed over this person's candidate
    orders only: matching every order costs seconds on a big store (it groups every identity's
    handle), too slow for a page. An order can only be theirs if it names one of their ids, handles,
    e-mails or coupons; the identities that could make such a key ambiguous are exactly those with
    the same keys, so the match over these few rows gives the same owner as over all of them.
    """
    empty: dict[str, Any] = {"orders": [], "count": 0, "totals": {}}
    if not store.scalar("SELECT count(*) FROM conversions"):
        return empty
    refs = [person_id] + [r["person_id"] for r in store.rows(
        "SELECT person_id FROM people WHERE merged_into = ?", [person_id])]
    candidates = store.con.execute(f"WITH {_SUBSETS.rstrip().rstrip(',')} SELECT count(*) FROM conv_subset",
                                   {"refs": refs}).fetchone()
    if not candidates or not candidates[0]:  # most people: no order names them (one cheap look)
        return empty
    cursor = store.con.execute(f"""
        SELECT m.order_id, m.ts, m.value, m.currency, m.matched_by FROM ({_candidate_match_sql()}) m
        WHERE m.person_id = $person ORDER BY m.ts DESC, m.order_id""", {"refs": refs, "person": person_id})
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["currency"]] = totals.get(r["currency"], 0.0) + float(r["value"])
    return {"orders": rows[:limit], "count": len(rows), "totals": totals}


#: This person's keys ($refs: their id and the ids merged into them), the orders and coupon
#: mappings that name one of them, and the identities sharing a key with those.
_SUBSETS = """
    my_ids AS (SELECT unnest($refs) AS person_id),
    my_keys AS (
        SELECT platform, ltrim(lower(handle), '@') AS key FROM identities
        WHERE person_id IN (SELECT person_id FROM my_ids)
        UNION SELECT platform, ltrim(lower(username), '@') FROM identities
              WHERE username IS NOT NULL AND person_id IN (SELECT person_id FROM my_ids)),
    my_emails AS (SELECT DISTINCT lower(email) AS email FROM identities
                  WHERE email IS NOT NULL AND email <> '' AND person_id IN (SELECT person_id FROM my_ids)),
    map_subset AS (
        SELECT m.* FROM coupon_mappings m
        WHERE m.person_ref IN (SELECT person_id FROM my_ids)
           OR EXISTS (SELECT 1 FROM my_keys k WHERE k.platform = m.platform AND k.key = ltrim(lower(m.handle), '@'))
           OR m.email IN (SELECT email FROM my_emails)),
    conv_subset AS (
        SELECT c.* FROM conversions c
        WHERE c.person_ref IN (SELECT p.person_id FROM people p
                               WHERE coalesce(p.merged_into, p.person_id) IN (SELECT person_id FROM my_ids))
           OR EXISTS (SELECT 1 FROM my_keys k WHERE k.platform = c.platform AND k.key = ltrim(lower(c.handle), '@'))
           OR c.email IN (SELECT email FROM my_emails)
           OR c.coupon IN (SELECT coupon FROM map_subset)),
"""
_REST = """
    map_used AS (SELECT m.* FROM coupon_mappings m WHERE m.coupon IN (SELECT coupon FROM conv_subset)),
    wanted_keys AS (
        SELECT platform, ltrim(lower(handle), '@') AS key FROM conv_subset WHERE handle IS NOT NULL
        UNION SELECT platform, ltrim(lower(handle), '@') FROM map_used WHERE handle IS NOT NULL),
    wanted_emails AS (
        SELECT email FROM conv_subset WHERE email IS NOT NULL
        UNION SELECT email FROM map_used WHERE email IS NOT NULL),
    ident_subset AS (
        SELECT i.* FROM identities i
        WHERE EXISTS (SELECT 1 FROM wanted_keys k WHERE k.platform = i.platform
                      AND (k.key = ltrim(lower(i.handle), '@') OR k.key = ltrim(lower(i.username), '@')))
           OR lower(i.email) IN (SELECT email FROM wanted_emails)),"""


def _candidate_match_sql() -> str:
    """``insights.orders``' match, reading the subsets above instead of the whole tables."""
    from tiescale.store.conversions import ORDER_OWNERS_SQL

    from .orders import MATCH_SQL

    owners = ORDER_OWNERS_SQL.strip()
    assert owners.startswith("WITH ") and owners in MATCH_SQL, "the order match changed shape"
    body = owners[len("WITH "):].replace("FROM identities", "FROM ident_subset") \
        .replace("FROM coupon_mappings m", "FROM map_used m").replace("FROM conversions c", "FROM conv_subset c")
    return MATCH_SQL.replace(owners, "WITH " + _SUBSETS + _REST + body)
