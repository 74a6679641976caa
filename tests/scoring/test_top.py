"""Top-N lists read the small per-account table and give exactly what the whole snapshot gives."""
from __future__ import annotations

from pathlib import Path

import pytest

from tiescale import Store, forget_person, ingest_path
from tiescale.insights.people import list_connections
from tiescale.scoring import top
from tiescale.scoring.run import score_store
from tests.scoring.test_engines import write_events

KEYS = ("account", "platform", "person", "score", "tier", "last_contact")


def from_snapshot(store: Store, as_of: str, account: str | None, limit: int) -> list[tuple]:
    """The reference: straight from connection_scores, in the listing order."""
    where, params = "as_of = ?", [as_of]
    if account is not None:
        where += " AND account = ?"
        params.append(account)
    return store.con.execute(
        f"SELECT {', '.join(KEYS)} FROM connection_scores WHERE {where} ORDER BY {top.ORDER} LIMIT {limit}",
        params).fetchall()


def listed(store: Store, as_of: str, account: str | None, limit: int) -> list[tuple]:
    rows = list_connections(store, account=account, limit=limit, as_of=as_of)
    return [tuple(r[k] for k in KEYS) for r in rows]


@pytest.fixture
def scored_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(top, "TOP_PER_ACCOUNT", 8)  # small, so both the fast path and the fallback run
    events = tmp_path / "events.csv"
    write_events(events, n=1500, seed=5)
    store = Store(tmp_path / "s.duckdb")
    ingest_path(store, events)
    score_store(store, "2025-01-01")
    return store


def test_top_table_holds_the_first_rows_of_every_account(scored_store: Store) -> None:
    accounts = [r[0] for r in scored_store.con.execute(
        "SELECT DISTINCT account FROM connection_scores ORDER BY 1").fetchall()]
    assert len(accounts) >= 2
    for account in accounts:
        kept = scored_store.con.execute(
            "SELECT count(*), min(account_rank), max(account_rank) FROM connection_top "
            "WHERE as_of = '2025-01-01' AND account = ?", [account]).fetchone()
        total = scored_store.con.execute(
            "SELECT count(*) FROM connection_scores WHERE as_of = '2025-01-01' AND account = ?", [account]).fetchone()[0]
        assert kept == (min(total, 8), 1, min(total, 8))


@pytest.mark.parametrize("limit", [1, 3, 8, 9, 50])
def test_listing_equals_the_snapshot_with_and_without_the_fast_path(scored_store: Store, limit: int) -> None:
    accounts = [r[0] for r in scored_store.con.execute("SELECT DISTINCT account FROM connection_scores").fetchall()]
    for account in [*accounts, None, "nobody"]:
        assert listed(scored_store, "2025-01-01", account, limit) == from_snapshot(
            scored_store, "2025-01-01", account, limit)
        assert top.top_answers(scored_store.con, scored_store.con.execute(
            "SELECT TIMESTAMP '2025-01-01'").fetchone()[0], account, limit) == (limit <= 8)


def test_forgetting_a_top_person_keeps_the_listing_exact(scored_store: Store) -> None:
    account, platform, person = scored_store.con.execute(
        "SELECT account, platform, person FROM connection_top WHERE account_rank = 1 ORDER BY account LIMIT 1").fetchone()
    forget_person(scored_store.con, f"{platform}:{person}")
    for limit in (3, 7, 8):
        got = listed(scored_store, "2025-01-01", account, limit)
        assert got == from_snapshot(scored_store, "2025-01-01", account, limit)
        assert all((row[1], row[2]) != (platform, person) for row in got)


def test_names_and_person_ids_are_current_after_a_merge(scored_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from tiescale import merge_people

    def both_paths(limit: int) -> tuple[list[dict], list[dict]]:
        fast = list_connections(scored_store, limit=limit, as_of="2025-01-01")
        monkeypatch.setattr(top, "TOP_PER_ACCOUNT", 0)  # the snapshot path
        slow = list_connections(scored_store, limit=limit, as_of="2025-01-01")
        monkeypatch.setattr(top, "TOP_PER_ACCOUNT", 8)
        return fast, slow

    fast, slow = both_paths(5)
    assert fast == slow and all(r["person_id"] is not None and r["name"] for r in fast)
    first = fast[0]
    other = next(r for r in fast if r["person_id"] != first["person_id"])
    merge_people(scored_store.con, f"{first['platform']}:{first['person']}", f"{other['platform']}:{other['person']}")
    as_of = scored_store.con.execute("SELECT TIMESTAMP '2025-01-01'").fetchone()[0]
    assert not top.top_answers(scored_store.con, as_of, None, 5)  # copied names are stale now
    fast, slow = both_paths(5)
    assert fast == slow
    score_store(scored_store, "2025-01-01", force=True)  # scoring again refreshes the copies
    assert top.top_answers(scored_store.con, as_of, None, 5)
    assert list_connections(scored_store, limit=5, as_of="2025-01-01") == both_paths(5)[1]
    assert {r["person_id"] for r in fast if r["person"] in (first["person"], other["person"])} >= {first["person_id"]}
