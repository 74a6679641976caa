"""The same scoring on DuckDB and on Spark (local mode), over the same data: the same scores."""
from __future__ import annotations

import random
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tiescale import Store, ingest_path
from tiescale.scoring.run import DIMENSION_FIELDS, score_store

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")]

# "ñlove" and "niño": engines that disagree on non-ASCII word boundaries would count warmth differently
WORDS = ["thanks", "love", "the", "roast", "where", "is", "my", "order", "great", "awful", "ok", "café", "🙂",
         "ñlove", "niño"]


def write_events(path: Path, n: int = 3000, seed: int = 3) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = ["ts,account,person,direction,kind,platform,id,text"]
    for i in range(n):
        person = f"p{int(rng.paretovariate(1.2)) % 300}"
        # sub-second times too (Bluesky has milliseconds): engines must agree to the second
        ts = start + timedelta(seconds=rng.randrange(0, 400 * 86400), microseconds=rng.choice([0, 999_999, 250_000]))
        kind = rng.choice(["reply", "mention", "dm", "like", "repost", "comment", "quote", "follow", "other"])
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 8)))
        lines.append(f"{ts.isoformat()},{rng.choice(['brand', 'brand2'])},{person},{rng.choice(['in', 'out'])},"
                     f"{kind},{rng.choice(['x', 'mastodon'])},{i},\"{text}\"")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def snapshot(store: Store, table: str, keys: str) -> list[dict]:
    cursor = store.con.execute(f"SELECT * EXCLUDE (as_of) FROM {table} ORDER BY {keys}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def scores(store: Store) -> tuple[list[dict], list[dict]]:
    return (snapshot(store, "connection_scores", "account, platform, person"),
            snapshot(store, "person_scores", "person_id"))


def assert_same_scores(expected: tuple[list[dict], list[dict]], got: tuple[list[dict], list[dict]]) -> None:
    for duck_rows, spark_rows in zip(expected, got):
        assert len(duck_rows) == len(spark_rows)
        for duck, spark in zip(duck_rows, spark_rows):
            assert duck["score"] == spark["score"] and duck["tier"] == spark["tier"]
            for field in DIMENSION_FIELDS:
                a, b = duck[field], spark[field]
                if isinstance(a, float):
                    assert b == pytest.approx(a, rel=1e-9, abs=1e-9), field
                else:
                    assert a == b, field


def test_duckdb_and_spark_give_the_same_scores(tmp_path: Path) -> None:
    """Spark reads the store's canonical events export (Parquet) and gives exactly DuckDB's scores."""
    from tiescale.store.export import export_events

    events = tmp_path / "events.csv"
    write_events(events)
    results = {}
    for engine in ("duckdb", "spark"):
        with Store(tmp_path / f"{engine}.duckdb") as store:
            ingest_path(store, events)
            run = score_store(store, "2025-01-15", engine=engine)
            assert run.status == "scored" and run.connections > 100
            results[engine] = scores(store)
    assert_same_scores(results["duckdb"], results["spark"])
    # handed over as `tiescale export events --format parquet` wrote it, as a cluster would read it
    handed = tmp_path / "handed.parquet"
    with Store(tmp_path / "handover.duckdb") as store:
        ingest_path(store, events)
        export_events(store, "parquet", handed)
        score_store(store, "2025-01-15", engine="spark", events_path=str(handed))
        assert_same_scores(results["duckdb"], scores(store))


def test_spark_refuses_events_that_are_not_this_stores(tmp_path: Path) -> None:
    """Another store's export, or an export older than the store: one clear error, nothing written."""
    from tiescale.scoring.engines import EngineError
    from tiescale.store.export import export_events

    mine, theirs = tmp_path / "mine.csv", tmp_path / "theirs.csv"
    write_events(mine, n=300, seed=1)
    write_events(theirs, n=300, seed=2)
    theirs.write_text(re.sub(r",p(\d+),", r",q\1,", theirs.read_text()))  # other people
    other = tmp_path / "other.parquet"
    with Store(tmp_path / "other.duckdb") as store:
        ingest_path(store, theirs)
        export_events(store, "parquet", other)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, mine)
        with pytest.raises(EngineError, match=r"other\.parquet: .* touchpoints are of people this store does not "
                                              r"know \(first: \w+:q\d+\); import the file into the store first"):
            score_store(store, "2025-01-15", engine="spark", events_path=str(other))
        old = tmp_path / "old.parquet"
        export_events(store, "parquet", old)
        more = tmp_path / "more.csv"
        write_events(more, n=50, seed=3)
        more.write_text(more.read_text().replace(",2024-", ",2023-"))
        ingest_path(store, more)
        with pytest.raises(EngineError, match=r"old\.parquet: \d+ dated touchpoints, but the store holds \d+; "
                                              r"export the store again"):
            score_store(store, "2025-01-15", engine="spark", events_path=str(old))
        assert store.con.execute("SELECT count(*) FROM connection_scores").fetchone()[0] == 0
        assert store.con.execute("SELECT count(*) FROM score_runs").fetchone()[0] == 0


def test_the_cli_names_a_missing_events_file_and_the_flags_that_need_spark(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tiescale.surfaces.cli import main

    db = str(tmp_path / "s.duckdb")
    events = tmp_path / "events.csv"
    write_events(events, n=50)
    assert CliRunner().invoke(main, ["--db", db, "ingest", str(events)]).exit_code == 0
    missing = CliRunner().invoke(main, ["--db", db, "score", "--engine", "spark", "--events", "nowhere.parquet"])
    assert missing.exit_code != 0
    assert "nowhere.parquet: no such events file" in missing.output
    wrong = CliRunner().invoke(main, ["--db", db, "score", "--events", "nowhere.parquet"])
    assert wrong.exit_code == 2 and "--events and --spark-master are for --engine spark" in wrong.output


def test_spark_refuses_an_export_whose_touchpoints_changed_and_names_unreadable_files(tmp_path: Path) -> None:
    """Same count, other times: refused. Not Parquet: one line. Nothing written either way."""
    import duckdb

    from tiescale.scoring.engines import EngineError
    from tiescale.store.export import export_events

    events = tmp_path / "events.csv"
    write_events(events, n=200, seed=6)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        good = tmp_path / "good.parquet"
        export_events(store, "parquet", good)
        shifted = tmp_path / "shifted.parquet"
        duckdb.sql(f"""COPY (SELECT * REPLACE (strftime(ts::TIMESTAMPTZ - INTERVAL 200 DAY, '%Y-%m-%dT%H:%M:%S.%f+00:00')
                       AS ts) FROM '{good}') TO '{shifted}' (FORMAT parquet)""")
        with pytest.raises(EngineError, match=r"shifted\.parquet: its touchpoints differ from the store's"):
            score_store(store, "2025-01-15", engine="spark", events_path=str(shifted))
        text = tmp_path / "notes.parquet"
        text.write_text("not parquet\n")
        with pytest.raises(EngineError, match=r"notes\.parquet: Spark cannot read it") as caught:
            score_store(store, "2025-01-15", engine="spark", events_path=str(text))
        assert "\n" not in str(caught.value) and "An error occurred while calling" not in str(caught.value)
        assert store.con.execute("SELECT count(*) FROM score_runs").fetchone()[0] == 0


def test_spark_on_an_empty_store_scores_nobody(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as store:
        run = score_store(store, "2025-01-15", engine="spark")
        assert (run.status, run.connections, run.people) == ("scored", 0, 0)


def test_a_cluster_needs_the_events_handed_over(tmp_path: Path) -> None:
    from tiescale.scoring.engines import EngineError

    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(EngineError, match=r"spark master sc://spark\.example:15002: a cluster cannot read a "
                                              r"temporary export on this machine; .* pass them with --events"):
            score_store(store, "2025-01-15", engine="spark", spark_master="sc://spark.example:15002")
