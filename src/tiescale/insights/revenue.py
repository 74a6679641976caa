"""Revenue by relationship strength: who buys, at which tier, and what it is worth, per person-time.

The design, in the terms the report uses (insights/person_time.py has the details):

- **The window**: the last ``window_days`` days of data (ending at the midnight after the newest
  order or touchpoint). Orders before it are ignored.
- **Person-time**: everyone is at risk on every day of the window from the day tiescale first knows
  them (a touchpoint, a follow, a follower list, an order); each of those days counts in the tier the
  person had that day (their score on that day, from every touchpoint before it: nothing from the
  day itself or after), and so does every order placed that day.
- **Rates**: orders per 1,000 person-days per tier (every order; people stay at risk after buying),
  first orders per 1,000 person-days (at risk until the first order ever), revenue per person-month;
  95% intervals exact (Poisson) spanned with a cluster-robust one (people are the clusters).
- **Lift**: the rate of orders of a tier over that of ``none`` (people who had never talked with the
  brand on that day), comparing days of the same calendar month (Mantel-Haenszel: a sale, or orders
  imported only for recent weeks, cannot tilt it when one tier's days lie later than the other's),
  with its 95% interval (Greenland-Robins, widened by the overdispersion of repeat buyers); the same
  for first orders.
- **people / converted / conversion_rate**: people who spent at least one day of the window at the
  tier, those who ordered on such a day, and their share (95% Wilson): a description, not the rate
  (a person who moved counts in every tier they spent days at).

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
from .meaningful import MEANINGFUL_MIN
from .orders import MatchReport
from tiescale.store.db import Store
from .person_time import MEANINGFUL, GroupTime
from .rate_stats import Sums, cross_term, garwood, mantel_haenszel, overdispersion, rate_interval
from .revenue_cache import person_time_for, revenue_window_end as revenue_window_end
from .tiers_before import NO_RELATIONSHIP, midnight

GROUPS = (NO_RELATIONSHIP, *TIER_NAMES)
Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000
#: From this many buyers on, revenue per person's interval is the normal one (the bootstrap's limit)
NORMAL_FROM = 500
SEED = 20261125
PER = 1000.0  # rates are per 1,000 person-days
MONTH_DAYS = 30.4375  # a person-month
#: Fewer people or person-days than this: the tier is too small for a rate worth drawing
MIN_PEOPLE, MIN_PERSON_DAYS = 10, 365.0
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
    if k >= NORMAL_FROM:  # the mean of many buyers is normal enough; resampling them costs ~0.1 s a tier
        arr = np.asarray(values, dtype=float)
        mean = float(arr.sum()) / n
        variance = (float((arr * arr).sum()) / n - mean * mean) * n / max(n - 1, 1)
        half = Z95 * math.sqrt(max(variance, 0.0) / n)
        return (max(mean - half, 0.0), mean + half)
    rng = np.random.default_rng(seed)
    arr = np.asarray(values, dtype=float)
    counts = rng.binomial(n, k / n, size=resamples)
    # all resamples' draws at once, summed per resample (a loop of 2,000 numpy calls took 0.1 s a tier)
    picks = arr[rng.integers(0, k, size=int(counts.sum()))]
    ends = np.cumsum(counts)
    totals = np.concatenate(([0.0], np.cumsum(picks)))
    means = (totals[ends] - totals[ends - counts]) / n
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(low), float(high))


# -- the report ------------------------------------------------------------------------------------
@dataclass
class TierRevenue:
    tier: str
    people: int  # people who spent at least one day of the window at the tier
    converted: int  # of them, people who ordered on such a day
    conversion_rate: float  # converted / people (a description; the rate is orders_per_1000_person_days)
    conversion_low: float
    conversion_high: float
    orders: int
    revenue: float
    revenue_per_person: float
    revenue_per_person_low: float
    revenue_per_person_high: float
    revenue_per_buyer: float
    lift: float | None = None  # orders per person-day over those of "none"
    lift_low: float | None = None
    lift_high: float | None = None
    person_days: float = 0.0
    orders_per_1000_person_days: float = 0.0
    rate_low: float = 0.0
    rate_high: float = 0.0
    first_orders: int = 0  # people whose first order ever fell on a day at this tier
    first_order_person_days: float = 0.0  # days before (and of) each person's first order
    first_orders_per_1000_person_days: float = 0.0
    first_rate_low: float = 0.0
    first_rate_high: float = 0.0
    first_order_lift: float | None = None
    first_order_lift_low: float | None = None
    first_order_lift_high: float | None = None
    revenue_per_person_month: float = 0.0
    revenue_per_person_month_low: float = 0.0
    revenue_per_person_month_high: float = 0.0
    people_now: int = 0  # at this tier on the last day of the window
    too_small: bool = False  # fewer than 10 people or a person-year: no rate worth drawing


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
    method: str = ("person-time: every day of the window counts in the tier the person had that day (their score "
                   "that day, from every touchpoint before it), and so does every order; the lift compares days of "
                   "the same calendar month")
    revenue_people: float = 0.0  # revenue of orders tied to a person of the report (the tiers add up to it)
    revenue_unplaced: float = 0.0  # tied to a person, placed before tiescale saw them (in no tier)
    meaningful_label: str = ""

    def tier(self, name: str) -> TierRevenue:
        return next(t for t in self.tiers if t.tier == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


def check_account(store: Store, account: str | None) -> None:
    if account is None:
        return
    known = store.scalar("SELECT (SELECT count(*) FROM interactions WHERE account = ?) + "
                         "(SELECT count(*) FROM follower_snapshots WHERE account = ?)", [account, account])
    if not known:
        raise UsageError(f"no interactions with account {account!r} in the store")


def revenue_report(store: Store, account: str | None = None, window_days: int = 365,
                   meaningful_min: float = MEANINGFUL_MIN) -> RevenueReport:
    if window_days < 1:
        raise UsageError("--window must be at least 1 day")
    if not 0 <= meaningful_min <= 10:
        raise UsageError("the meaningful threshold must be between 0 and 10")
    check_account(store, account)
    end = revenue_window_end(store) or midnight(datetime.now(UTC))
    start = end - timedelta(days=window_days)
    pt, summary = person_time_for(store, start, end, meaningful_min, account)
    currency, matching = pt.currency, summary.matching
    others: dict[str, int] = {}
    for row_currency, _tied, _platform, _source, count, _value in summary.rows:
        if row_currency != currency:
            others[row_currency] = others.get(row_currency, 0) + int(count)
    rows = [r for r in summary.rows if r[0] == currency]
    none = pt.groups[NO_RELATIONSHIP]
    tiers = [_tier_row(name, pt.groups[name], none) for name in GROUPS]
    strong_row = _tier_row(f"{meaningful_min:g}+", pt.groups[MEANINGFUL], none)
    total = sum(float(r[5]) for r in rows)
    placed = sum(t.revenue for t in tiers)
    matched_total = sum(float(r[5]) for r in rows if r[1])
    utm, other, unattributed = _unmatched_sources(rows)
    report = RevenueReport(
        account=account, window_days=window_days, start=start, end=end, currency=currency,
        meaningful_min=meaningful_min, tiers=tiers, meaningful=strong_row,
        lift_statement=lift_in_words(strong_row, tiers[0], meaningful_min),
        share_meaningful=strong_row.revenue / total if total else 0.0,
        share_meaningful_matched=strong_row.revenue / matched_total if matched_total else 0.0,
        revenue_total=round(total, 2), revenue_matched=round(matched_total, 2), utm_platforms=utm,
        other_sources=other, unattributed=unattributed, other_currencies=others, matching=matching,
        revenue_people=round(placed, 2), revenue_unplaced=round(matched_total - placed, 2),
        meaningful_label=f"score {meaningful_min:g}+",
    )
    if others:
        report.notes.append("left out (other currencies): " + ", ".join(f"{n} orders in {c}" for c, n in others.items()))
    if pt.orders_outside:
        report.notes.append(f"{pt.orders_outside:,} orders ({currency} {report.revenue_unplaced:,.2f}) were placed before "
                            "tiescale saw their buyer on social media (a follow, a touchpoint, a follower list"
                            f"{' of this account' if account else ''}): nobody was watching them then, so those "
                            "orders are in no tier and no rate")
    if not rows:
        report.notes.append("no orders in the window: import them with tiescale ingest FILE --format conversions")
    return report


def _sums(g: GroupTime, revenue: bool = False) -> Sums:
    if revenue:
        return Sums(g.revenue, g.person_days, g.v2, g.vt, g.t2)
    return Sums(float(g.orders), g.person_days, g.o2, g.ot, g.t2)


def _tier_row(name: str, g: GroupTime, none: GroupTime) -> TierRevenue:
    people, revenues = g.people, g.buyer_revenues
    buyers = g.converted
    revenue = float(g.revenue)
    low, high = wilson_interval(buyers, people)
    rlow, rhigh = bootstrap_mean_interval(revenues, people)
    rate_low, rate_high = rate_interval(_sums(g))
    first_low, first_high = garwood(g.first_orders, g.first_person_days)  # one first order a person: Poisson
    money_low, money_high = rate_interval(_sums(g, revenue=True), count=False)
    days = g.person_days
    row = TierRevenue(
        tier=name, people=people, converted=buyers, conversion_rate=buyers / people if people else 0.0,
        conversion_low=low, conversion_high=high, orders=g.orders, revenue=round(revenue, 2),
        revenue_per_person=revenue / people if people else 0.0, revenue_per_person_low=rlow,
        revenue_per_person_high=rhigh, revenue_per_buyer=revenue / buyers if buyers else 0.0,
        person_days=days, orders_per_1000_person_days=PER * g.orders / days if days else 0.0,
        rate_low=PER * rate_low, rate_high=PER * rate_high, first_orders=g.first_orders,
        first_order_person_days=g.first_person_days,
        first_orders_per_1000_person_days=PER * g.first_orders / g.first_person_days if g.first_person_days else 0.0,
        first_rate_low=PER * first_low, first_rate_high=PER * first_high,
        revenue_per_person_month=MONTH_DAYS * revenue / days if days else 0.0,
        revenue_per_person_month_low=MONTH_DAYS * money_low, revenue_per_person_month_high=MONTH_DAYS * money_high,
        people_now=g.people_now, too_small=people < MIN_PEOPLE or days < MIN_PERSON_DAYS,
    )
    if name != NO_RELATIONSHIP:
        # the lift compares days of the same calendar month (Mantel-Haenszel), its interval widened by
        # the overdispersion repeat buyers add; first orders (one a person) are Poisson
        base, mine = _sums(none), _sums(g)
        cross = cross_term(g.oo_none, g.ot_none, g.to_none, g.tt_none, _rate(mine), _rate(base))
        months = sorted(set(g.by_month) & set(none.by_month))
        lift = mantel_haenszel([(g.by_month[m][1], g.by_month[m][0], none.by_month[m][1], none.by_month[m][0])
                                for m in months], overdispersion(mine, base, cross))
        if lift is not None:
            row.lift, row.lift_low, row.lift_high = lift
        first = mantel_haenszel([(g.by_month[m][3], g.by_month[m][2], none.by_month[m][3], none.by_month[m][2])
                                 for m in months])
        if first is not None:
            row.first_order_lift, row.first_order_lift_low, row.first_order_lift_high = first
    return row


def _rate(s: Sums) -> float:
    return s.events / s.exposure if s.exposure else 0.0


def times(x: float) -> str:
    """A ratio with enough digits to tell two apart: 0.72x, 1.3x, 13x."""
    if x == math.inf:
        return "no upper bound"
    if x < 1:
        return f"{x:.2f}x"
    return f"{x:.1f}x" if x < 10 else f"{x:.0f}x"


_times = times


def per_1000(x: float) -> str:
    """A rate per 1,000 person-days with three significant digits."""
    return f"{x:.3g}"


def lift_in_words(strong: TierRevenue, none: TierRevenue, meaningful_min: float) -> str:
    who = f"people at {meaningful_min:g}+"
    if strong.people == 0:
        return f"nobody was at {meaningful_min:g}+ in the window, so there is no lift to show"
    if none.people == 0:
        return "everyone had talked with you, so there is no group of silent followers to compare with"
    if none.orders == 0:
        return (f"{who} ordered {per_1000(strong.orders_per_1000_person_days)} times per 1,000 person-days; nobody "
                "bought on a day they had never talked with you, so the lift has no finite estimate")
    if strong.orders == 0:
        return f"none of the {strong.people:,} {who} bought on a day they were at {meaningful_min:g}+"
    assert strong.lift is not None and strong.lift_low is not None and strong.lift_high is not None
    return (f"{who} bought {times(strong.lift)} as often as followers who never talked with you "
            f"({per_1000(strong.orders_per_1000_person_days)} vs {per_1000(none.orders_per_1000_person_days)} "
            f"orders per 1,000 person-days; 95% interval {times(strong.lift_low)}-{times(strong.lift_high)})")


def _unmatched_sources(rows: list[list[Any]]) -> tuple[list[PlatformRevenue], list[PlatformRevenue], PlatformRevenue]:
    """Orders not tied to a person of the report: by the social platform their UTM names, other
    sources, the rest (``rows``: the summary's [currency, tied, utm platform, utm source, orders, revenue])."""
    utm: dict[str, list[float]] = {}
    other: dict[str, list[float]] = {}
    rest = [0.0, 0.0]
    for _currency, tied, platform, source, count, value in rows:
        if tied:
            continue
        bucket = utm.setdefault(platform, [0.0, 0.0]) if platform else (
            other.setdefault(source, [0.0, 0.0]) if source else rest)
        bucket[0] += count
        bucket[1] += value

    def listed(d: dict[str, list[float]]) -> list[PlatformRevenue]:
        return sorted((PlatformRevenue(k, int(v[0]), round(v[1], 2)) for k, v in d.items()),
                      key=lambda r: (-r.revenue, r.platform))

    return listed(utm), listed(other), PlatformRevenue("unattributed", int(rest[0]), round(rest[1], 2))


# -- forecast ----------------------------------------------------------------------------------------
@dataclass
class TierForecast:
    tier: str
    people_now: int
    buyers: float  # expected orders over the horizon (people now x the tier's rate x the horizon)
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


def forecast(store: Store, account: str | None = None, horizon_days: int = 30, window_days: int = 365,
             meaningful_min: float = MEANINGFUL_MIN, report: RevenueReport | None = None) -> Forecast:
    """Next ``horizon_days``: expected orders and revenue per tier, from the rates per person-day seen
    in the window, times the people at each tier on its last day (a constant rate; the range uses
    the rate's 95% interval)."""
    report = report or revenue_report(store, account, window_days, meaningful_min)
    rows: list[TierForecast] = []
    h = horizon_days
    for tier in report.tiers:
        n = tier.people_now
        per_order = tier.revenue / tier.orders if tier.orders else 0.0
        expected = n * tier.orders_per_1000_person_days / PER * h
        low, high = n * tier.rate_low / PER * h, n * tier.rate_high / PER * h
        rows.append(TierForecast(tier.tier, n, expected, low, high, expected * per_order, low * per_order,
                                 high * per_order))
    strong, none = report.meaningful, report.tier(NO_RELATIONSHIP)
    worth = (strong.revenue_per_person_month - none.revenue_per_person_month) / MONTH_DAYS * h
    total = sum(r.revenue for r in rows)
    people = sum(r.people_now for r in rows)
    statement = (f"next {h} days: about {report.currency} {total:,.0f} from the {people:,} people "
                 f"you know ({strong.people_now:,} at {report.meaningful_min:g}+ now); each follower who becomes a "
                 f"meaningful connection is worth about {report.currency} {worth:,.2f} per {h} days at the rates seen")
    return Forecast(h, report.end, report.currency, rows, total, sum(r.revenue_low for r in rows),
                    sum(r.revenue_high for r in rows), worth, statement)
