"""The people at or above a score per scored date, kept with a stamp (insights/score_highs.py)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tiescale import Store, ingest_path
from tiescale.insights.score_highs import highs_sql
from tiescale.insights.snapshots import ensure_snapshot
from tiescale.scoring.history import scores_over_sql
from tiescale.scoring.run import score_store
from tiescale.store.identity import forget_person
from tests.scoring.test_engines import write_events

DATES = [datetime(2024, 3, 1), datetime(2024, 6, 1), datetime(2024, 9, 1), datetime(2024, 12, 1)]
MIN = 4.0


def composed(store: Store, dates: list[datetime], min_score: float = MIN) -> set[tuple]:
    union = " UNION ALL ".join(f"SELECT TIMESTAMP '{d.isoformat(sep=' ')}' AS at" for d in dates)
    return {(r["as_of"], r["person_id"], r["score"]) for r in store.rows(
        f"SELECT as_of, person_id, score FROM ({scores_over_sql(union, min_score=min_score)}) WHERE score >= ?",
        [min_score])}


def highs(store: Store, dates: list[datetime], min_score: float = MIN) -> set[tuple]:
    return {(r["as_of"], r["person_id"], r["score"]) for r in store.rows(highs_sql(store, dates, min_score))}


def stamps(store: Store) -> dict[datetime, str]:
    return {r["as_of"]: r["stamp"] for r in store.rows("SELECT as_of, stamp FROM score_highs_dates")}


def scored_store(tmp_path: Path, seed: int = 3) -> Store:
    events = tmp_path / "events.csv"
    write_events(events, n=1500, seed=seed)
    store = Store(tmp_path / "s.duckdb")
    ingest_path(store, events)
    for at in DATES:
        score_store(store, at)
    return store


def test_kept_rows_equal_the_composition_and_are_read_back(tmp_path: Path) -> None:
    with scored_store(tmp_path) as store:
        expected = composed(store, DATES)
        assert len({d for d, _, _ in expected}) == len(DATES), "people at 4+ on every date"
        assert highs(store, DATES) == expected
        kept = stamps(store)
        assert set(kept) == set(DATES)
        store.con.execute("UPDATE score_highs SET score = score + 100")  # read back, not composed again
        assert {s for _, _, s in highs(store, DATES)} == {s + 100 for _, _, s in expected}
        assert stamps(store) == kept


def test_a_late_import_composes_again_the_dates_after_it_only(tmp_path: Path) -> None:
    with scored_store(tmp_path) as store:
        highs(store, DATES)
        before = stamps(store)
        late = tmp_path / "late.csv"
        late.write_text("ts,account,person,direction,kind,platform,id,text\n" + "".join(
            f"2024-07-{d:02d}T10:00:00+00:00,brand,newbie,{'in' if d % 2 else 'out'},dm,x,late{d},\"thanks so much\"\n"
            for d in range(1, 29)), encoding="utf-8")
        ingest_path(store, late)
        for at in DATES:
            ensure_snapshot(store, at)  # as the refresh does: the dates the late import reaches only
        after_rows = highs(store, DATES)
        assert after_rows == composed(store, DATES)
        after = stamps(store)
        assert [after[d] == before[d] for d in DATES] == [True, True, False, False]
        newbie = store.scalar("SELECT person_id FROM identities WHERE handle = 'newbie'")
        assert {d for d, p, _ in after_rows if p == newbie} == {datetime(2024, 9, 1)}


def test_a_forgotten_person_leaves_the_kept_rows(tmp_path: Path) -> None:
    with scored_store(tmp_path) as store:
        rows = highs(store, DATES)
        person = max(rows, key=lambda r: r[2])[1]
        handle = store.row("SELECT platform, handle FROM identities WHERE person_id = ?", [person])
        forget_person(store, f"{handle['platform']}:{handle['handle']}")
        assert not store.scalar("SELECT count(*) FROM score_highs WHERE person_id = ?", [person])
        assert person not in {p for _, p, _ in highs(store, DATES)}
        assert highs(store, DATES) == composed(store, DATES)


def test_a_read_only_store_gets_the_same_rows_and_writes_nothing(tmp_path: Path) -> None:
    with scored_store(tmp_path) as store:
        highs(store, DATES[:2])  # two dates kept; the other two are not
        kept = stamps(store)
    with Store(tmp_path / "s.duckdb", read_only=True) as reader:
        got = highs(reader, DATES)
        assert got == composed(reader, DATES)
        assert stamps(reader) == kept


def test_after_a_merge_and_its_undo_the_rows_are_the_composition(tmp_path: Path) -> None:
    from tiescale.store.identity import merge_people, unmerge_person

    with scored_store(tmp_path) as store:
        highs(store, DATES)
        a, b = [f"{r['platform']}:{r['handle']}" for r in store.rows(
            "SELECT platform, handle FROM identities ORDER BY person_id LIMIT 2")]
        merge_people(store, a, b)
        for at in DATES:
            ensure_snapshot(store, at)
        assert highs(store, DATES) == composed(store, DATES)
        unmerge_person(store, a)
        for at in DATES:
            ensure_snapshot(store, at)
        assert highs(store, DATES) == composed(store, DATES)


def test_the_default_vanity_report_is_kept_by_the_refresh_and_read_back(tmp_path: Path) -> None:
    from tiescale.insights.derived import refresh_derived
    from tiescale.insights.goals import _vanity, vanity_state, vanity_vs_meaningful

    events = tmp_path / "events.csv"
    write_events(events, n=1500, seed=7)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        refresh_derived(store)
        kept = store.row("SELECT state, body FROM report_cache WHERE name = 'vanity'")
        assert kept is not None and kept["state"] == vanity_state(store)
        computed = _vanity(store, None, 7.0)
        assert vanity_vs_meaningful(store) == computed and len(computed.points) > 6
        # read back, not recomputed: a changed kept body shows
        store.con.execute("UPDATE report_cache SET body = replace(body, ?, 'kept statement')",
                          [computed.statement])
        assert vanity_vs_meaningful(store).statement == "kept statement"
        assert vanity_vs_meaningful(store, min_score=5.0).min_score == 5.0  # another threshold: computed
        more = tmp_path / "more.csv"
        write_events(more, n=200, seed=8)
        ingest_path(store, more)
        assert vanity_vs_meaningful(store).statement != "kept statement"  # the store moved: computed
        refresh_derived(store)
        assert store.scalar("SELECT state FROM report_cache WHERE name = 'vanity'") == vanity_state(store)
        assert vanity_vs_meaningful(store) == _vanity(store, None, 7.0)


def test_a_new_date_after_kept_ones_composes_the_kept_people_and_the_touched_ones_only(tmp_path: Path) -> None:
    """A date after a kept one reads the people kept there and those with history rows since (silence
    never raises a score): the same rows as composing everyone, whether the date is the newest
    (read from the score tables) or one in between."""
    with scored_store(tmp_path) as store:
        highs(store, DATES)
        between = datetime(2024, 10, 15)
        score_store(store, between, materialise=False)
        assert highs(store, [*DATES, between]) == composed(store, [*DATES, between])
        newest = datetime(2025, 1, 1)
        score_store(store, newest)
        for min_score in (MIN, 1.0):
            assert highs(store, [between, newest], min_score) == composed(store, [between, newest], min_score)


def test_a_first_run_between_kept_dates_keeps_the_later_dates_rows(tmp_path: Path) -> None:
    """A first run between two kept dates (one window back, after a full build that scored month
    starts only) writes history rows that the later date's rows shadow: the later kept dates stay
    (read back, not composed again) and still equal the composition."""
    with scored_store(tmp_path) as store:
        expected = composed(store, DATES)
        highs(store, DATES)
        store.con.execute("UPDATE score_highs SET score = score + 100 WHERE as_of >= ?", [DATES[2]])
        score_store(store, datetime(2024, 8, 15), materialise=False)
        written = store.scalar("SELECT count(*) FROM person_history WHERE as_of = TIMESTAMP '2024-08-15'")
        assert written > 0, "the run between wrote history rows"
        assert composed(store, DATES) == expected
        got = highs(store, DATES)
        assert {(d, p, round(s - 100 if d >= DATES[2] else s, 9)) for d, p, s in got} == \
            {(d, p, round(s, 9)) for d, p, s in expected}
        assert highs(store, DATES) == got  # restamped: the stamp holds now
