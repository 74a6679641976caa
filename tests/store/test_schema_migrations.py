"""Migrations bring a store written by an older tiescale up to date when it is opened."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tiescale import Store, ingest_path
from tests.scoring.test_engines import write_events

RENAMED = {"text_features": "text_features_version", "nurture_messages": "answer_messages",
           "nurture_people": "answer_people", "nurture_index_state": "answer_index_state"}


def tables(store: Store) -> set[str]:
    return {r["table_name"] for r in store.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'")}


def as_before_touchpoints(store: Store) -> None:
    """The store as a tiescale before migration 14 left it: old table names, no touchpoints view."""
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
        store.con.execute("INSERT INTO answer_people VALUES (1, NULL, NULL, NULL, 3, 2.5)")
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
                                 ON d.platform = i.platform AND d.handle = i.person""")
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
