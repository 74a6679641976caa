"""Each person-day counts in the tier of that day (issue 17): a score that decays across a tier
boundary in the middle of a month moves the days after the crossing, and the orders on them, to the
lower tier on the day the score history's composition crosses; a conversation on the 10th raises
the tier from the 11th; and on a small random store the days by tier equal a brute force that scores
every single day from every touchpoint before it (and differ from the previous rule, which counted a
touchpoint only from the next month start)."""
from __future__ import annotations

from datetime import datetime, timedelta, UTC
from pathlib import Path

import duckdb
import numpy as np
import pytest

from tiescale.insights.derived import refresh_derived
from tiescale.insights.person_time import exposure_segments, month_grid, person_time
from tiescale.insights.revenue import revenue_report
from tiescale.insights.tiers_before import NO_RELATIONSHIP, SILENT_KINDS, score_pairs
from tiescale.scoring.config import TIER_NAMES, tier_of
from tiescale.scoring.history import scores_over_sql
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

from .test_revenue import END, EVENT_COLUMNS, ORDER_COLUMNS, conversation, iso, write

DAY = timedelta(days=1)
Runs = list[tuple[int, datetime, datetime, str, bool]]


def _by_day(runs: Runs) -> dict[tuple[int, datetime], tuple[str, bool]]:
    """Every (person, day) of the runs with its tier; each day must be in exactly one run."""
    days: dict[tuple[int, datetime], tuple[str, bool]] = {}
    for person, lo, hi, tier, strong in runs:
        day = lo
        while day < hi:
            assert (person, day) not in days, (person, day)
            days[(person, day)] = (tier, strong)
            day += DAY
    return days


def _composed(store: Store, person: int, days: list[datetime]) -> dict[datetime, float]:
    """The person's score on each day as the score history composes it (the history page's way)."""
    dates = " UNION ALL ".join(f"SELECT TIMESTAMP '{d.isoformat(sep=' ')}' AS at" for d in days)
    found = store.con.execute(f"SELECT as_of, score FROM ({scores_over_sql(dates, 'person', only=person)}) s"
                              ).fetchall()
    return {d: 0.0 for d in days} | {at: float(score) for at, score in found}


# -- a decay across a tier boundary in the middle of a month -------------------------------------------
def test_a_score_that_decays_mid_month_moves_the_days_after_the_crossing(tmp_path: Path) -> None:
    last_talk = END - timedelta(days=75)  # mid-March: then silence, and the score decays through April and May
    events = conversation("fading", END - timedelta(days=240), last_talk)
    events.append([iso(END - timedelta(hours=2)), "brand", "filler", "in", "dm", "x"])
    with Store(tmp_path / "d.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, events))
        refresh_derived(store)
        person = int(store.scalar("SELECT person_id FROM identities WHERE handle = 'fading'"))
        end = datetime(2026, 6, 1)
        start = end - timedelta(days=120)
        runs = [r for r in exposure_segments(store, start, end, 7.0) if r[0] == person]
        # from the first month start after the last touchpoint the score only decays
        quiet = datetime(2026, 4, 1)
        days = [quiet + DAY * i for i in range((end - quiet).days)]
        composed = _composed(store, person, days)
        counted = _by_day(runs)
        for day in days:
            assert counted[(person, day)] == (tier_of(composed[day]), composed[day] >= 7.0), day
        crossings = [d for d in days[1:] if tier_of(composed[d]) != tier_of(composed[d - DAY])]
        assert crossings and all(d.day != 1 for d in crossings), crossings  # inside a month, not at its start
        crossing = crossings[0]
        higher, lower = tier_of(composed[crossing - DAY]), tier_of(composed[crossing])
        assert higher != lower and composed[crossing] < composed[crossing - DAY]
        # the run before the crossing ends the day before it; the next one starts on it
        assert any(hi == crossing and tier == higher for _p, _lo, hi, tier, _s in runs)
        assert any(lo == crossing and tier == lower for _p, lo, _hi, tier, _s in runs)

        # an order on the day before the crossing counts in the higher tier, one two days after in the lower
        orders: list[list[object]] = [["before", iso((crossing - DAY).replace(tzinfo=UTC) + timedelta(hours=12)), "10", "USD", "x",
                   "fading", ""],
                  ["after", iso((crossing + 2 * DAY).replace(tzinfo=UTC) + timedelta(hours=1)), "30", "USD", "x",
                   "fading", ""]]
        ingest_path(store, write(tmp_path / "o.csv", ORDER_COLUMNS, orders), fmt="conversions")
        report = revenue_report(store, window_days=120)
    assert report.end == end
    by_tier = {t.tier: t for t in report.tiers}
    assert (by_tier[higher].orders, by_tier[higher].revenue) == (1, 10.0)
    assert (by_tier[lower].orders, by_tier[lower].revenue) == (1, 30.0)
    assert sum(t.orders for t in report.tiers) == 2


# -- a touchpoint inside a month raises the tier from the next day ------------------------------------
def test_talking_on_the_10th_at_a_higher_level_moves_the_person_up_from_the_11th(tmp_path: Path) -> None:
    burst = datetime(2026, 5, 10, 9, tzinfo=UTC)
    events = conversation("riser", END - timedelta(days=200), END - timedelta(days=120), step_days=3)
    events += [[iso(burst + timedelta(minutes=10 * i)), "brand", "riser", d, "dm", "x"]
               for i in range(13) for d in ("in", "out")]  # a long two-way conversation on the 10th
    events.append([iso(END - timedelta(hours=2)), "brand", "filler", "in", "dm", "x"])
    tenth, eleventh = datetime(2026, 5, 10), datetime(2026, 5, 11)
    with Store(tmp_path / "d.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, events))
        refresh_derived(store)
        person = int(store.scalar("SELECT person_id FROM identities WHERE handle = 'riser'"))
        scores = score_pairs(store, [(person, d) for d in (datetime(2026, 5, 1), tenth, eleventh)])
        lower, higher = scores[(person, tenth)].tier, scores[(person, eleventh)].tier
        assert scores[(person, datetime(2026, 5, 1))].tier == lower  # the month start's state: the lower tier
        assert TIER_NAMES.index(higher) > TIER_NAMES.index(lower), (lower, higher)
        end = datetime(2026, 6, 1)
        counted = _by_day([r for r in exposure_segments(store, end - timedelta(days=120), end, 7.0) if r[0] == person])
        assert counted[(person, tenth)][0] == lower  # nothing from the day itself
        assert counted[(person, eleventh)][0] == higher  # the conversation counts from the next day, not next month
        assert [counted[(person, eleventh + DAY * i)][0] for i in range(5)] == [higher] * 5
        # an order on the 10th (after the conversation) counts in the lower tier, one on the 11th in the higher
        orders: list[list[object]] = [["on10", iso(burst + timedelta(hours=6)), "10", "USD", "x", "riser", ""],
                                      ["on11", iso(burst + timedelta(hours=16)), "30", "USD", "x", "riser", ""]]
        ingest_path(store, write(tmp_path / "o.csv", ORDER_COLUMNS, orders), fmt="conversions")
        report = revenue_report(store, window_days=120)
    assert report.end == end
    by_tier = {t.tier: t for t in report.tiers}
    assert (by_tier[lower].orders, by_tier[lower].revenue) == (1, 10.0)
    assert (by_tier[higher].orders, by_tier[higher].revenue) == (1, 30.0)


# -- property: person-days by tier equal a brute force over every day ---------------------------------
def _random_events(seed: int) -> list[list[object]]:
    """A dozen people, two accounts: follows, bursts of two-way talk, one-way comments and likes,
    silences long enough to fall through tiers inside a month."""
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for i in range(12):
        name = f"r{i}"
        account = "brand" if i % 3 else "other"
        base = END - timedelta(days=float(rng.uniform(20, 260)))
        rows.append([iso(base - timedelta(days=float(rng.uniform(0, 40)))), account, name, "in", "follow", "x"])
        for _burst in range(int(rng.integers(0, 4))):
            first = END - timedelta(days=float(rng.uniform(3, 250)))
            step = int(rng.integers(1, 4))
            length = float(rng.uniform(5, 70))
            rows += [[r[0], account if rng.random() < 0.8 else "brand", *r[2:]]
                     for r in conversation(name, first, min(first + timedelta(days=length), END - DAY * 2), step)]
        for _one in range(int(rng.integers(0, 5))):
            at = END - timedelta(days=float(rng.uniform(2, 250)))
            rows.append([iso(at), account, name, "in", str(rng.choice(["comment", "like", "mention"])), "x"])
    rows.append([iso(END - timedelta(hours=30)), "brand", "filler", "in", "dm", "x"])
    return rows


def _brute_force(store: Store, start: datetime, end: datetime, account: str | None, month_cuts: bool = False
                 ) -> dict[tuple[int, datetime], tuple[str, bool]]:
    """The slow definition, day by day: a person is watched from the day of their first touchpoint;
    a day before the midnight after their first conversation is "none"; any other day's tier is the
    scale's score *on that day* of every touchpoint before that day (its midnight), computed by the
    scale's own expressions for every (person, day) at once (each pair's touchpoints moved to one
    reference date, as tiers_before.score_pairs does): no state rolled forward, no run scored only at
    its ends, no cut. ``month_cuts``: the previous rule instead, the touchpoints before the latest month
    start or first conversation's midnight only (a touchpoint counted from the next month)."""
    import ibis

    from tiescale.scoring.run import score_expressions

    acc = "AND account = ?" if account else ""
    params: list[object] = [account] if account else []
    people = store.con.execute(f"""
        SELECT person_id, date_trunc('day', min(ts AT TIME ZONE 'UTC')),
               date_trunc('day', min(ts AT TIME ZONE 'UTC') FILTER (WHERE kind NOT IN {SILENT_KINDS})) + INTERVAL 1 DAY
        FROM touchpoints WHERE ts IS NOT NULL {acc} GROUP BY 1""", params).fetchall()
    grid = month_grid(start, end)
    out: dict[tuple[int, datetime], tuple[str, bool]] = {}
    pairs: list[tuple[int, int, datetime, datetime]] = []
    for person, known, talk in people:
        day = max(known, start)
        while day < end:
            if talk is None or day < talk:
                out[(person, day)] = (NO_RELATIONSHIP, False)
            else:
                cut = max([g for g in grid if g <= day] + [talk]) if month_cuts else day
                pairs.append((len(pairs), person, cut, day))
            day += DAY
    reference = max(p[3] for p in pairs)
    con = store.con
    con.execute("CREATE OR REPLACE TEMP TABLE bf_pairs (pair_id BIGINT, person_id BIGINT, cut TIMESTAMP, day TIMESTAMP)")
    con.executemany("INSERT INTO bf_pairs VALUES (?, ?, ?, ?)", [list(p) for p in pairs])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE bf_events AS
        SELECT i.account, i.platform, p.pair_id::VARCHAR || '|' || i.handle AS person, p.pair_id AS person_id,
               (i.ts AT TIME ZONE 'UTC') + (?::TIMESTAMP - p.day) AS ts, i.direction, i.kind, i.text
        FROM bf_pairs p JOIN touchpoints i ON i.person_id = p.person_id
        WHERE i.ts IS NOT NULL AND (i.ts AT TIME ZONE 'UTC') < p.cut {acc.replace('account', 'i.account')}""",
                [reference, *params])
    backend = ibis.duckdb.from_connection(con)
    scored = score_expressions(backend.table("bf_events"), reference)[1].select("person_id", "score").to_pyarrow()
    scores = dict(zip(scored.column("person_id").to_pylist(), scored.column("score").to_pylist(), strict=True))
    for pair_id, person, _cut, day in pairs:
        score = float(scores.get(pair_id, 0.0))
        out[(person, day)] = (tier_of(score), score >= 7.0)
    con.execute("DROP TABLE bf_events")
    con.execute("DROP TABLE bf_pairs")
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_person_days_by_tier_equal_a_brute_force_over_every_day(tmp_path: Path, seed: int) -> None:
    with Store(tmp_path / "r.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, _random_events(seed)))
        refresh_derived(store)  # the month starts composed from the score history
        end = datetime(2026, 6, 1)
        start = end - timedelta(days=150)
        previous_rule_differs = []
        for account in (None, "brand"):
            expected = _brute_force(store, start, end, account)
            counted = _by_day(exposure_segments(store, start, end, 7.0, account=account))
            assert counted == expected, (account, sorted(set(counted.items()) ^ set(expected.items()))[:10])
            # people talk several times inside a month: counting a touchpoint only from the next month
            # start (the previous rule) puts some of their days in another tier
            month_rule = _brute_force(store, start, end, account, month_cuts=True)
            previous_rule_differs.append(sum(month_rule[k] != v for k, v in expected.items()))
            moving = {p for (p, _d), (tier, _s) in expected.items() if tier != NO_RELATIONSHIP}
            assert len({t for t, _s in expected.values()}) >= 3 and len(moving) >= 4
            # a crossing inside a month, not at a month start, is among them
            assert any(d.day != 1 and expected.get((p, d - DAY), (t, s))[0] not in (t, NO_RELATIONSHIP)
                       for (p, d), (t, s) in expected.items())
            # the report's person-days by tier are those days
            pt = person_time(store, start, end, 7.0, account=account)
            for tier, group in pt.groups.items():
                if tier == "meaningful":
                    assert group.person_days == sum(1 for _t, s in expected.values() if s)
                else:
                    assert group.person_days == sum(1 for t, _s in expected.values() if t == tier), tier
        assert all(previous_rule_differs), previous_rule_differs
        # read from the touchpoints only (no month start composed): the same days
        assert _by_day(exposure_segments(store, start, end, 7.0, fresh=set())) == _brute_force(store, start, end, None)


# -- a store from before migration 25 -----------------------------------------------------------------
def test_a_store_from_before_migration_25_opens_and_scores_its_first_conversations_again(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    events = conversation("p", END - timedelta(days=50, hours=3), END - timedelta(days=20))
    events.append([iso(END - timedelta(days=90)), "brand", "p", "in", "follow", "x"])
    with Store(db) as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, events))
    con = duckdb.connect(str(db))
    for column in ("intensity", "weight_in", "weight_out", "turns", "two_way_days", "touchpoints_in",
                   "touchpoints_out", "dms", "words", "warm", "active_days", "regularity", "started_by_them",
                   "first_contact", "last_contact"):
        con.execute(f"ALTER TABLE first_talk_scores DROP COLUMN {column}")
    con.execute("INSERT INTO first_talk_scores SELECT person_id, TIMESTAMP '2026-04-12', 'old', 1, 1, 9.9 FROM people")
    con.execute("DELETE FROM schema_version WHERE version = 25")
    con.close()
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM first_talk_scores WHERE first_contact IS NULL") == 1
        refresh_derived(store)
        kept = store.row("SELECT talk, score, first_contact FROM first_talk_scores")
        assert kept is not None and kept["first_contact"] is not None and kept["score"] < 9.9
        store.con.execute("DELETE FROM revenue_person_time")
        from_kept = revenue_report(store, window_days=120).to_dict()
        store.con.execute("DELETE FROM first_talk_scores")
        assert revenue_report(store, window_days=120).to_dict() == from_kept
