"""Every (account, platform, person) gets one integer id at import; scoring groups by it."""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from tiescale import Store, forget_person, ingest_path
from tiescale.scoring.run import score_store
from tests.scoring.test_engines import write_events
from tests.scoring.test_incremental import assert_same, table
from tests.store.test_schema_migrations import as_before_handle

KEYS = "account, platform, person"
INSTAGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "instagram" / "export_v1"


def ids(store: Store) -> dict[tuple[str, str, str], int]:
    rows = store.con.execute("SELECT account, platform, person, connection_id FROM connections").fetchall()
    return {tuple(r[:3]): r[3] for r in rows}


def imported(tmp_path: Path, n: int, seed: int, name: str = "s.duckdb") -> tuple[Path, Store]:
    """Synthetic events written and imported into a new store (open: use it in a with block)."""
    events = tmp_path / "events.csv"
    write_events(events, n=n, seed=seed)
    store = Store(tmp_path / name)
    ingest_path(store, events)
    return events, store


def as_before_connection_ids(store: Store) -> None:
    """The store as a tiescale before migrations 12 and 13 left it; the next open migrates it."""
    as_before_handle(store)
    for sql in ("ALTER TABLE interactions DROP COLUMN connection_id",
                "ALTER TABLE connection_scores DROP COLUMN connection_id",
                "DROP TABLE connections", "DROP SEQUENCE connection_seq",
                "ALTER TABLE scoring_dirty DROP COLUMN marked_at",
                "DELETE FROM schema_version WHERE version >= 12"):
        store.con.execute(sql)


def test_each_connection_has_one_id_on_every_interaction(tmp_path: Path) -> None:
    events, store = imported(tmp_path, n=600, seed=3)
    with store:
        known = ids(store)
        pairs = store.con.execute("SELECT count(DISTINCT (account, platform, handle)) FROM interactions").fetchone()[0]
        assert len(known) == pairs == len(set(known.values()))
        wrong = store.con.execute("""SELECT count(*) FROM interactions i LEFT JOIN connections c
            ON c.account = i.account AND c.platform = i.platform AND c.person = i.handle
            WHERE i.connection_id IS DISTINCT FROM c.connection_id""").fetchone()[0]
        assert wrong == 0
        ingest_path(store, events)  # the same file again: nothing new, the same ids
        assert ids(store) == known
        extra = tmp_path / "extra.csv"
        extra.write_text("ts,account,person,direction,kind,platform\n2025-01-02T10:00:00Z,brand,zoe,in,reply,x\n")
        ingest_path(store, extra)
        after = ids(store)
        assert len(after) == len(known) + 1 and after[("brand", "x", "zoe")] not in known.values()


def test_an_older_store_gets_ids_once_and_scores_the_same(tmp_path: Path) -> None:
    events, store = imported(tmp_path, n=800, seed=5, name="new.duckdb")
    with store:
        score_store(store, "2025-01-01")
        score_store(store, "2025-01-15")
        expected = table(store, "connection_scores", KEYS, "2025-01-15")
    old = tmp_path / "old.duckdb"
    with Store(old) as store:  # as a tiescale before migration 12 wrote it: a snapshot scored already
        ingest_path(store, events)
        score_store(store, "2025-01-01")
        as_before_connection_ids(store)
    with Store(old) as store:
        assert store.con.execute("SELECT count(*) FROM interactions WHERE connection_id IS NULL").fetchone()[0] == 0
        assert store.con.execute(
            "SELECT count(*) FROM connection_scores WHERE connection_id IS NULL").fetchone()[0] == 0
        assert score_store(store, "2025-01-15").mode == "incremental"  # rolls the migrated snapshot forward
        assert_same(expected, table(store, "connection_scores", KEYS, "2025-01-15"))


def test_forgetting_a_person_removes_their_connections(tmp_path: Path) -> None:
    _events, store = imported(tmp_path, n=300, seed=8)
    with store:
        before = ids(store)
        drop_touchpoints(store, "p2")  # marked for rescoring too: the mark names them
        forget_person(store.con, "x:p2")
        after = ids(store)
        assert after and all(person != "p2" or platform != "x" for _, platform, person in after)
        assert len(after) < len(before)
        assert store.con.execute("SELECT DISTINCT platform FROM scoring_dirty WHERE person = 'p2'").fetchall() == [
            ("mastodon",)]  # mastodon:p2 is another person


def instagram_export(tmp_path: Path, name: str, day: datetime, followers: bool = True,
                     without: str | None = None) -> Path:
    """The Instagram fixture as exported on ``day`` (its follow lists' time), with or without followers."""
    folder = tmp_path / name
    shutil.copytree(INSTAGRAM, folder)
    lists = folder / "followers_and_following"
    followers_file = lists / "followers_1.json"
    if not followers:
        followers_file.unlink()
    elif without is not None:
        kept = [e for e in json.loads(followers_file.read_text()) if e["string_list_data"][0]["value"] != without]
        followers_file.write_text(json.dumps(kept))
    stamp = day.replace(tzinfo=timezone.utc).timestamp()
    for path in lists.iterdir():
        os.utime(path, (stamp, stamp))
    return folder


def follow_events(store: Store) -> list[tuple]:
    return store.con.execute("""SELECT account, handle, dedupe_key FROM interactions
                                WHERE dedupe_key LIKE 'snapshot:%' ORDER BY ALL""").fetchall()


def test_an_import_of_one_follow_list_keeps_the_other_lists_events(tmp_path: Path) -> None:
    first = instagram_export(tmp_path, "a", datetime(2024, 1, 1))
    second = instagram_export(tmp_path, "b", datetime(2024, 2, 1), without="mette.lund")
    following_only = instagram_export(tmp_path, "c", datetime(2024, 3, 1), followers=False)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, first)
        ingest_path(store, second)
        before = follow_events(store)
        assert any(person == "mette.lund" and ":follower:unfollow:" in key for _, person, key in before)
        ingest_path(store, following_only)  # no followers list: the followers' events stay as they are
        assert follow_events(store) == before
        assert store.con.execute("SELECT count(*) FROM scoring_dirty").fetchone()[0] == 0


def drop_touchpoints(store: Store, person: str) -> None:
    """What re-deriving follow events does to a connection: touchpoints deleted, connection marked."""
    store.con.execute("""INSERT INTO scoring_dirty (account, platform, person)
                         SELECT DISTINCT account, platform, handle FROM interactions WHERE handle = ?""", [person])
    store.con.execute("DELETE FROM interactions WHERE handle = ? AND ts < '2024-06-01'", [person])


def test_connections_marked_dirty_are_rescored_from_any_earlier_snapshot(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    write_events(events, n=1500, seed=21)
    dates = ("2024-10-01", "2024-08-01")  # the second rolls forward 1 July, scored before the drop
    with Store(tmp_path / "inc.duckdb") as inc:
        ingest_path(inc, events)
        score_store(inc, "2024-07-01")
        score_store(inc, "2024-09-01")
        drop_touchpoints(inc, "p1")
        got = {}
        for as_of in dates:
            assert score_store(inc, as_of).mode == "incremental"
            got[as_of] = table(inc, "connection_scores", KEYS, as_of), table(inc, "person_scores", "", as_of)
    with Store(tmp_path / "full.duckdb") as full:
        ingest_path(full, events)
        drop_touchpoints(full, "p1")
        for as_of in dates:
            score_store(full, as_of, force=True)
            connections, people = got[as_of]
            assert_same(table(full, "connection_scores", KEYS, as_of), connections)
            assert_same(table(full, "person_scores", "", as_of), people)


def test_an_older_store_rescored_after_touchpoints_went_away(tmp_path: Path) -> None:
    """Score rows of a connection with no touchpoints left (older re-derived follows) get an id and go."""
    events, store = imported(tmp_path, n=800, seed=9, name="old.duckdb")
    with store:
        score_store(store, "2025-01-01")
        store.con.execute("DELETE FROM interactions WHERE handle = 'p3' AND platform = 'x'")  # as the old bug did
        as_before_connection_ids(store)
    with Store(tmp_path / "old.duckdb") as store:
        assert store.con.execute(
            "SELECT count(*) FROM connection_scores WHERE connection_id IS NULL").fetchone()[0] == 0
        assert store.con.execute("SELECT DISTINCT platform, person FROM scoring_dirty").fetchall() == [("x", "p3")]
        assert score_store(store, "2025-01-15").mode == "incremental"
        got = table(store, "connection_scores", KEYS, "2025-01-15")
    assert not any(row["person"] == "p3" and row["platform"] == "x" for row in got)
    with Store(tmp_path / "full.duckdb") as full:
        ingest_path(full, events)
        full.con.execute("DELETE FROM interactions WHERE handle = 'p3' AND platform = 'x'")
        score_store(full, "2025-01-15")
        assert_same(table(full, "connection_scores", KEYS, "2025-01-15"), got)


def test_an_export_parsed_in_python_imports_after_a_score_on_the_same_store(tmp_path: Path) -> None:
    """Scoring shares the store's connection with Ibis, which turns off DuckDB's replacement scans."""
    _events, store = imported(tmp_path, n=200, seed=4)
    with store:
        score_store(store, "2025-01-15")
        summary = ingest_path(store, instagram_export(tmp_path, "ig", datetime(2024, 1, 1)))
        assert summary.total_new > 0
        assert store.con.execute("SELECT count(*) FROM interactions WHERE platform = 'instagram'").fetchone()[0] > 0
