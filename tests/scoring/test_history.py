"""Score history as change rows: the composed score of any date equals a full recomputation there."""
from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiescale import Store, ingest_path, merge_people
from tiescale.scoring.config import RAW_DIMENSIONS
from tiescale.scoring.engines import duckdb_events
from tiescale.scoring.history import composed_sql, compose, history_table, scores_over_sql
from tiescale.scoring.run import DIMENSION_FIELDS, score_expressions, score_store

from .test_across import assert_same

START = datetime(2025, 1, 1)
KINDS = ["reply", "mention", "dm", "like", "comment", "repost", "follow", "wave"]
TEXTS = ["", "thanks so much love it", "where is my order", "ok great"]

touch = st.tuples(
    st.integers(0, 3),  # person
    st.sampled_from(["x", "mastodon"]),
    st.sampled_from(["brand", "brand2"]),
    st.sampled_from(["in", "out"]),
    st.sampled_from(KINDS),
    st.floats(0, 120),  # days after START
    st.sampled_from(TEXTS),
)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write_csv(path: Path, touches: list[tuple[Any, ...]]) -> None:
    lines = ["ts,account,person,direction,kind,platform,id,text"]
    for n, (person, platform, account, direction, kind, days, text) in enumerate(touches):
        ts = START + timedelta(days=days)
        lines.append(f"{ts.isoformat()}+00:00,{account},p{person},{direction},{kind},{platform},{n},\"{text}\"")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rows(store: Store, sql: str, key: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    found = store.rows(sql)
    return {tuple(r[k] for k in key): r for r in found}


def recomputed(store: Store, at: datetime) -> tuple[dict[tuple[Any, ...], dict[str, Any]], ...]:
    """Every connection's and person's score row at ``at`` from the touchpoints (scoring.run.score_expressions)."""
    with duckdb_events(store) as (events, _backend):
        connections, people = (e.to_pyarrow().to_pylist() for e in score_expressions(events, at))
    return ({(r["account"], r["platform"], r["person"]): r for r in connections},
            {(r["person_id"],): r for r in people})


def assert_rows_equal(expected: dict[tuple[Any, ...], dict[str, Any]],
                      got: dict[tuple[Any, ...], dict[str, Any]], where: str) -> None:
    assert set(expected) == set(got), where
    for key, row in expected.items():
        other = got[key]
        assert (row["score"], row["tier"]) == (other["score"], other["tier"]), (where, key)
        for field in DIMENSION_FIELDS:
            if isinstance(row[field], float):
                assert other[field] == pytest.approx(row[field], rel=1e-9, abs=1e-9), (where, key, field)
            else:
                assert other[field] == row[field], (where, key, field)


def assert_composition_is_exact(store: Store, at: datetime) -> None:
    connections, people = recomputed(store, at)
    assert_rows_equal(connections, rows(store, composed_sql(at, "connection"), ("account", "platform", "person")),
                      f"connections at {at}")
    assert_rows_equal(people, rows(store, composed_sql(at, "person"), ("person_id",)), f"people at {at}")


@SETTINGS
@given(touches=st.lists(touch, min_size=1, max_size=30),
       run_days=st.lists(st.integers(1, 150), min_size=1, max_size=5, unique=True),
       later_days=st.lists(st.floats(0, 90), min_size=1, max_size=2),
       merge=st.booleans())
def test_the_composed_score_equals_a_full_recomputation(touches: list[tuple[Any, ...]], run_days: list[int],
                                                        later_days: list[float], merge: bool) -> None:
    """Random touchpoints, runs at random dates in random order (Hypothesis orders the list), one
    person on two platforms or not: at every run date, and at dates after the last touchpoint (and
    a run after it) that were never scored, the composition equals recomputing from the touchpoints."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "events.csv"
        write_csv(csv, touches)
        with Store(Path(tmp) / "s.duckdb") as store:
            ingest_path(store, csv)
            if merge and store.scalar(
                    "SELECT count(DISTINCT platform) FROM identities WHERE handle = 'p0'") == 2:
                merge_people(store.con, "x:p0", "mastodon:p0")
            dates = [START + timedelta(days=d) for d in run_days]
            for at in dates:
                score_store(store, at)
            last = max(START + timedelta(days=t[5]) for t in touches)
            # never scored, after the last touchpoint and a run after it: time passing, nothing written
            later = [max(dates) + timedelta(days=d) for d in later_days] if max(dates) > last else []
            for at in dates + later:
                assert_composition_is_exact(store, at)


def _history_at(store: Store, table: str, at: datetime) -> list[tuple[Any, ...]]:
    return store.con.execute(f"SELECT * EXCLUDE (as_of) FROM {table} WHERE as_of = ? ORDER BY connection_id",
                             [at]).fetchall()


def test_a_full_runs_history_waits_in_the_score_tables_until_they_are_rewritten(tmp_path: Path) -> None:
    """A full run at the newest date stores no history row: the score tables hold them, and the
    history views show them. A run at an earlier date leaves them there; the next run at a later
    date writes them out as stored rows (those the earlier date's rows do not already compose), and
    the composition is exact at every step."""
    from tests.scoring.test_engines import write_events

    events = tmp_path / "events.csv"
    write_events(events, n=600, seed=5)
    first = datetime(2025, 2, 10)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        assert score_store(store, first).mode == "full"
        pending = store.con.execute("SELECT level, as_of FROM history_pending ORDER BY level").fetchall()
        assert pending == [("connection", first), ("person", first)]
        assert store.scalar("SELECT count(*) FROM connection_history") == 0
        assert store.scalar("SELECT count(*) FROM person_history") == 0
        assert store.scalar("SELECT count(*) FROM connection_history_all") == store.scalar(
            "SELECT count(*) FROM connection_scores") > 0
        assert store.scalar("SELECT count(*) FROM person_history_all") == store.scalar(
            "SELECT count(*) FROM person_scores") > 0
        shown = _history_at(store, "connection_history_all", first)
        for at in (first, first + timedelta(days=5)):
            assert_composition_is_exact(store, at)

        earlier = first - timedelta(days=40)
        score_store(store, earlier)  # not the newest date: the score tables stay, and so do their rows
        assert store.scalar("SELECT count(*) FROM history_pending") == 2
        for at in (earlier, first):
            assert_composition_is_exact(store, at)

        later = first + timedelta(days=1)
        assert score_store(store, later).mode == "incremental"
        assert store.scalar("SELECT count(*) FROM history_pending") == 0
        # written out as change rows: the pending ones the earlier date's rows do not already compose
        stored = _history_at(store, "connection_history", first)
        assert stored and set(stored) < set(shown)
        for at in (earlier, first, later, later + timedelta(days=30)):
            assert_composition_is_exact(store, at)


def test_a_full_run_again_at_the_pending_date_rewrites_its_rows(tmp_path: Path) -> None:
    """A forced full run at the date whose rows are pending, and a full run at a later date: each
    leaves one pending date (its own) and an exact composition at every date scored."""
    from tests.scoring.test_engines import write_events

    events = tmp_path / "events.csv"
    write_events(events, n=400, seed=6)
    first = datetime(2025, 2, 10)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        score_store(store, first)
        assert score_store(store, first, force=True).mode == "full"
        assert store.con.execute("SELECT DISTINCT as_of FROM history_pending").fetchall() == [(first,)]
        assert store.scalar("SELECT count(*) FROM connection_history") == 0
        later = first + timedelta(days=20)
        assert score_store(store, later, force=True).mode == "full"
        assert store.con.execute("SELECT DISTINCT as_of FROM history_pending").fetchall() == [(later,)]
        assert store.scalar("SELECT count(*) FROM connection_history WHERE as_of = ?", [first]) > 0
        for at in (first, later):
            assert_composition_is_exact(store, at)


def test_a_year_of_daily_scores_of_an_unchanged_store_writes_no_history(tmp_path: Path) -> None:
    from tests.scoring.test_engines import write_events

    events = tmp_path / "events.csv"
    write_events(events, n=600, seed=4)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        first = datetime(2025, 2, 10)
        score_store(store, first)
        written = store.scalar("SELECT count(*) FROM connection_history_all") + store.scalar(
            "SELECT count(*) FROM person_history_all")
        for day in range(1, 30):
            score_store(store, first + timedelta(days=day))
        assert store.scalar("SELECT count(*) FROM connection_history") + store.scalar(
            "SELECT count(*) FROM person_history") == written  # the first run's rows, written out once
        assert store.scalar("SELECT count(DISTINCT as_of) FROM connection_scores") == 1  # the newest date only
        assert_composition_is_exact(store, first + timedelta(days=12))
        assert_composition_is_exact(store, first + timedelta(days=29))


def test_composing_a_few_keys_gives_their_rows_of_the_whole_composition(tmp_path: Path) -> None:
    """``scores_over_sql(only=[...])`` (a page of people) filters the history before composing: the
    rows are those keys' rows of the composition of everyone, at scored and unscored dates."""
    with scored_events_store(tmp_path, 600, (datetime(2024, 6, 1), datetime(2024, 9, 1), datetime(2025, 2, 1))) \
            as store:
        people = [r["person_id"] for r in store.rows("SELECT person_id FROM people ORDER BY person_id")]
        some = people[::3][:6]
        dates = "SELECT TIMESTAMP '2024-09-01' AS at UNION ALL SELECT TIMESTAMP '2024-12-15' AS at"
        everyone = rows(store, f"SELECT * FROM ({scores_over_sql(dates)}) WHERE person_id IN ({', '.join(map(str, some))})",
                        ("as_of", "person_id"))
        assert len(everyone) >= 6
        assert rows(store, scores_over_sql(dates, only=some), ("as_of", "person_id")) == everyone
        assert rows(store, scores_over_sql(dates, only=[]), ("as_of", "person_id")) == {}


def test_a_late_import_is_exact_again_once_its_date_is_rescored(tmp_path: Path) -> None:
    """An export imported late changes the past: the run at each date after it writes the changes."""
    from tests.scoring.test_incremental import split_events

    first, later = split_events(tmp_path)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, first)
        dates = [datetime(2024, 9, 1), datetime(2025, 2, 1), datetime(2024, 12, 1)]
        for at in dates:
            score_store(store, at)
        ingest_path(store, later)
        for at in dates:
            assert score_store(store, at).status == "scored"
        for at in dates:
            assert_composition_is_exact(store, at)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_the_composition_is_the_same_on_spark(tmp_path: Path) -> None:
    """The compose expression on a small history table: DuckDB and Spark (local mode) agree."""
    pytest.importorskip("pyspark")
    import ibis
    import pandas as pd
    from pyspark.sql import SparkSession

    base = {c: 0 for c in RAW_DIMENSIONS}
    records = [
        {**base, "connection_id": 1, "as_of": datetime(2025, 1, 1), "intensity": 12.0, "weight_in": 5.0,
         "weight_out": 4.0, "turns": 3.0, "two_way_days": 4, "touchpoints_in": 9, "touchpoints_out": 6, "dms": 2,
         "words": 120, "warm": 2.0, "active_days": 7, "regularity": 5.5, "started_by_them": 1,
         "first_contact": datetime(2024, 10, 3, 9), "last_contact": datetime(2024, 12, 30, 17, 5), "removed": False},
        {**base, "connection_id": 1, "as_of": datetime(2025, 2, 1), "intensity": 3.0, "weight_in": 2.0,
         "weight_out": 1.0, "turns": 1.0, "two_way_days": 5, "touchpoints_in": 10, "touchpoints_out": 8, "dms": 2,
         "words": 150, "warm": 2.5, "active_days": 9, "regularity": 4.0, "started_by_them": 1,
         "first_contact": datetime(2024, 10, 3, 9), "last_contact": datetime(2025, 1, 28, 8), "removed": False},
        {**base, "connection_id": 2, "as_of": datetime(2025, 1, 1), "intensity": 1.5, "weight_in": 1.5,
         "weight_out": 0.0, "turns": 0.0, "touchpoints_in": 2, "active_days": 2, "regularity": 1.9,
         "started_by_them": 1, "first_contact": datetime(2024, 12, 1), "last_contact": datetime(2024, 12, 20),
         "removed": False},
        {**base, "connection_id": 3, "as_of": datetime(2025, 1, 1), "intensity": 4.0, "weight_in": 2.0,
         "weight_out": 2.0, "turns": 1.0, "two_way_days": 1, "touchpoints_in": 2, "touchpoints_out": 2,
         "active_days": 1, "regularity": 1.0, "first_contact": datetime(2024, 12, 31),
         "last_contact": datetime(2024, 12, 31, 12), "removed": False},
        {**{c: None for c in RAW_DIMENSIONS}, "connection_id": 3, "as_of": datetime(2025, 1, 20), "removed": True},
    ]
    history = pd.DataFrame(records)
    schema = history_table("connection").schema()
    duck_table = ibis.duckdb.connect().create_table("connection_history", ibis.memtable(history, schema=schema))
    spark = (SparkSession.builder.master("local[1]").appName("tiescale-history")
             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
             .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
             .getOrCreate())
    spark_schema = ", ".join(f"{name} {'timestamp' if dtype.is_timestamp() else 'bigint' if dtype.is_integer() else 'boolean' if dtype.is_boolean() else 'double'}"
                             for name, dtype in schema.items())
    def typed(value: Any, dtype: Any) -> Any:
        return float(value) if value is not None and dtype.is_floating() else value

    spark.createDataFrame([[typed(r[c], schema[c]) for c in schema.names] for r in records], schema=spark_schema) \
        .createOrReplaceTempView("connection_history")
    spark_table = ibis.pyspark.connect(spark).table("connection_history")
    for at in (datetime(2025, 1, 10), datetime(2025, 2, 1), datetime(2025, 3, 17, 6)):
        on_duck = compose(duck_table, "connection_id", at).to_pyarrow().to_pylist()
        on_spark = compose(spark_table, "connection_id", at).to_pyarrow().to_pylist()
        expected = {r["connection_id"]: r for r in on_duck}
        assert set(expected) == ({1, 2} if at > datetime(2025, 1, 20) else {1, 2, 3})
        assert_rows_equal({(k,): r for k, r in expected.items()},
                          {(r["connection_id"],): r for r in on_spark}, f"spark at {at}")


def test_a_store_of_the_previous_release_migrates_its_snapshots_to_history(tmp_path: Path) -> None:
    """Full dated snapshots (what the previous release wrote at every score) become change rows on
    open: every date composes to the same rows, only the newest stays in the score tables, and an
    unchanged connection's later snapshots are not copied."""
    from tests.scoring.test_engines import write_events
    from tests.scoring.test_incremental import assert_same, table

    events = tmp_path / "events.csv"
    write_events(events, n=900, seed=8)
    dates = ["2024-06-01", "2024-09-01", "2025-02-15", "2025-03-01"]
    keys = "account, platform, person"
    with Store(tmp_path / "old.duckdb") as store:
        ingest_path(store, events)
        for at in dates:
            score_store(store, at)
        expected = {at: (table(store, "connection_scores", keys, at), table(store, "person_scores", "", at))
                    for at in dates}
        # as the previous release left it: a whole snapshot per date, no history, schema v15
        for at in dates[:-1]:
            when = datetime.fromisoformat(at)
            store.con.execute(f"INSERT INTO connection_scores BY NAME {composed_sql(when, 'connection')}")
            store.con.execute(f"INSERT INTO person_scores BY NAME {composed_sql(when, 'person')}")
        snapshot_rows = store.scalar("SELECT count(*) FROM connection_scores")
        store.con.execute("DROP TABLE connection_history")
        store.con.execute("DROP TABLE person_history")
        store.con.execute("DROP TABLE history_pending")
        store.con.execute("ALTER TABLE score_runs DROP COLUMN people")
        store.con.execute("DELETE FROM schema_version WHERE version >= 16")
    with Store(tmp_path / "old.duckdb") as store:
        assert store.scalar("SELECT max(version) FROM schema_version") >= 16
        assert store.scalar("SELECT count(DISTINCT as_of) FROM connection_scores") == 1
        assert store.scalar("SELECT count(*) FROM connection_history WHERE NOT removed") < snapshot_rows
        assert store.scalar("SELECT people FROM score_runs WHERE as_of = '2025-03-01'") == len(expected["2025-03-01"][1])
        for at in dates:
            connections, people = expected[at]
            assert_same(connections, table(store, "connection_scores", keys, at))
            assert_same(people, table(store, "person_scores", "", at))
        assert score_store(store, "2025-03-20").mode == "incremental"
        for at in ("2025-03-20", "2025-02-15"):
            assert_composition_is_exact(store, datetime.fromisoformat(at))


def test_state_from_the_materialised_date_equals_the_composition(tmp_path: Path) -> None:
    """A run's previous state read from the newest date's score table and the history rows after it
    equals composing the whole history, for every key and for some; it is not used when the history
    under that table changed in a way that may move it (a late import scored at an earlier date)."""
    from tiescale.scoring.history import history_unchanged_since, materialised_state_sql, state_sql
    with scored_events_store(tmp_path, 1500, (datetime(2024, 6, 1), datetime(2024, 9, 1), datetime(2024, 12, 1))) \
            as store:
        score_store(store, datetime(2024, 11, 10), materialise=False)  # a first run between: shadowed
        newest = datetime(2024, 12, 1)
        later = datetime(2025, 1, 3)
        score_store(store, datetime(2025, 1, 1), materialise=False)  # rows after the materialised date
        store.con.execute("CREATE TEMP TABLE some_keys AS SELECT connection_id FROM connections WHERE connection_id % 3 = 0")
        store.con.execute("CREATE TEMP TABLE some_people AS SELECT person_id FROM people WHERE person_id % 4 = 1")
        for level, keys in (("connection", None), ("connection", "some_keys"), ("person", None),
                            ("person", "some_people")):
            for upto in (newest, datetime(2025, 1, 1)):
                fast = materialised_state_sql(store.con, level, upto, later, keys=keys)
                assert fast is not None, (level, keys, upto)
                key = "connection_id" if level == "connection" else "person_id"
                want = {r[key]: r for r in store.rows(state_sql(level, upto, later, keys=keys))}
                got = {r[key]: r for r in store.rows(fast)}
                assert want
                assert_same(got, want, rel=1e-9)
        assert materialised_state_sql(store.con, "person", datetime(2024, 11, 1), later) is None  # before it
        # a late import scored at an earlier date only: its rows are the latest of their keys there
        scored_at = store.scalar("SELECT max(computed_at) FROM score_runs WHERE as_of = ?", [newest])
        late = tmp_path / "late.csv"
        late.write_text("ts,account,person,direction,kind,platform,id,text\n" + "".join(
            f"2024-10-{d:02d}T10:00:00+00:00,brand,latecomer,in,dm,x,late{d},\"hello there\"\n"
            for d in range(1, 20)), encoding="utf-8")
        ingest_path(store, late)
        score_store(store, datetime(2024, 10, 20), materialise=False)
        assert not history_unchanged_since(store.con, "person", scored_at, newest)
        assert materialised_state_sql(store.con, "person", newest, later) is None


def scored_events_store(tmp_path: Path, n: int, dates: tuple[datetime, ...], seed: int = 5) -> Store:
    """A store of ``n`` synthetic events (tests.scoring.test_engines), scored at ``dates`` in order."""
    from tests.scoring.test_engines import write_events

    events = tmp_path / "events.csv"
    write_events(events, n=n, seed=seed)
    store = Store(tmp_path / "s.duckdb")
    ingest_path(store, events)
    for at in dates:
        score_store(store, at)
    return store
