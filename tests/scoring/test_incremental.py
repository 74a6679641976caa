"""Incremental re-scoring gives exactly what a full recomputation gives."""
from __future__ import annotations

from pathlib import Path

import pytest

from tiescale import Store, forget_person, ingest_path, merge_people
from tiescale.scoring.history import scores_sql
from tiescale.scoring.run import DIMENSION_FIELDS, score_store
from tests.scoring.test_engines import write_events


def table(store: Store, name: str, keys: str, as_of: str) -> list[dict]:
    """The score rows at ``as_of`` (the score table at the newest date, else the history composed);
    people are named by their identities (person ids differ between stores)."""
    rows = scores_sql(store, as_of, "person" if name == "person_scores" else "connection")
    if name == "person_scores":
        sql = f"""SELECT (SELECT string_agg(platform || ':' || handle, ',' ORDER BY platform, handle)
                          FROM identities i WHERE i.person_id = s.person_id) AS who, s.* EXCLUDE (as_of, person_id)
                  FROM ({rows}) s WHERE as_of = ? ORDER BY who"""
    else:
        sql = f"SELECT * EXCLUDE (as_of) FROM ({rows}) WHERE as_of = ? ORDER BY {keys}"
    cursor = store.con.execute(sql, [as_of])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def assert_same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x["score"] == y["score"] and x["tier"] == y["tier"]
        for field in DIMENSION_FIELDS:
            if isinstance(x[field], float):
                assert y[field] == pytest.approx(x[field], rel=1e-9, abs=1e-9), field
            else:
                assert x[field] == y[field], field


def split_events(tmp_path: Path) -> tuple[Path, Path]:
    events = tmp_path / "all.csv"
    write_events(events, n=2500, seed=11)
    lines = events.read_text().splitlines()
    first = tmp_path / "first.csv"
    later = tmp_path / "later.csv"
    first.write_text("\n".join(lines[:1700]) + "\n")
    later.write_text("\n".join([lines[0], *lines[1700:]]) + "\n")
    return first, later


def test_rolling_forward_and_new_events_equal_a_full_recomputation(tmp_path: Path) -> None:
    first, later = split_events(tmp_path)
    with Store(tmp_path / "inc.duckdb") as inc:
        ingest_path(inc, first)
        assert score_store(inc, "2024-09-01").mode == "full"
        assert score_store(inc, "2024-11-15").mode == "incremental"  # roll forward, nothing new
        ingest_path(inc, later)  # new touchpoints, before and after the previous cut
        run = score_store(inc, "2025-02-01")
        assert run.mode == "incremental"
        merge_people(inc.con, "x:p1", "mastodon:p1")  # people regroup: person scores recomputed
        forget_person(inc.con, "x:p2")
        final = score_store(inc, "2025-03-01")
        assert final.mode == "incremental"
        with Store(tmp_path / "full.duckdb") as full:
            for path in (first, later):
                ingest_path(full, path)
            merge_people(full.con, "x:p1", "mastodon:p1")
            forget_person(full.con, "x:p2")
            assert score_store(full, "2025-03-01").mode == "full"
            for name, keys in (("connection_scores", "account, platform, person"), ("person_scores", "person_id")):
                assert_same(table(inc, name, keys, "2025-03-01"), table(full, name, keys, "2025-03-01"))
        forced = score_store(inc, "2025-03-01", force=True)
        assert forced.mode == "full"


def test_scoring_again_at_the_same_date_changes_nothing(tmp_path: Path) -> None:
    first, _ = split_events(tmp_path)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, first)
        score_store(store, "2024-10-01")
        before = table(store, "connection_scores", "account, platform, person", "2024-10-01")
        again = score_store(store, "2024-10-01")
        assert again.status == "unchanged"
        assert table(store, "connection_scores", "account, platform, person", "2024-10-01") == before


def test_non_midnight_as_of_uses_the_exact_path(tmp_path: Path) -> None:
    first, _ = split_events(tmp_path)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, first)
        run = score_store(store, "2024-10-01T12:30:00+00:00")
        assert run.mode == "full" and run.connections > 0
        # only touchpoints before the exact time count
        last = store.con.execute(
            "SELECT max(last_contact) FROM connection_scores WHERE as_of = TIMESTAMP '2024-10-01 12:30:00'").fetchone()[0]
        assert last < __import__("datetime").datetime(2024, 10, 1, 12, 30)


def test_every_incremental_snapshot_equals_a_full_recomputation(tmp_path: Path) -> None:
    """New days only (the additive path), a late older export (the recompute path), people on two
    platforms (person roll-ups): each snapshot checked, not only the last."""
    first, later = split_events(tmp_path)
    steps = [(first, "2024-08-01"), (None, "2024-09-15"), (None, "2024-11-01"), (later, "2025-01-10"),
             (None, "2025-02-20")]
    imported: list[Path] = []
    with Store(tmp_path / "inc.duckdb") as inc:
        for n, (path, as_of) in enumerate(steps):
            if path is not None:
                ingest_path(inc, path)
                imported.append(path)
            if n == 0:
                merge_people(inc.con, "x:p1", "mastodon:p1")  # one person, two platforms
            run = score_store(inc, as_of)
            assert run.mode == ("full" if n == 0 else "incremental")
            with Store(tmp_path / f"full{n}.duckdb") as full:
                for p in imported:
                    ingest_path(full, p)
                merge_people(full.con, "x:p1", "mastodon:p1")
                assert score_store(full, as_of, force=True).mode == "full"
                for name, keys in (("connection_scores", "account, platform, person"), ("person_scores", "person_id")):
                    assert_same(table(inc, name, keys, as_of), table(full, name, keys, as_of))
        multi = inc.con.execute("""SELECT count(*) FROM (SELECT i.person_id FROM connection_scores s
            JOIN identities i ON i.platform = s.platform AND i.handle = s.person WHERE s.as_of = '2025-02-20'
            GROUP BY 1 HAVING count(*) > 1)""").fetchone()[0]
        assert multi > 0  # people with several connections took part


def test_a_scoped_run_counts_the_keys_the_history_composes_tombstones_left_out(tmp_path: Path) -> None:
    """A run at a date whose score tables are not written counts the keys alive there from the history;
    after a merge (a tombstone for the merged person) the count equals the rows composed at that date."""
    first, later = split_events(tmp_path)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, first)
        score_store(store, "2024-08-01")
        merge_people(store.con, "x:p1", "mastodon:p1")
        score_store(store, "2024-09-01")
        assert store.scalar("SELECT count(*) FROM person_history WHERE removed") > 0
        ingest_path(store, later)
        score_store(store, "2025-03-01")
        run = score_store(store, "2024-10-01", materialise=False)  # scoped: not the newest date
        assert run.mode == "incremental"
        for level, count in (("connection", run.connections), ("person", run.people)):
            composed = store.scalar(f"SELECT count(*) FROM ({scores_sql(store, '2024-10-01', level)})")
            assert count == composed, level


def test_a_scoped_runs_count_from_the_previous_one_equals_counting_every_key(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A scoped run counts from the previous run's count and its own rows; after a forget (which the
    previous count still holds) it counts every key again. Both equal the rows composed there."""
    import tiescale.scoring.incremental as incremental

    counted_again: list[str] = []
    every_key = incremental._alive
    monkeypatch.setattr(incremental, "_alive", lambda store, level, as_of: counted_again.append(level)
                        or every_key(store, level, as_of))
    first, later = split_events(tmp_path)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, first)
        score_store(store, "2024-08-01")
        ingest_path(store, later)  # late touchpoints too: the scoped run recomputes their connections
        score_store(store, "2025-03-01")
        for when, forget in (("2024-09-01", None), ("2024-11-01", "x:p2")):
            if forget:
                forget_person(store, forget)
            run = score_store(store, when, materialise=False)  # scoped: not the newest date
            assert run.mode == "incremental"
            assert counted_again == ([] if forget is None else ["connection", "person"]), when
            for level, count in (("connection", run.connections), ("person", run.people)):
                composed = store.scalar(f"SELECT count(*) FROM ({scores_sql(store, when, level)})")
                assert count == composed and count > 0, (when, level)
