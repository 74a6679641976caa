"""Revenue by tier: the no-leakage rule, planted effects with known rates, intervals, forecast, vanity, goals."""
from __future__ import annotations

import csv
import json
import math
from datetime import datetime, timedelta, UTC
from pathlib import Path

import pytest
from click.testing import CliRunner

from tiescale.insights.goals import goal_progress, set_goal, vanity_vs_meaningful
from tiescale.insights.revenue import (bootstrap_mean_interval, forecast, rate_ratio_interval, revenue_report,
                                       wilson_interval)
from tiescale.insights.derived import refresh_derived
from tiescale.insights.snapshots import composable, fresh_dates, snapshot_is_fresh
from tiescale.insights.tiers_before import score_pairs, tiers_at
from tiescale.scoring.run import score_store
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.surfaces.cli import main

END = datetime(2026, 6, 1, tzinfo=UTC)
EVENT_COLUMNS = ["ts", "account", "person", "direction", "kind", "platform"]
ORDER_COLUMNS = ["order_id", "ts", "value", "currency", "platform", "handle", "utm_source"]


def write(path: Path, columns: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def iso(ts: datetime) -> str:
    return ts.isoformat()


def conversation(person: str, first: datetime, last: datetime, step_days: int = 1) -> list[list[object]]:
    """Two-way messages every ``step_days`` from ``first`` to ``last``: a strong relationship."""
    rows, day = [], first
    while day <= last:
        rows.append([iso(day), "brand", person, "in", "dm", "x"])
        rows.append([iso(day + timedelta(hours=1)), "brand", person, "out", "dm", "x"])
        day += timedelta(days=step_days)
    return rows


# -- the no-leakage rule ------------------------------------------------------------------------------
def test_the_tier_is_the_one_of_the_day_before_nothing_from_the_purchase_day(tmp_path: Path) -> None:
    buy = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
    day_start = datetime(2026, 5, 20, tzinfo=UTC)
    events = (
        # same-day talk: a long conversation that starts at midnight of the purchase day
        conversation("sameday", day_start, day_start + timedelta(hours=14), step_days=1)
        + [[iso(day_start + timedelta(hours=h)), "brand", "sameday", d, "dm", "x"] for h in range(1, 14)
           for d in ("in", "out")]
        # the day before, one second before midnight: it counts
        + [[iso(day_start - timedelta(seconds=1)), "brand", "eve", "in", "reply", "x"],
           [iso(day_start - timedelta(seconds=1)), "brand", "eve", "out", "reply", "x"]]
        # talk only after the purchase
        + conversation("after", buy + timedelta(hours=1), buy + timedelta(days=5))
        + [[iso(END - timedelta(days=300)), "brand", "filler", "in", "follow", "x"]]
    )
    with Store(tmp_path / "t.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, events))
        orders = [[f"o-{p}", iso(buy), "10", "USD", "x", p, ""] for p in ("sameday", "eve", "after")]
        ingest_path(store, write(tmp_path / "o.csv", ORDER_COLUMNS, orders), fmt="conversions")
        report = revenue_report(store, window_days=30)
        bought = {t.tier: t.converted for t in report.tiers}
        # sameday and after had not talked before the purchase day: "none"; eve had (acquaintance)
        assert bought["none"] == 2 and bought["acquaintance"] == 1 and sum(bought.values()) == 3
        ids = dict(store.con.execute("SELECT handle, person_id FROM identities").fetchall())
        cut = datetime(2026, 5, 20)
        scores = score_pairs(store, [(ids["sameday"], cut), (ids["eve"], cut), (ids["sameday"], cut + timedelta(1))])
        assert scores[(ids["sameday"], cut)].score == 0 and not scores[(ids["sameday"], cut)].talked
        assert scores[(ids["eve"], cut)].tier == "acquaintance"
        assert scores[(ids["sameday"], cut + timedelta(1))].tier != "none"  # a day later it counts


def test_pair_scores_equal_the_stored_snapshots(tmp_path: Path) -> None:
    rows = (conversation("a", END - timedelta(days=120), END - timedelta(days=2))
            + conversation("b", END - timedelta(days=60), END - timedelta(days=40), step_days=3)
            + [[iso(END - timedelta(days=10)), "brand", "c", "in", "like", "x"]])
    with Store(tmp_path / "t.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, rows))
        dates = [datetime(2026, 3, 15), datetime(2026, 4, 20), datetime(2026, 5, 25)]
        expected = {}
        for d in dates:
            score_store(store, d)
            expected.update({(p, d): s for p, s in store.con.execute(
                "SELECT person_id, score FROM person_scores WHERE as_of = ?", [d]).fetchall()})
        got = score_pairs(store, expected)
        assert expected and all(got[k].score == pytest.approx(v, abs=1e-9) for k, v in expected.items())


def test_tiers_read_from_the_history_equal_the_pair_scores(tmp_path: Path) -> None:
    """tiers_at composes the scored dates (the first of each month, the end) and scores the others."""
    rows = (conversation("a", END - timedelta(days=120), END - timedelta(days=2))
            + conversation("b", END - timedelta(days=60), END - timedelta(days=40), step_days=3)
            + [[iso(END - timedelta(days=10)), "brand", "c", "in", "like", "x"],
               [iso(END - timedelta(days=30)), "brand", "d", "in", "follow", "x"]])
    with Store(tmp_path / "t.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, rows))
        refresh_derived(store)
        people = [r[0] for r in store.con.execute("SELECT person_id FROM people").fetchall()]
        end = store.data_end()
        assert end is not None
        composed_dates = [datetime(2026, m, 1) for m in (3, 4, 5)] + [end, end + timedelta(days=3)]
        other_dates = [datetime(2026, 4, 20)]
        assert all(composable(store, d) for d in composed_dates) and not composable(store, other_dates[0])
        pairs = [(p, d) for p in people for d in composed_dates + other_dates]
        expected = score_pairs(store, pairs)
        got = tiers_at(store, pairs, composable=lambda d: composable(store, d))
        assert set(got) == set(expected)
        for key, want in expected.items():
            assert (got[key].tier, got[key].talked) == (want.tier, want.talked), key
            if want.talked:
                assert got[key].score == pytest.approx(want.score, abs=1e-9), key
        assert {s.tier for s in got.values()} >= {"none"} and any(s.score >= 5 for s in got.values())
        # which dates are fresh, asked at once, is what asking each date says; an older export
        # imported late makes the dates after its rows stale
        every = composed_dates + other_dates
        assert fresh_dates(store, every) == {d for d in every if snapshot_is_fresh(store, d)} == set(composed_dates[:-1])
        late = ingest_path(store, write(tmp_path / "late.csv", EVENT_COLUMNS,
                                        [[iso(datetime(2026, 4, 10, 12, tzinfo=UTC)), "brand", "a", "in", "dm", "x"]]))
        assert late.total_new == 1, late
        assert fresh_dates(store, every) == {d for d in every if snapshot_is_fresh(store, d)} == {
            datetime(2026, 3, 1), datetime(2026, 4, 1)}


# -- planted effects -----------------------------------------------------------------------------------
STRONG, SILENT, STRONG_BUYERS, SILENT_BUYERS = 20, 200, 8, 6


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 people in a daily two-way conversation all along (8 buy, 50.00 each), 200 silent followers
    (6 buy, 10.00 each), an order tied only to Instagram by UTM and one with no source."""
    folder = tmp_path_factory.mktemp("planted")
    start = END - timedelta(days=200)
    events: list[list[object]] = []
    for i in range(STRONG):
        events += conversation(f"strong{i}", start, END - timedelta(hours=2))
    events += [[iso(start + timedelta(minutes=i)), "brand", f"silent{i}", "in", "follow", "x"] for i in range(SILENT)]
    orders = [[f"s{i}", iso(END - timedelta(days=5 + 5 * i, hours=3)), "50.00", "USD", "x", f"strong{i}", "x"]
              for i in range(STRONG_BUYERS)]
    orders += [[f"f{i}", iso(END - timedelta(days=10 + 7 * i)), "10.00", "USD", "x", f"silent{i}", ""]
               for i in range(SILENT_BUYERS)]
    orders += [["u1", iso(END - timedelta(days=3)), "30.00", "USD", "", "", "instagram"],
               ["n1", iso(END - timedelta(days=4)), "5.00", "USD", "", "", ""],
               ["old", iso(END - timedelta(days=120)), "99.00", "USD", "x", "strong0", ""]]
    db = folder / "p.duckdb"
    with Store(db) as store:
        ingest_path(store, write(folder / "e.csv", EVENT_COLUMNS, events))
        ingest_path(store, write(folder / "o.csv", ORDER_COLUMNS, orders), fmt="conversions")
    return db


def test_planted_rates_revenue_and_lift(planted: Path) -> None:
    with Store(planted) as store:
        report = revenue_report(store, window_days=60)
    strong, none = report.meaningful, report.tier("none")
    assert (strong.people, strong.converted) == (STRONG, STRONG_BUYERS)
    assert (none.people, none.converted) == (SILENT, SILENT_BUYERS)
    assert sum(t.people for t in report.tiers) == STRONG + SILENT
    assert strong.conversion_rate == STRONG_BUYERS / STRONG and none.conversion_rate == SILENT_BUYERS / SILENT
    assert (strong.conversion_low, strong.conversion_high) == wilson_interval(STRONG_BUYERS, STRONG)
    assert strong.revenue == 50.0 * STRONG_BUYERS and none.revenue == 10.0 * SILENT_BUYERS  # "old" is outside
    assert strong.revenue_per_person == pytest.approx(50.0 * STRONG_BUYERS / STRONG)
    assert strong.revenue_per_person_low < strong.revenue_per_person < strong.revenue_per_person_high
    expected_lift = (STRONG_BUYERS / STRONG) / (SILENT_BUYERS / SILENT)
    assert strong.lift == pytest.approx(expected_lift)
    assert strong.lift_low < expected_lift < strong.lift_high
    assert "people at 7+ bought 13x as often as followers who never talked with you" in report.lift_statement
    assert report.revenue_total == 50.0 * STRONG_BUYERS + 10.0 * SILENT_BUYERS + 35.0
    assert report.share_meaningful == pytest.approx(400.0 / report.revenue_total)
    assert report.share_meaningful_matched == pytest.approx(400.0 / 460.0)
    assert [(p.platform, p.orders, p.revenue) for p in report.utm_platforms] == [("instagram", 1, 30.0)]
    assert (report.unattributed.orders, report.unattributed.revenue) == (1, 5.0)
    assert "not proof of cause" in report.caution


def test_forecast_over_the_window_is_people_times_rate(planted: Path) -> None:
    with Store(planted) as store:
        report = revenue_report(store, window_days=60)
        outlook = forecast(store, horizon_days=60, report=report)
    rows = {t.tier: t for t in outlook.tiers}
    assert rows["none"].people_now == SILENT
    assert rows["none"].buyers == pytest.approx(SILENT * SILENT_BUYERS / SILENT)
    strong_now = sum(r.people_now for name, r in rows.items() if name in ("close", "champion"))
    assert strong_now == STRONG
    assert outlook.value_of_one_meaningful == pytest.approx(STRONG_BUYERS / STRONG * 50 - SILENT_BUYERS / SILENT * 10)
    assert outlook.total_low <= outlook.total_revenue <= outlook.total_high


def test_wilson_bounds_solve_the_score_equation() -> None:
    z = 1.959963984540054
    for k, n in ((0, 10), (3, 10), (8, 20), (50, 1000), (10, 10)):
        p = k / n
        for bound in wilson_interval(k, n):
            assert (p - bound) ** 2 == pytest.approx(z * z * bound * (1 - bound) / n, abs=1e-12)


def test_katz_interval_and_bootstrap_behave() -> None:
    ratio, low, high = rate_ratio_interval(8, 20, 6, 200)
    se = math.sqrt(1 / 8 - 1 / 20 + 1 / 6 - 1 / 200)
    assert ratio == pytest.approx(13.333333) and math.log(high / ratio) == pytest.approx(1.959963984540054 * se)
    assert rate_ratio_interval(3, 10, 0, 100) is None
    # 2 buyers of 2: no Katz interval of zero width on that side, the Wilson bounds instead
    ratio, low, high = rate_ratio_interval(2, 2, 185, 14455)
    (l1, h1), (l0, h0) = wilson_interval(2, 2), wilson_interval(185, 14455)
    assert (low, high) == (l1 / h0, h1 / l0) and low < ratio < high
    low, high = bootstrap_mean_interval([50.0] * 8, 20)
    assert 0 < low < 20.0 < high < 50.0
    assert bootstrap_mean_interval([50.0] * 8, 20) == (low, high)  # fixed seed


def test_revenue_json_carries_the_contract_fields(planted: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(planted), "revenue", "--window", "60", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for row in data["tiers"]:
        assert {"tier", "people", "converted", "conversion_rate", "revenue"} <= set(row)
    assert data["caution"] and data["forecast"]["tiers"]
    table = CliRunner().invoke(main, ["--db", str(planted), "revenue", "--window", "60"])
    assert table.exit_code == 0 and "as often as followers who never talked" in table.output
    listed = CliRunner().invoke(main, ["--db", str(planted), "conversions", "--format", "csv", "--limit", "0"])
    assert listed.exit_code == 0 and listed.output.count("\n") == 1 + 2  # header, u1 (UTM only), n1


# -- vanity vs meaningful, goals ---------------------------------------------------------------------------
def test_vanity_counts_and_goal_progress(planted: Path, tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    db.write_bytes(planted.read_bytes())
    with Store(db) as store:
        store.con.execute("""INSERT INTO follower_snapshots SELECT 'x', 'brand', 'follower', TIMESTAMPTZ '2026-05-10',
                             'silent' || range, 999 FROM range(150)""")
        report = vanity_vs_meaningful(store)
        last = report.points[-1]
        score_store(store, last.as_of)
        stored = store.con.execute("SELECT count(*) FROM person_scores WHERE as_of = ? AND score >= 7",
                                   [last.as_of]).fetchone()[0]
        assert (last.followers, last.talked, last.meaningful) == (150, STRONG, stored) and stored == STRONG
        assert report.statement.startswith(f"of 150 followers, {STRONG} are meaningful connections")
        assert report.points[0].meaningful <= last.meaningful
        goal = set_goal(store, "meaningful", 40, "2026-12-31")
        assert goal.baseline == STRONG
        (progress,) = goal_progress(store)
        assert progress.current == STRONG and progress.progress == 0 and progress.on_track
        assert "20 to go" in progress.statement
    result = CliRunner().invoke(main, ["--db", str(db), "goal", "meaningful", "30", "--by", "2026-01-01"])
    assert result.exit_code == 2 and "not after the end of the data" in result.output


def test_account_filter_counts_that_accounts_people(planted: Path) -> None:
    with Store(planted, read_only=True) as store:
        everyone = revenue_report(store, window_days=60)
        brand = revenue_report(store, account="brand", window_days=60)
        assert [(t.tier, t.people, t.converted) for t in brand.tiers] == \
            [(t.tier, t.people, t.converted) for t in everyone.tiers]
        with pytest.raises(Exception, match="no interactions with account"):
            revenue_report(store, account="other", window_days=60)


def test_other_currencies_are_left_out_and_said(planted: Path, tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    db.write_bytes(planted.read_bytes())
    with Store(db) as store:
        orders = write(tmp_path / "eur.csv", ORDER_COLUMNS,
                       [["e1", iso(END - timedelta(days=2)), "80", "EUR", "x", "strong19", ""]])
        ingest_path(store, orders, fmt="conversions")
        report = revenue_report(store, window_days=60)
    assert report.currency == "USD" and report.other_currencies == {"EUR": 1}
    assert report.meaningful.converted == STRONG_BUYERS and any("EUR" in n for n in report.notes)
