"""Revenue per person-time: planted rate ratios are recovered, nothing leaks across midnight, an
order never starts a person's watch, the refresh keeps the figures a read returns."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, UTC
from pathlib import Path

import duckdb
import pytest

from tiescale.insights.derived import refresh_derived
from tiescale.insights.person_time import exposure_segments, month_grid
from tiescale.insights.rate_stats import exact_ratio_interval, garwood
from tiescale.insights.revenue import revenue_report
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

from . import person_time_sim as sim
from .test_revenue import iso, write

EVENT_COLUMNS = ["ts", "account", "person", "direction", "kind", "platform"]
ORDER_COLUMNS = ["order_id", "ts", "value", "currency", "platform", "handle"]
END = datetime(2026, 6, 1, tzinfo=UTC)




# -- recovery of a planted ratio --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("layout")
    db, _ = sim.build_layout(work / "layout", sim.Layout(silent=900, strong=110, weak=100, late=80, order_first=50),
                             seed=3)
    return db, work


@pytest.mark.slow
def test_a_planted_ratio_is_recovered_while_people_move_and_orders_cluster(layout: tuple[Path, Path]) -> None:
    """k = 4 on days at 7+ against "never talked", people moving between tiers inside the window,
    repeat buyers, people first seen through their order; flat, a sale week, and recent orders only.
    bench/check_revenue_recovery.py runs the same with many seeds (docs/revenue.md has the figures)."""
    db, work = layout
    segs, handles = sim.segments(db), sim.handles_of(db)
    moved = {p for p, *_ in segs if sum(1 for s in segs if s[0] == p) > 1}
    talked_tiers = {tier for _p, _lo, _hi, tier, _strong in segs}
    strong_movers = {p for p, _lo, _hi, _tier, strong in segs if strong} & {p for p, *_x, t, _s in segs if t == "none"}
    # people move between tiers, some from "never talked" to 7+ inside the window
    assert len(moved) > 100 and len(talked_tiers) >= 4 and len(strong_movers) > 20
    k = 4.0
    estimates = [sim.run_seed(db, segs, handles, k, kind, seed, work) for kind in sim.PROFILES for seed in range(4)]
    found = sim.summary(estimates, k)
    assert found["estimated"] == len(estimates)
    assert found["coverage"] >= 10 / 12, estimates
    assert abs(found["mean_bias"]) < 0.15, found
    assert all(e.low is not None and e.high is not None and e.high / e.low > 1.2 for e in estimates)


# -- the midnight rule, and the order that introduces a person -------------------------------------------
def test_each_day_counts_in_the_tier_of_its_midnight_and_orders_with_it(tmp_path: Path) -> None:
    day = datetime(2026, 5, 20, tzinfo=UTC)
    events = [
        [iso(datetime(2025, 12, 1, tzinfo=UTC)), "brand", "filler", "in", "follow", "x"],
        # talks one second before midnight: counts as having talked from the 20th
        [iso(day - timedelta(seconds=1)), "brand", "eve", "in", "dm", "x"],
        [iso(day - timedelta(seconds=1)), "brand", "eve", "out", "dm", "x"],
        # talks at midnight: that day is still "never talked", the next is not
        [iso(day), "brand", "sameday", "in", "dm", "x"], [iso(day), "brand", "sameday", "out", "dm", "x"],
        # follows on the 1st of May, talks after the order (same day): the order is "never talked"
        [iso(datetime(2026, 5, 1, 9, tzinfo=UTC)), "brand", "after", "in", "follow", "x"],
        [iso(day + timedelta(hours=20)), "brand", "after", "in", "dm", "x"],
    ]
    orders = [[f"o-{p}", iso(day + timedelta(hours=15)), "10", "USD", "x", p] for p in ("eve", "sameday", "after")]
    # first seen through an order on the 10th, follows on the 12th, orders again on the 25th
    orders += [["intro", iso(datetime(2026, 5, 10, 12, tzinfo=UTC)), "99", "USD", "x", "newbie"],
               ["again", iso(datetime(2026, 5, 25, 12, tzinfo=UTC)), "7", "USD", "x", "newbie"]]
    events.append([iso(datetime(2026, 5, 12, tzinfo=UTC)), "brand", "newbie", "in", "follow", "x"])
    with Store(tmp_path / "t.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, events))
        ingest_path(store, write(tmp_path / "o.csv", ORDER_COLUMNS, orders), fmt="conversions")
        ids = dict(store.con.execute("SELECT handle, person_id FROM identities").fetchall())
        end = datetime(2026, 5, 26)  # the midnight after the newest order
        start = end - timedelta(days=30)
        segs = {(p, lo): (hi, tier) for p, lo, hi, tier, _ in exposure_segments(store, start, end, 7.0)}
        report = revenue_report(store, window_days=30)
    assert report.end == end
    tiers = {p: [(lo, hi, tier) for (q, lo), (hi, tier) in sorted(segs.items()) if q == p] for p in ids.values()}
    eve, same, after, newbie = (tiers[ids[h]] for h in ("eve", "sameday", "after", "newbie"))
    assert eve[0] == (datetime(2026, 5, 19), datetime(2026, 5, 20), "none") and eve[1][0] == datetime(2026, 5, 20)
    assert eve[1][2] != "none"
    assert same[0] == (datetime(2026, 5, 20), datetime(2026, 5, 21), "none") and same[1][2] != "none"
    assert after[0] == (datetime(2026, 5, 1), datetime(2026, 5, 21), "none")  # from the day of the follow
    # an order never starts the watch: newbie is at risk from the follow on the 12th
    assert newbie[0][0] == datetime(2026, 5, 12) and all(t == "none" for *_x, t in newbie)
    by_tier = {t.tier: t for t in report.tiers}
    none = by_tier["none"]
    assert none.orders == 3 and none.converted == 3  # sameday, after, and newbie's second order
    assert sum(t.orders for t in report.tiers) == 4  # eve's order counts where eve was on the 20th
    assert report.revenue_unplaced == 99.0 and any("before tiescale saw their buyer" in n for n in report.notes)
    # every person-day is counted once: filler 30, eve 7 (from the 19th), sameday 6, after 25, newbie 14
    assert sum(t.person_days for t in report.tiers) == 30 + 7 + 6 + 25 + 14
    assert report.revenue_people + report.revenue_unplaced == pytest.approx(report.revenue_matched)


# -- the intervals ----------------------------------------------------------------------------------------
def test_exact_poisson_intervals() -> None:
    low, high = garwood(0, 1000.0)
    assert low == 0 and high * 1000 == pytest.approx(3.688879, rel=1e-5)  # the rule of 3.69
    low, high = garwood(10, 1.0)
    assert (low, high) == (pytest.approx(4.795389, rel=1e-5), pytest.approx(18.390356, rel=1e-5))
    # the conditional interval holds the ratio, and is symmetric on the log scale for equal counts
    low, high = exact_ratio_interval(20, 100.0, 20, 100.0)
    assert low < 1 < high and math.log(high) == pytest.approx(-math.log(low), rel=1e-9)


# -- the refresh keeps what a read returns ----------------------------------------------------------------
def test_the_refresh_keeps_the_default_figures_and_a_change_recomputes(tmp_path: Path) -> None:
    events = [[iso(END - timedelta(days=200 - i)), "brand", f"p{i % 40}", "in", "dm" if i % 3 else "follow", "x"]
              for i in range(200)]
    orders = [[f"o{i}", iso(END - timedelta(days=5 * i + 1)), "12", "USD", "x", f"p{i}"] for i in range(30)]
    db = tmp_path / "r.duckdb"
    with Store(db) as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, events))
        ingest_path(store, write(tmp_path / "o.csv", ORDER_COLUMNS, orders), fmt="conversions")
        computed = revenue_report(store).to_dict()
        refresh_derived(store)
        assert store.scalar("SELECT count(*) FROM revenue_person_time") == 1
    with Store(db, read_only=True) as store:
        stored = revenue_report(store).to_dict()
        assert stored == computed
    with Store(db) as store:  # a new order: the stored figures no longer match the store, a read recomputes
        ingest_path(store, write(tmp_path / "o2.csv", ORDER_COLUMNS,
                                 [["late", iso(END - timedelta(days=2)), "50", "USD", "x", "p39"]]), fmt="conversions")
        assert revenue_report(store).revenue_total == computed["revenue_total"] + 50


def test_a_store_from_before_migration_20_opens_and_migrates(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with Store(db):
        pass
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE revenue_person_time")
    con.execute("DELETE FROM schema_version WHERE version = 20")
    con.close()
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM revenue_person_time") == 0
        refresh_derived(store)  # an empty store: nothing to compute, nothing fails
        assert revenue_report(store).tiers[0].person_days == 0


def test_month_grid_starts_at_or_before_the_window() -> None:
    assert month_grid(datetime(2025, 6, 2), datetime(2025, 8, 15)) == [
        datetime(2025, 6, 1), datetime(2025, 7, 1), datetime(2025, 8, 1)]
    assert month_grid(datetime(2025, 12, 1), datetime(2026, 1, 1)) == [datetime(2025, 12, 1)]
