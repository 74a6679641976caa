"""Every (account, platform, person) gets one integer id at import; scoring groups by it."""
from __future__ import annotations

import shutil
from pathlib import Path

from tiescale import Store, forget_person, ingest_path
from tiescale.scoring.run import score_store
from tests.scoring.test_engines import write_events
from tests.scoring.test_incremental import assert_same, table

KEYS = "account, platform, person"
MASTODON = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon" / "archive-20240310120000-5e1f0c"


def ids(store: Store) -> dict[tuple[str, str, str], int]:
    rows = store.con.execute("SELECT account, platform, person, connection_id FROM connections").fetchall()
    return {tuple(r[:3]): r[3] for r in rows}


def imported(tmp_path: Path, n: int, seed: int) -> tuple[Path, Store]:
    """Synthetic events written and imported into a new store (open: use it in a with block)."""
    events = tmp_path / "events.csv"
    write_events(events, n=n, seed=seed)
    store = Store(tmp_path / "s.duckdb")
    ingest_path(store, events)
    return events, store


def test_each_connection_has_one_id_on_every_interaction(tmp_path: Path) -> None:
    events, store = imported(tmp_path, n=600, seed=3)
    with store:
        known = ids(store)
        pairs = store.con.execute("SELECT count(DISTINCT (account, platform, person)) FROM interactions").fetchone()[0]
        assert len(known) == pairs == len(set(known.values()))
        wrong = store.con.execute("""SELECT count(*) FROM interactions i LEFT JOIN connections c
            ON c.account = i.account AND c.platform = i.platform AND c.person = i.person
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
    events = tmp_path / "events.csv"
    write_events(events, n=800, seed=5)
    with Store(tmp_path / "new.duckdb") as store:
        ingest_path(store, events)
        score_store(store, "2025-01-01")
        score_store(store, "2025-01-15")
        expected = table(store, "connection_scores", KEYS, "2025-01-15")
    old = tmp_path / "old.duckdb"
    with Store(old) as store:  # as a tiescale before migration 12 wrote it: a snapshot scored already
        ingest_path(store, events)
        score_store(store, "2025-01-01")
        for sql in ("ALTER TABLE interactions DROP COLUMN connection_id",
                    "ALTER TABLE connection_scores DROP COLUMN connection_id",
                    "DROP TABLE connections", "DROP SEQUENCE connection_seq",
                    "DELETE FROM schema_version WHERE version = 12"):
            store.con.execute(sql)
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
        forget_person(store.con, "x:p2")
        after = ids(store)
        assert after and all(person != "p2" or platform != "x" for _, platform, person in after)
        assert len(after) < len(before)


def test_follows_rederived_by_an_older_snapshot_are_rescored(tmp_path: Path) -> None:
    """A follower snapshot imported between two others rewrites follow events already scored."""
    newer = tmp_path / "archive-20240410120000-7a7a7a"
    shutil.copytree(MASTODON, newer)
    (newer / "following_accounts.csv").write_text(
        "Account address,Show boosts,Notify on new posts,Languages\nbea@social.example,true,false,\n")
    middle = tmp_path / "archive-20240320120000-3b3b3b"
    shutil.copytree(MASTODON, middle)
    (middle / "following_accounts.csv").write_text(
        "Account address,Show boosts,Notify on new posts,Languages\nbea@social.example,true,false,\n"
        "cal@fedi.example,true,false,\n")
    with Store(tmp_path / "inc.duckdb") as inc:
        ingest_path(inc, MASTODON)
        ingest_path(inc, newer)  # cal and fay unfollowed on 10 April
        score_store(inc, "2024-04-15")
        ingest_path(inc, middle)  # fay went on 20 March: her 10 April unfollow is replaced, cal's stays
        dirty = inc.con.execute("SELECT person FROM scoring_dirty").fetchall()
        assert dirty == [("fay@photos.example",)]
        assert score_store(inc, "2024-04-16").mode == "incremental"
        got = table(inc, "connection_scores", KEYS, "2024-04-16")
        assert inc.con.execute("SELECT count(*) FROM scoring_dirty").fetchone()[0] == 0
    with Store(tmp_path / "full.duckdb") as full:
        for path in (MASTODON, newer, middle):
            ingest_path(full, path)
        score_store(full, "2024-04-16")
        assert_same(table(full, "connection_scores", KEYS, "2024-04-16"), got)
