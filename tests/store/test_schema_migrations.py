"""Migrations bring a store written by an older tiescale up to date when it is opened."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tiescale import Store, ingest_path
from tiescale.scoring.run import score_store
from tiescale.store.schema import LATEST, MIGRATIONS
from tiescale.text.features import text_features_version
from tests.scoring.test_engines import write_events
from tests.scoring.test_incremental import assert_same, table

RENAMED = {"text_features": "text_features_version", "nurture_messages": "answer_messages",
           "nurture_people": "answer_people", "nurture_index_state": "answer_index_state"}


def tables(store: Store) -> set[str]:
    return {r["table_name"] for r in store.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'")}


#: The migration that renamed ``interactions.person`` to ``handle``.
HANDLE_RENAMED = 15


def as_before_handle(store: Store) -> None:
    """The store as a tiescale before migration 15 left it: the handle column still named ``person``,
    the touchpoints view (migration 14) over that name."""
    store.con.execute("ALTER TABLE interactions RENAME COLUMN handle TO person")
    store.con.execute("""CREATE OR REPLACE VIEW touchpoints AS SELECT i.*, d.person_id
                         FROM interactions i JOIN identities d ON d.platform = i.platform AND d.handle = i.person""")
    store.con.execute("DELETE FROM schema_version WHERE version >= ?", [HANDLE_RENAMED])


def as_before_touchpoints(store: Store) -> None:
    """The store as a tiescale before migration 14 left it: old table names, no touchpoints view."""
    as_before_handle(store)
    store.con.execute("DROP VIEW touchpoints")
    for old, new in RENAMED.items():
        store.con.execute(f"ALTER TABLE {new} RENAME TO {old}")
    store.con.execute("DELETE FROM schema_version WHERE version >= 14")


def test_an_older_store_gets_the_touchpoints_view_and_the_new_table_names(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    write_events(events, n=300, seed=7)
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        ingest_path(store, events)
        store.con.execute("INSERT INTO answer_people (person_id, last_in, last_out, last_contact, active_days, "
                          "median_gap_days) VALUES (1, NULL, NULL, NULL, 3, 2.5)")
        version = store.scalar("SELECT version FROM text_features_version")
        as_before_touchpoints(store)
        assert "touchpoints" not in {r["view_name"] for r in store.rows("SELECT view_name FROM duckdb_views()")}
    with Store(path) as store:
        assert store.schema_version >= 14
        found = tables(store)
        assert set(RENAMED.values()) <= found and not set(RENAMED) & found
        assert store.scalar("SELECT version FROM text_features_version") == version
        assert store.rows("SELECT person_id, active_days FROM answer_people") == [
            {"person_id": 1, "active_days": 3}]
        total = store.scalar("SELECT count(*) FROM interactions")
        assert total and store.scalar("SELECT count(*) FROM touchpoints") == total
        joined = store.scalar("""SELECT count(*) FROM interactions i JOIN identities d
                                 ON d.platform = i.platform AND d.handle = i.handle""")
        assert store.scalar("SELECT count(*) FROM touchpoints") == joined
        columns = [r["column_name"] for r in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            ["touchpoints"])]
        interaction_columns = [r["column_name"] for r in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            ["interactions"])]
        assert columns == [*interaction_columns, "person_id"]


def test_the_primary_key_survives_the_rename(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.con.execute("INSERT INTO answer_people (person_id) VALUES (1)")
        with pytest.raises(duckdb.ConstraintException, match="primary key"):
            store.con.execute("INSERT INTO answer_people (person_id) VALUES (1)")


def as_at_version_9(store: Store) -> None:
    """The store as a tiescale with migrations 1-9 wrote it: no text features, connection ids, view."""
    as_before_touchpoints(store)
    for sql in ("DROP TABLE text_features",
                "ALTER TABLE interactions DROP COLUMN words", "ALTER TABLE interactions DROP COLUMN warmth",
                "ALTER TABLE interactions DROP COLUMN connection_id",
                "ALTER TABLE connection_scores DROP COLUMN connection_id",
                "DROP TABLE connections", "DROP SEQUENCE connection_seq",
                "ALTER TABLE scoring_dirty DROP COLUMN marked_at",
                "DELETE FROM schema_version WHERE version >= 10"):
        store.con.execute(sql)


def test_a_store_from_before_the_text_features_migrates_and_scores_as_a_fresh_import(tmp_path: Path) -> None:
    """Migrations 10 and 11 only add the columns; the store computes the values with today's expressions."""
    events = tmp_path / "events.csv"
    write_events(events, n=800, seed=11)
    keys = "account, platform, person"
    with Store(tmp_path / "fresh.duckdb") as store:
        ingest_path(store, events)
        score_store(store, "2025-01-15")
        expected_features = features(store)
        expected = table(store, "connection_scores", keys, "2025-01-15")
        expected_people = table(store, "person_scores", keys, "2025-01-15")
    old = tmp_path / "old.duckdb"
    with Store(old) as store:
        ingest_path(store, events)
        as_at_version_9(store)
    with Store(old) as store:
        assert store.scalar("SELECT version FROM text_features_version") == text_features_version()
        assert features(store) == expected_features
        assert score_store(store, "2025-01-15").status == "scored"
        assert_same(expected, table(store, "connection_scores", keys, "2025-01-15"))
        assert_same(expected_people, table(store, "person_scores", keys, "2025-01-15"))


def features(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute("""SELECT platform, handle, dedupe_key, words, warmth FROM interactions
                                ORDER BY platform, handle, dedupe_key""").fetchall()


def columns(store: Store, table: str) -> list[str]:
    return [r["column_name"] for r in store.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [table])]


def test_a_store_from_before_the_handle_rename_keeps_every_interaction_and_scores_the_same(tmp_path: Path) -> None:
    """Migration 15 renames interactions.person to handle: same rows, same view, same scores."""
    assert LATEST >= HANDLE_RENAMED
    events = tmp_path / "events.csv"
    write_events(events, n=800, seed=13)
    keys = "account, platform, person"
    with Store(tmp_path / "fresh.duckdb") as store:
        ingest_path(store, events)
        score_store(store, "2025-01-15")
        expected = table(store, "connection_scores", keys, "2025-01-15")
        expected_people = table(store, "person_scores", keys, "2025-01-15")
    old = tmp_path / "old.duckdb"
    with Store(old) as store:
        ingest_path(store, events)
        score_store(store, "2025-01-15")
        as_before_handle(store)
        old_columns = columns(store, "interactions")
        assert "person" in old_columns and "handle" not in old_columns
        rows = store.con.execute("SELECT * FROM interactions ORDER BY ALL").fetchall()
        assert len(rows) > 500
    with Store(old) as store:
        assert store.schema_version == LATEST
        assert columns(store, "interactions") == ["handle" if c == "person" else c for c in old_columns]
        assert store.con.execute("SELECT * FROM interactions ORDER BY ALL").fetchall() == rows
        assert columns(store, "touchpoints") == [*columns(store, "interactions"), "person_id"]
        assert store.scalar("SELECT count(*) FROM touchpoints") == len(rows)
        # the snapshot scored before the rename is kept, and scoring again from the renamed column agrees
        assert_same(expected, table(store, "connection_scores", keys, "2025-01-15"))
        assert score_store(store, "2025-01-15", force=True).status == "scored"
        assert_same(expected, table(store, "connection_scores", keys, "2025-01-15"))
        assert_same(expected_people, table(store, "person_scores", keys, "2025-01-15"))
        # and an import after the migration dedupes against the renamed column
        more = tmp_path / "more.csv"
        more.write_text(events.read_text(encoding="utf-8") + "2025-01-10T12:00:00+00:00,brand,p1,in,dm,x,new,hi\n",
                        encoding="utf-8")
        again = ingest_path(store, more)
        assert again.total_new == 1 and again.duplicates == len(rows)
        assert store.scalar("SELECT count(*) FROM interactions WHERE handle = 'p1' AND item_id = 'new'") == 1


def test_migrations_are_frozen_sql() -> None:
    """Every migration is SQL text: nothing of today's code builds it when it runs."""
    for version, description, sql in MIGRATIONS:
        assert isinstance(sql, str) and sql.strip(), (version, description)
    assert [v for v, _, _ in MIGRATIONS] == sorted({v for v, _, _ in MIGRATIONS})


def test_a_store_without_the_answer_index_days_rebuilds_the_index_on_its_next_refresh(tmp_path: Path) -> None:
    """Migration 22 adds ``answer_people.days``; rows written before it have none, so the refresh
    after the upgrade rebuilds the answer index whole instead of merging into rows without days."""
    from tiescale.insights.threads import refresh_threads

    events = tmp_path / "events.csv"
    write_events(events, n=300, seed=11)
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        ingest_path(store, events)
        refresh_threads(store, full=True)
        expected = store.rows("SELECT person_id, active_days, median_gap_days, days FROM answer_people ORDER BY 1")
        store.con.execute("ALTER TABLE answer_people DROP COLUMN days")
        store.con.execute("DELETE FROM schema_version WHERE version >= 22")
    with Store(path) as store:
        assert store.schema_version >= 22
        assert store.scalar("SELECT count(*) FROM answer_people WHERE days IS NULL") == len(expected) > 0
        assert refresh_threads(store).mode == "full"
        assert store.rows("SELECT person_id, active_days, median_gap_days, days FROM answer_people ORDER BY 1") == expected


def test_a_store_from_before_migration_30_keeps_its_scores_and_stores_handles_plain(tmp_path: Path) -> None:
    """Migration 30 copies connection_scores into a table whose handles are stored uncompressed:
    every row and column survives, and the next score writes the column plain."""
    events = tmp_path / "events.csv"
    write_events(events, n=500, seed=12)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        score_store(store, "2025-03-01")
        before = store.con.execute("SELECT * FROM connection_scores ORDER BY connection_id").fetchall()
        # as migration 29 left it: the table as migrations 2 and 12 made it, default compression
        store.con.execute("CREATE TABLE old_scores AS SELECT * FROM connection_scores")
        store.con.execute("DROP TABLE connection_scores")
        store.con.execute("ALTER TABLE old_scores RENAME TO connection_scores")
        store.con.execute("DELETE FROM schema_version WHERE version >= 30")
    with Store(tmp_path / "s.duckdb") as store:
        assert store.scalar("SELECT max(version) FROM schema_version") == LATEST
        assert store.con.execute("SELECT * FROM connection_scores ORDER BY connection_id").fetchall() == before
        score_store(store, "2025-03-02")
        store.con.execute("CHECKPOINT")
        kinds = {r[0] for r in store.con.execute(
            "SELECT DISTINCT compression FROM pragma_storage_info('connection_scores') WHERE column_name = 'person'"
            " AND segment_type = 'VARCHAR'").fetchall()}
        assert kinds == {"Uncompressed"}
