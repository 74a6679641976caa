"""Revenue by relationship strength: who buys, at which tier, and what it is worth.

The design, in the terms the report uses:

- **The window**: the last ``window_days`` days of data (ending at the midnight after the newest
  order or touchpoint). Orders before it are ignored.
- **Tier before the conversion**: a buyer is counted in the tier they had the day before their
  first order in the window (their score *as of* that order's midnight: only touchpoints before
  the order's day count; nothing from the day of the purchase or after leaks in).
- **Everyone else** is counted in the tier they had on one day of the window, the same for every
  run (a fixed spread of days across the window: person-time sampling, so non-buyers are observed
  across the window as buyers are, not all at its end).
- **none**: people who never talked with the brand before that day (at most followed it): the
  baseline of every lift.
- Conversion rate: buyers / people, with a 95% Wilson interval; revenue per person (zeros for
  non-buyers) with a 95% bootstrap interval (2,000 resamples, fixed seed); the lift of a tier over
  ``none`` is the ratio of conversion rates with a 95% log (Katz) interval (the ratio of the Wilson
  bounds, wider, when a side has fewer than 5 buyers or non-buyers).

This is association, not proof of cause: people who already like a brand both talk with it and
buy from it. The report says so.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, UTC
from typing import Any

import numpy as np

from tiescale.records import UsageError
from tiescale.scoring.config import TIER_NAMES
from .orders import MATCH_SQL, MatchReport, match_report
from tiescale.store.db import Store
from .snapshots import composable
from .tiers_before import NO_RELATIONSHIP, midnight, tiers_at

GROUPS = (NO_RELATIONSHIP, *TIER_NAMES)
Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000
SEED = 20261125
CAUTION = ("Association, not proof of cause: people who already like the brand both talk with it and buy from "
           "it. These figures show where the money comes from, not that more talk alone would bring more.")


# -- statistics ------------------------------------------------------------------------------------
def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (0, 0 when there are no trials)."""
    if trials <= 0:
        return (0.0, 0.0)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate_ratio_interval(a: int, n1: int, c: int, n0: int, z: float = Z95) -> tuple[float, float, float] | None:
    """(ratio, low, high) of a/n1 over c/n0; ``None`` when undefined (no buyer on either side).

    The Katz log interval; with fewer than 5 buyers or 5 non-buyers on a side (where Katz is far too
    narrow: 2 of 2 buyers gives it no width on that side), the wider ratio of the Wilson bounds.
    """
    if n1 <= 0 or n0 <= 0 or a <= 0 or c <= 0:
        return None
    ratio = (a / n1) / (c / n0)
    if min(a, n1 - a, c, n0 - c) < 5:
        (low1, high1), (low0, high0) = wilson_interval(a, n1, z), wilson_interval(c, n0, z)
        return (ratio, low1 / high0, high1 / low0)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return (ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se))


def bootstrap_mean_interval(values: list[float], n: int, seed: int = SEED,
                            resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean of ``n`` values, all zero except ``values``.

    Resampling n of n with replacement: how many non-zero values come up is Binomial(n, k/n),
    and which ones is uniform among them, so the zeros never need to be materialised.
    """
    k = len(values)
    if n <= 0:
        return (0.0, 0.0)
    if k == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    arr = np.asarray(values, dtype=float)
    counts = rng.binomial(n, k / n, size=resamples)
    means = np.empty(resamples)
    for i, m in enumerate(counts):
        means[i] = arr[rng.integers(0, k, size=m)].sum() / n if m else 0.0
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(low), float(high))


# -- the report ------------------------------------------------------------------------------------
@dataclass
class TierRevenue:
    tier: str
    people: int
    converted: int
    conversion_rate: float
    conversion_low: float
    conversion_high: float
    orders: int
    revenue: float
    revenue_per_person: float
    revenue_per_person_low: float
    revenue_per_person_high: float
    revenue_per_buyer: float
    lift: float | None = None  # conversion rate over that of "none"
    lift_low: float | None = None
    lift_high: float | None = None


@dataclass
class PlatformRevenue:
    platform: str
    orders: int
    revenue: float


@dataclass
class RevenueReport:
    account: str | None
    window_days: int
    start: datetime
    end: datetime
    currency: str
    meaningful_min: float
    tiers: list[TierRevenue]
    meaningful: TierRevenue  # everyone at meaningful_min or above, as one group
    lift_statement: str
    share_meaningful: float  # of all revenue in the window (matched or not)
    share_meaningful_matched: float  # of revenue from orders tied to a person
    revenue_total: float
    revenue_matched: float
    utm_platforms: list[PlatformRevenue]
    other_sources: list[PlatformRevenue]
    unattributed: PlatformRevenue
    other_currencies: dict[str, int]  # currency -> orders left out
    matching: MatchReport
    caution: str = CAUTION
    notes: list[str] = field(default_factory=list)

    def tier(self, name: str) -> TierRevenue:
        return next(t for t in self.tiers if t.tier == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


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


def _population(store: Store, account: str | None) -> list[int]:
    if account is None:
        sql = "SELECT person_id FROM people WHERE merged_into IS NULL ORDER BY 1"
        return [r["person_id"] for r in store.rows(sql)]
    known = store.scalar("SELECT (SELECT count(*) FROM interactions WHERE account = ?) + "
                         "(SELECT count(*) FROM follower_snapshots WHERE account = ?)", [account, account])
    if not known:
        raise UsageError(f"no interactions with account {account!r} in the store")
    # everyone who touched the account or appears in its follower lists
    return [r["person_id"] for r in store.rows("""
        SELECT DISTINCT t.person_id FROM (
            SELECT person_id FROM touchpoints WHERE account = ?
            UNION SELECT id.person_id FROM follower_snapshots f
            JOIN identities id ON id.platform = f.platform AND id.handle = f.person
            WHERE f.account = ? AND f.relation = 'follower') t
        JOIN people p ON p.person_id = t.person_id AND p.merged_into IS NULL
        ORDER BY 1""", [account, account])]


def sampled_day(person_id: int, start: datetime, days: int) -> datetime:
    """The fixed day of the window on which a non-buyer's tier is read (a deterministic spread)."""
    return start + timedelta(days=(person_id * 2654435761 % 4294967296) % max(days, 1))


def revenue_report(store: Store, account: str | None = None, window_days: int = 365,
                   meaningful_min: float = 7.0) -> RevenueReport:
    if window_days < 1:
        raise UsageError("--window must be at least 1 day")
    if not 0 <= meaningful_min <= 10:
        raise UsageError("the meaningful threshold must be between 0 and 10")
    con = store.con
    matching = match_report(store)
    end = revenue_window_end(store) or midnight(datetime.now(UTC))
    start = end - timedelta(days=window_days)
    orders = con.execute(f"""
        SELECT order_id, ts AT TIME ZONE 'UTC', value, currency, person_id, matched_by, utm_platform, utm_source
        FROM ({MATCH_SQL}) WHERE ts >= ?::TIMESTAMP AT TIME ZONE 'UTC' AND ts < ?::TIMESTAMP AT TIME ZONE 'UTC'
        ORDER BY ts, order_id""", [start, end]).fetchall()
    by_currency: dict[str, float] = {}
    for _, _, value, currency, *_ in orders:
        by_currency[currency] = by_currency.get(currency, 0.0) + value
    currency = max(by_currency, key=lambda c: by_currency[c]) if by_currency else "USD"
    others: dict[str, int] = {}
    for o in orders:
        if o[3] != currency:
            others[o[3]] = others.get(o[3], 0) + 1
    orders = [o for o in orders if o[3] == currency]
    population = _population(store, account)
    members = set(population)
    first_order: dict[int, datetime] = {}
    person_orders: dict[int, list[tuple[datetime, float]]] = {}
    for _, ts, value, _, person_id, *_ in orders:
        if person_id is not None and person_id in members:
            first_order.setdefault(person_id, ts)
            person_orders.setdefault(person_id, []).append((ts, value))
    if orders:
        reference = {p: midnight(first_order[p]) if p in first_order else sampled_day(p, start, window_days)
                     for p in population}
    else:  # nobody bought: each person's tier at the end of the window (a date the history holds)
        reference = {p: end for p in population}
    order_days = {(p, midnight(ts)) for p, items in person_orders.items() for ts, _ in items}
    scores = tiers_at(store, set(reference.items()) | order_days, account=account,
                      composable=lambda day: composable(store, day))
    # per group: people, buyers, orders, revenue of each buyer
    groups: dict[str, dict[str, Any]] = {g: {"people": 0, "orders": 0, "revenues": []} for g in GROUPS}
    meaningful: dict[str, Any] = {"people": 0, "orders": 0, "revenues": []}
    for person_id, day in reference.items():
        scored = scores[(person_id, day)]
        bucket = groups[scored.tier]
        bucket["people"] += 1
        strong = scored.talked and scored.score >= meaningful_min
        meaningful["people"] += strong
        if person_id in person_orders:
            items = person_orders[person_id]
            bucket["orders"] += len(items)
            bucket["revenues"].append(sum(v for _, v in items))
            if strong:
                meaningful["orders"] += len(items)
                meaningful["revenues"].append(sum(v for _, v in items))
    none = groups[NO_RELATIONSHIP]
    tiers = [_tier_row(name, g, none) for name, g in groups.items()]
    strong_row = _tier_row(f"{meaningful_min:g}+", meaningful, none)
    # each order's own tier the day before it: the share of revenue from meaningful connections
    total = sum(o[2] for o in orders)
    matched_total = sum(o[2] for o in orders if o[4] is not None and o[4] in members)
    strong_total = sum(value for p, items in person_orders.items() for ts, value in items
                       if scores[(p, midnight(ts))].talked and scores[(p, midnight(ts))].score >= meaningful_min)
    utm, other, unattributed = _unmatched_sources(orders, members)
    report = RevenueReport(
        account=account, window_days=window_days, start=start, end=end, currency=currency,
        meaningful_min=meaningful_min, tiers=tiers, meaningful=strong_row,
        lift_statement=lift_in_words(strong_row, tiers[0], meaningful_min),
        share_meaningful=strong_total / total if total else 0.0,
        share_meaningful_matched=strong_total / matched_total if matched_total else 0.0,
        revenue_total=round(total, 2), revenue_matched=round(matched_total, 2), utm_platforms=utm,
        other_sources=other, unattributed=unattributed, other_currencies=others, matching=matching,
    )
    if others:
        report.notes.append("left out (other currencies): " + ", ".join(f"{n} orders in {c}" for c, n in others.items()))
    if not orders:
        report.notes.append("no orders in the window: import them with tiescale ingest FILE --format conversions")
    return report


def _tier_row(name: str, group: dict[str, Any], none: dict[str, Any]) -> TierRevenue:
    people, revenues = group["people"], group["revenues"]
    buyers = len(revenues)
    revenue = float(sum(revenues))
    low, high = wilson_interval(buyers, people)
    rlow, rhigh = bootstrap_mean_interval(revenues, people)
    row = TierRevenue(
        tier=name, people=people, converted=buyers, conversion_rate=buyers / people if people else 0.0,
        conversion_low=low, conversion_high=high, orders=group["orders"], revenue=round(revenue, 2),
        revenue_per_person=revenue / people if people else 0.0, revenue_per_person_low=rlow,
        revenue_per_person_high=rhigh, revenue_per_buyer=revenue / buyers if buyers else 0.0,
    )
    if name != NO_RELATIONSHIP:
        lift = rate_ratio_interval(buyers, people, len(none["revenues"]), none["people"])
        if lift is not None:
            row.lift, row.lift_low, row.lift_high = lift
    return row


def _times(x: float) -> str:
    return f"{x:.1f}x" if x < 10 else f"{x:.0f}x"


def lift_in_words(strong: TierRevenue, none: TierRevenue, meaningful_min: float) -> str:
    who = f"people at {meaningful_min:g}+"
    if strong.people == 0:
        return f"nobody was at {meaningful_min:g}+ in the window, so there is no lift to show"
    if none.people == 0:
        return "everyone had talked with you, so there is no group of silent followers to compare with"
    if none.converted == 0:
        return (f"{who} bought at a rate of {strong.conversion_rate:.1%}; none of the {none.people:,} followers who "
                "never talked with you bought, so the lift has no finite estimate")
    if strong.converted == 0:
        return f"none of the {strong.people:,} {who} bought in the window"
    assert strong.lift is not None and strong.lift_low is not None and strong.lift_high is not None
    return (f"{who} bought {_times(strong.lift)} as often as followers who never talked with you "
            f"({strong.conversion_rate:.1%} vs {none.conversion_rate:.1%}; 95% interval "
            f"{_times(strong.lift_low)}-{_times(strong.lift_high)})")


def _unmatched_sources(orders: list[tuple[Any, ...]], members: set[int]
                       ) -> tuple[list[PlatformRevenue], list[PlatformRevenue], PlatformRevenue]:
    """Orders not tied to a person: by the social platform their UTM names, other sources, the rest."""
    utm: dict[str, list[float]] = {}
    other: dict[str, list[float]] = {}
    rest: list[float] = []
    for _, _, value, _, person_id, _, platform, source in orders:
        if person_id is not None and person_id in members:
            continue
        if platform:
            utm.setdefault(platform, []).append(value)
        elif source:
            other.setdefault(source, []).append(value)
        else:
            rest.append(value)

    def rows(d: dict[str, list[float]]) -> list[PlatformRevenue]:
        return sorted((PlatformRevenue(k, len(v), round(sum(v), 2)) for k, v in d.items()),
                      key=lambda r: (-r.revenue, r.platform))

    return rows(utm), rows(other), PlatformRevenue("unattributed", len(rest), round(sum(rest), 2))


# -- forecast ----------------------------------------------------------------------------------------
@dataclass
class TierForecast:
    tier: str
    people_now: int
    buyers: float
    buyers_low: float
    buyers_high: float
    revenue: float
    revenue_low: float
    revenue_high: float


@dataclass
class Forecast:
    horizon_days: int
    as_of: datetime
    currency: str
    tiers: list[TierForecast]
    total_revenue: float
    total_low: float
    total_high: float
    value_of_one_meaningful: float  # a person moved from "none" to meaningful, over the horizon
    statement: str
    caution: str = CAUTION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


def _over(rate: float, window: int, horizon: int) -> float:
    """A rate over ``window`` days as a rate over ``horizon`` days (constant hazard)."""
    return 1.0 - float((1 - min(rate, 0.999999)) ** (horizon / window))


def forecast(store: Store, account: str | None = None, horizon_days: int = 30, window_days: int = 365,
             meaningful_min: float = 7.0, report: RevenueReport | None = None) -> Forecast:
    """Next ``horizon_days``: expected buyers and revenue per tier, from the rates observed in the window.

    Intervals combine the Wilson bounds of the rate with the range of revenue per buyer seen; the
    people per tier are those at the end of the data.
    """
    report = report or revenue_report(store, account, window_days, meaningful_min)
    people = _population(store, account)
    now = tiers_at(store, [(p, report.end) for p in people], account=account,
                   composable=lambda day: composable(store, day))
    counts = {g: 0 for g in GROUPS}
    strong_now = 0
    for scored in now.values():
        counts[scored.tier] += 1
        strong_now += scored.talked and scored.score >= meaningful_min
    rows: list[TierForecast] = []
    w = report.window_days
    for tier in report.tiers:
        n = counts[tier.tier]
        per_buyer = tier.revenue_per_buyer
        buyers = n * _over(tier.conversion_rate, w, horizon_days)
        low = n * _over(tier.conversion_low, w, horizon_days)
        high = n * _over(tier.conversion_high, w, horizon_days)
        rows.append(TierForecast(tier.tier, n, buyers, low, high, buyers * per_buyer, low * per_buyer,
                                 high * per_buyer))
    strong, none = report.meaningful, report.tier(NO_RELATIONSHIP)
    worth = (_over(strong.conversion_rate, w, horizon_days) * strong.revenue_per_buyer
             - _over(none.conversion_rate, w, horizon_days) * none.revenue_per_buyer)
    total = sum(r.revenue for r in rows)
    statement = (f"next {horizon_days} days: about {report.currency} {total:,.0f} from the {len(people):,} people "
                 f"you know ({strong_now:,} at {meaningful_min:g}+ now); each follower who becomes a meaningful "
                 f"connection is worth about {report.currency} {worth:,.2f} per {horizon_days} days at the rates seen")
    return Forecast(horizon_days, report.end, report.currency, rows, total, sum(r.revenue_low for r in rows),
                    sum(r.revenue_high for r in rows), worth, statement)
