"""The person-time of the default revenue window, computed by the refresh and read back.

``tiescale revenue`` must answer in about a second on a 10M-event store, and person-time needs a
pass over every person (their first day, their first conversation, their tier on each day).
So :func:`refresh_revenue` (called by ``insights.derived.refresh_derived`` after every write) computes
the default report's person-time once and keeps its few numbers per tier in ``revenue_person_time``
(migration 20); a read whose window, threshold and store state match reads them; any other read
(another window, an account, a threshold, a store changed since) computes them, which on a big
store takes seconds, never writes, and gives the same numbers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, UTC
from typing import Any

from tiescale.store.db import Store
from .meaningful import MEANINGFUL_MIN
from .orders import MATCH_SQL, MatchReport, match_report
from .person_days_kept import exposure_kept
from .person_time import PersonTime, month_grid, person_time
from .snapshots import fresh_dates, snapshot_is_fresh
from .tiers_before import midnight

DEFAULT_WINDOW_DAYS = 365
#: Bump when what person_time computes changes: stored figures of another version are recomputed
VERSION = 5


def revenue_window_end(store: Store) -> datetime | None:
    """The end of the revenue window (and of goals): the midnight after the newest order *or*
    touchpoint, never after tomorrow's midnight.

    Not ``Store.data_end()`` (the midnight after the newest touchpoint, never after now): orders
    often run ahead of the social data (a shop export taken today, or orders with no social data
    at all), and an order placed today must fall inside the window, so the end may be tomorrow's
    midnight.
    """
    # the newest instant first, converted once (not every row)
    newest = store.scalar("""
        SELECT max(t) AT TIME ZONE 'UTC' FROM (SELECT max(ts) AS t FROM interactions
                                               UNION ALL SELECT max(ts) FROM conversions)""")
    if newest is None:
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    return min(midnight(newest) + timedelta(days=1), midnight(now) + timedelta(days=1))


def _state(store: Store) -> str:
    """What the person-time depends on: imports, orders and coupons, people, merges, score runs."""
    row = store.row("""
        SELECT ? AS watermark,
               (SELECT count(*) FROM conversions) AS orders, (SELECT count(*) FROM coupon_mappings) AS coupons,
               (SELECT count(*) FROM people WHERE merged_into IS NULL) AS people,
               (SELECT count(*) FROM merges) AS merges, (SELECT max(undone_at) FROM merges) AS undone,
               (SELECT max(computed_at) FROM score_runs) AS scored""", [store.watermark()])
    return json.dumps(row, default=str, sort_keys=True)


def _params(start: datetime, end: datetime, meaningful_min: float) -> str:
    return f"v{VERSION}|{start.isoformat()}|{end.isoformat()}|{meaningful_min:g}"


def _has_table(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'revenue_person_time' "
                             "AND NOT temporary"))


def composed_dates(store: Store, grid: list[datetime]) -> set[datetime]:
    """The grid dates the score history composes exactly: fresh scored dates, and dates at or after
    the end of the data when the snapshot there is fresh (nothing happened in between)."""
    fresh = fresh_dates(store, grid)
    data_end = store.data_end()
    if data_end is not None and any(g >= data_end for g in grid) and snapshot_is_fresh(store, data_end):
        fresh |= {g for g in grid if g >= data_end}
    return fresh


@dataclass
class OrderSummary:
    """The orders of the window, grouped: what the report needs besides person-time (the match
    report, totals by currency, sources of the orders tied to no person of the report)."""

    matching: MatchReport
    #: [currency, tied to a person of the report, utm platform, utm source, orders, revenue]
    rows: list[list[Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"matching": asdict(self.matching), "rows": self.rows}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderSummary:
        return cls(MatchReport(**data["matching"]), [list(r) for r in data["rows"]])


def _summary(store: Store, start: datetime, end: datetime, account: str | None, matched: str) -> OrderSummary:
    members = "true"
    params: list[Any] = []
    if account is not None:  # tied to a person of this account's view
        members = """m.person_id IN (SELECT person_id FROM touchpoints WHERE account = ?
                     UNION SELECT id.person_id FROM follower_snapshots f
                     JOIN identities id ON id.platform = f.platform AND id.handle = f.person
                     WHERE f.account = ? AND f.relation = 'follower')"""
        params = [account, account]
    rows = store.con.execute(f"""
        SELECT m.currency, coalesce(m.person_id IS NOT NULL AND {members}, false) AS tied, m.utm_platform,
               m.utm_source, count(*) AS orders, sum(m.value) AS revenue
        FROM {matched} m WHERE m.ts >= ?::TIMESTAMP AT TIME ZONE 'UTC' AND m.ts < ?::TIMESTAMP AT TIME ZONE 'UTC'
        GROUP BY ALL ORDER BY ALL""", [*params, start, end]).fetchall()
    return OrderSummary(match_report(store, matched), [list(r) for r in rows])


def compute(store: Store, start: datetime, end: datetime, meaningful_min: float,
            account: str | None = None, keep: bool = False) -> tuple[PersonTime, OrderSummary]:
    """Person-time and the orders' summary, reading the matched orders once (a TEMP table).
    ``keep``: the refresh's run, which carries every person's days from the kept ones and keeps them
    (insights/person_days_kept.py)."""
    # no orders: no matching either (it reads every identity, 0.7 s at a million people)
    none = "" if store.scalar("SELECT count(*) FROM (SELECT 1 FROM conversions LIMIT 1)") else " WHERE false"
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE rv_matched AS SELECT * FROM ({MATCH_SQL}){none}")
    try:
        fresh = composed_dates(store, [*month_grid(start, end), end]) if account is None else set()
        pt = person_time(store, start, end, meaningful_min, account, fresh=fresh, matched="rv_matched",
                         exposure=exposure_kept if keep else None)
        return pt, _summary(store, start, end, account, "rv_matched")
    finally:
        store.con.execute("DROP TABLE IF EXISTS rv_matched")


def person_time_for(store: Store, start: datetime, end: datetime, meaningful_min: float,
                    account: str | None = None) -> tuple[PersonTime, OrderSummary]:
    """The stored figures when they were computed for this window, threshold and store state;
    computed now otherwise (nothing written)."""
    if account is None and _has_table(store):
        found = store.row("SELECT state, payload FROM revenue_person_time WHERE params = ?",
                          [_params(start, end, meaningful_min)])
        if found is not None and found["state"] == _state(store):
            payload = json.loads(found["payload"])
            return PersonTime.from_json(payload["person_time"]), OrderSummary.from_json(payload["orders"])
    return compute(store, start, end, meaningful_min, account)


def refresh_revenue(store: Store) -> None:
    """Compute and keep the default revenue report's person-time (the last 365 days, the meaningful
    setting); a no-op when it is current. Older windows' rows are replaced."""
    if not _has_table(store) or store.scalar(
            "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"):
        return  # a read-only store: a read computes the figures (in TEMP tables), nothing is kept
    end = revenue_window_end(store) or midnight(datetime.now(UTC))
    start = end - timedelta(days=DEFAULT_WINDOW_DAYS)
    params, state = _params(start, end, MEANINGFUL_MIN), _state(store)
    if store.scalar("SELECT count(*) FROM revenue_person_time WHERE params = ? AND state = ?", [params, state]):
        return
    pt, summary = compute(store, start, end, MEANINGFUL_MIN, keep=True)
    payload = json.dumps({"person_time": pt.to_json(), "orders": summary.to_json()})
    with store.transaction() as con:
        con.execute("DELETE FROM revenue_person_time")
        con.execute("INSERT INTO revenue_person_time (params, state, payload) VALUES (?, ?, ?)",
                    [params, state, payload])
