"""Words and warmth of each touchpoint are computed once, at import, and scoring reads them."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tiescale import Store, ingest_path
from tiescale.scoring.run import score_records, score_store
from tiescale.text.features import text_features_version
from tests.scoring.test_engines import snapshot, write_events
from tests.scoring.test_incremental import assert_same

TEXTS = {
    "1": ("  thanks so much, love it  ", 5, 1.0),  # two warm words: the most a message gives
    "2": ("hello world", 2, 0.0),
    "3": ("great", 1, 0.5),
    "4": ("", 0, 0.0),  # an empty text is no text
}


def write_texts(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        for i, (text, _, _) in TEXTS.items():
            out.writerow([f"2025-03-0{i}T10:00:00Z", "brand", "ana", "in", "reply", "x", i, text])
        out.writerow(["2025-03-05T10:00:00Z", "brand", "ana", "in", "like", "x", "5", ""])


def stored(store: Store) -> dict[str, tuple]:
    rows = store.con.execute("SELECT item_id, text, words, warmth FROM interactions").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_words_and_warmth_are_stored_when_a_touchpoint_is_imported(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    write_texts(events)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        got = stored(store)
    for item, (text, words, warmth) in TEXTS.items():
        assert got[item][1:] == (words, pytest.approx(warmth)), text
    assert got["5"] == (None, 0, 0.0)  # no text: nothing to count


def imported(tmp_path: Path, n: int, seed: int) -> tuple[Path, Store]:
    """Synthetic events, imported and scored as of 2025-01-15 in a new store (open: close it)."""
    events = tmp_path / "events.csv"
    write_events(events, n=n, seed=seed)
    store = Store(tmp_path / "new.duckdb")
    ingest_path(store, events)
    score_store(store, "2025-01-15")
    return events, store


def test_an_older_store_gets_them_once_and_scores_the_same(tmp_path: Path) -> None:
    events, store = imported(tmp_path, n=800, seed=5)
    with store:
        expected_rows = stored(store)
        expected = snapshot(store, "connection_scores", "account, platform, person")
    old = tmp_path / "old.duckdb"
    with Store(old) as store:  # as a tiescale before migration 10 wrote it
        ingest_path(store, events)
        store.con.execute("ALTER TABLE interactions DROP COLUMN words")
        store.con.execute("ALTER TABLE interactions DROP COLUMN warmth")
        store.con.execute("DELETE FROM schema_version WHERE version = 10")
    with Store(old) as store:
        assert stored(store) == expected_rows
        score_store(store, "2025-01-15")
        # the same up to float summation order (DuckDB adds in parallel)
        assert_same(expected, snapshot(store, "connection_scores", "account, platform, person"))


def test_scores_from_the_stored_features_equal_scores_computed_from_the_texts(tmp_path: Path) -> None:
    _events, store = imported(tmp_path, n=600, seed=9)
    with store:
        in_store = {(r["account"], r["platform"], r["person"]): r
                    for r in snapshot(store, "connection_scores", "account, platform, person")}
        records = [dict(zip(("account", "platform", "person", "ts", "direction", "kind", "text"), row))
                   for row in store.con.execute(
                       "SELECT account, platform, handle, ts, direction, kind, text FROM interactions").fetchall()]
    in_memory = score_records(records, "2025-01-15").to_pylist()
    assert len(in_memory) == len(in_store) > 50
    assert sum(r["words"] for r in in_memory) > 0 and sum(r["warm"] for r in in_memory) > 0
    for row in in_memory:
        mine = in_store[(row["account"], row["platform"], row["person"])]
        assert (row["score"], row["words"]) == (mine["score"], mine["words"])
        assert row["warm"] == pytest.approx(mine["warm"])


def test_features_computed_by_other_expressions_are_recomputed_once(tmp_path: Path) -> None:
    """A tiescale with another word list (here: a store that says so) recomputes every row, then scores the same."""
    _events, store = imported(tmp_path, n=500, seed=4)
    with store:
        expected_rows = stored(store)
        expected = snapshot(store, "connection_scores", "account, platform, person")
        store.con.execute("UPDATE text_features_version SET version = 'older-list'")
        store.con.execute("UPDATE interactions SET words = 0, warmth = 0")
        store.con.execute("DELETE FROM score_runs")  # as if scored under the older list's fingerprint
        score_store(store, "2025-01-15")
        assert stored(store) == expected_rows
        assert_same(expected, snapshot(store, "connection_scores", "account, platform, person"))
        version = store.con.execute("SELECT version FROM text_features_version").fetchall()
        assert version == [(text_features_version(),)]
