"""Revenue's person-days kept between refreshes (issue 15): after each kind of change the refresh
carries the kept runs where it may (an import of newer days, a late import, orders) and computes
them all where it must (a merge, forget, another threshold); either way the kept runs and the
figures equal a full computation on the same store."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from tiescale.insights import goals
from tiescale.insights.derived import refresh_derived
from tiescale.insights.person_days_kept import kept_people_current
from tiescale.insights.person_time import exposure_segments
from tiescale.insights.revenue_cache import compute, revenue_window_end
from tiescale.store.db import Store
from tiescale.store.identity import forget_person, merge_people
from tiescale.store.ingest import ingest_path

from .test_day_tiers import _random_events
from .test_revenue import END, EVENT_COLUMNS, ORDER_COLUMNS, iso, write

DAY = timedelta(days=1)


def _at(row: list[Any]) -> datetime:
    return datetime.fromisoformat(str(row[0]).replace("Z", "+00:00"))


def _coalesced(runs: list[tuple[int, datetime, datetime, str, bool]]) -> list[tuple[Any, ...]]:
    out: list[list[Any]] = []
    for person, lo, hi, tier, strong in sorted(runs):
        if out and out[-1][0] == person and out[-1][2] == lo and out[-1][3:] == [tier, strong]:
            out[-1][2] = hi
        else:
            out.append([person, lo, hi, tier, strong])
    return [tuple(r) for r in out]


def _check(store: Store) -> str:
    """The kept runs equal a full computation's, and so do the figures kept for the report; returns
    how the refresh computed them."""
    state = json.loads(store.scalar("SELECT state FROM revenue_segments_state"))
    end = revenue_window_end(store)
    assert end is not None
    start = end - timedelta(days=365)
    assert (state["start"], state["end"]) == (start.isoformat(), end.isoformat())
    # a run reaching the window's end is kept open (hi NULL), its start untrimmed
    kept = [tuple(r) for r in store.con.execute(
        "SELECT person_id, greatest(lo, ?) AS lo, coalesce(hi, ?) AS hi, grp, strong FROM revenue_segments "
        "WHERE coalesce(hi, ?) > ? ORDER BY ALL", [start, end, end, start]).fetchall()]
    assert kept == _coalesced(exposure_segments(store, start, end, 7.0))
    payload = json.loads(store.scalar("SELECT payload FROM revenue_person_time"))["person_time"]
    full = compute(store, start, end, 7.0)[0].to_json()
    for name, group in full["groups"].items():
        for key, value in group.items():
            got = payload["groups"][name][key]
            if isinstance(value, float):
                assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (name, key)
            else:
                assert got == value, (name, key)
    # vanity counts the people who had talked before each month end from the kept people: the same
    # counts as reading every touchpoint
    assert kept_people_current(store)
    kept_points = [(p.as_of, p.talked) for p in goals._vanity(store, None, 7.0).points]
    with patch.object(goals, "kept_people_current", return_value=False):
        assert kept_points == [(p.as_of, p.talked) for p in goals._vanity(store, None, 7.0).points]
    return str(state["mode"])


def _import(store: Store, path: Path, rows: list[list[Any]], columns: list[str] = EVENT_COLUMNS) -> None:
    ingest_path(store, write(path, columns, rows))
    refresh_derived(store)


@pytest.mark.parametrize("seed", [1, 2])
def test_newer_days_late_touchpoints_and_orders_carry_the_kept_runs(tmp_path: Path, seed: int) -> None:
    rows = _random_events(seed)
    cut = END - 12 * DAY  # a first import, then days after it: the window's end moves, a month starts
    with Store(tmp_path / "k.duckdb") as store:
        _import(store, tmp_path / "a.csv", [r for r in rows if _at(r) < cut])
        assert _check(store) == "full"
        _import(store, tmp_path / "b.csv", [r for r in rows if cut <= _at(r) < END - 4 * DAY])
        assert _check(store) == "kept"
        _import(store, tmp_path / "c.csv", [r for r in rows if END - 4 * DAY <= _at(r) < END - 2 * DAY])
        assert _check(store) == "kept"
        # news on the window's last day only: nobody's earlier days move; a newcomer's first day does
        last = END - 2 * DAY
        _import(store, tmp_path / "c2.csv", [r for r in rows if _at(r) >= last]
                + [[iso(last + timedelta(hours=5)), "brand", "fresh1", "in", "dm", "x"],
                   [iso(last + timedelta(hours=6)), "brand", "r0", "in", "comment", "x"]])
        assert _check(store) == "kept"
        # and again the same day: the window does not move
        _import(store, tmp_path / "c3.csv", [[iso(last + timedelta(hours=7)), "brand", "fresh2", "in", "reply", "x"],
                                             [iso(last + timedelta(hours=8)), "brand", "r5", "in", "dm", "x"],
                                             [iso(last + timedelta(hours=9)), "brand", "r5", "out", "dm", "x"]])
        assert _check(store) == "kept"
        # a late import: touchpoints months back for two people, a new person too
        late = END - 100 * DAY
        _import(store, tmp_path / "d.csv", [[iso(late), "brand", "r1", "in", "dm", "x"],
                                            [iso(late + timedelta(hours=1)), "brand", "r1", "out", "dm", "x"],
                                            [iso(late), "brand", "r4", "in", "comment", "x"],
                                            [iso(late), "brand", "newcomer", "in", "reply", "x"]])
        assert _check(store) == "kept"
        # orders: nobody's days move, the figures do
        _import(store, tmp_path / "o.csv", [["o1", iso(END - 3 * DAY), "40", "USD", "x", "r1", "ig"],
                                            ["o2", iso(END - 50 * DAY), "15", "USD", "x", "r2", ""]],
                ORDER_COLUMNS)
        assert _check(store) == "kept"
        assert store.scalar("SELECT count(*) FROM revenue_segments") > 0


def test_a_merge_or_a_forget_computes_every_run_again(tmp_path: Path) -> None:
    rows = _random_events(3)
    with Store(tmp_path / "m.duckdb") as store:
        _import(store, tmp_path / "a.csv", [r for r in rows if _at(r) < END - 10 * DAY])
        _import(store, tmp_path / "b.csv", [r for r in rows if _at(r) >= END - 10 * DAY])
        assert _check(store) == "kept"
        merge_people(store, "x:r1", "x:r2")
        refresh_derived(store)
        assert _check(store) == "full"
        forget_person(store, "x:r3")
        refresh_derived(store)
        assert _check(store) == "full"
        gone = store.scalar("SELECT count(*) FROM revenue_segments s ANTI JOIN people p USING (person_id)")
        assert gone == 0


def _tier_on(runs: list[tuple[int, datetime, datetime, str, bool]], person: int, day: datetime) -> str:
    return next(tier for p, lo, hi, tier, _s in runs if p == person and lo <= day < hi)


GAPS = (30, 90, 200)


def test_a_quiet_person_who_talks_on_the_windows_last_day_rises_the_next(tmp_path: Path) -> None:
    """People in the lowest tier keep it while silent, so their kept run simply goes on; not those who
    talked on the old window's last day, whose talk counts from the first new day."""
    cut = END - 10 * DAY
    rows: list[list[Any]] = []
    for gap in GAPS:  # a comment long ago (the lowest tier), then a conversation the day before the cut
        name = f"revive{gap}"
        rows.append([iso(cut - gap * DAY), "brand", name, "in", "comment", "x"])
        rows += [[iso(cut - DAY + timedelta(hours=h)), "brand", name, d, "dm", "x"] for h in range(1, 7)
                 for d in ("in", "out")]
    with Store(tmp_path / "q.duckdb") as store:
        _import(store, tmp_path / "a.csv", rows)
        _import(store, tmp_path / "b.csv", [[iso(cut + 2 * DAY), "brand", "someone", "in", "dm", "x"]])
        assert _check(store) == "kept"
        end = revenue_window_end(store)
        assert end is not None
        runs = exposure_segments(store, end - timedelta(days=365), end, 7.0)
        risen = []
        for gap in GAPS:
            person = int(store.scalar("SELECT person_id FROM identities WHERE handle = ?", [f"revive{gap}"]))
            naive = cut.replace(tzinfo=None)
            if _tier_on(runs, person, naive - DAY) == "stranger" and _tier_on(runs, person, naive) != "stranger":
                risen.append(gap)
        assert risen, "no quiet person rose on the first new day: the case this test is for did not occur"
