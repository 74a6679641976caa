"""The public Python API: one import, the names pinned, list results as Arrow tables.

Uses nothing below ``tiescale`` itself, as a notebook would.
"""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

import tiescale

PUBLIC = {
    "open_store", "ingest", "score", "people", "person", "queue", "responsiveness", "content", "revenue",
    "classify", "export_events", "find_person", "forget_person", "merge_people", "suggest_merges",
    "unmerge_person", "Store", "Records", "ImportSummary", "Interaction", "Post", "PersonInfo", "AccountInfo",
    "FollowEdge", "Rejected", "Skipped", "TiescaleError", "SourceError", "UsageError", "StoreError", "ingest_path",
}


def test_the_public_names_are_pinned() -> None:
    # a name added or removed is a decision: change this set with it (and the README's Python section)
    assert set(tiescale.__all__) == PUBLIC
    assert len(tiescale.__all__) == len(PUBLIC)
    for name in PUBLIC:
        assert getattr(tiescale, name) is not None


def _events(path: Path) -> Path:
    start = datetime(2026, 5, 1, 9, tzinfo=timezone.utc)
    rows = []
    for week in range(12):  # ann: a weekly two-way conversation; bob: two questions, the last unanswered
        t = start + timedelta(weeks=week)
        rows.append([t.isoformat(), "brand", "ann", "in", "dm", "x", f"a{week}", "thank you, love it"])
        rows.append([(t + timedelta(hours=1)).isoformat(), "brand", "ann", "out", "dm", "x", f"b{week}", "glad!"])
    last = start + timedelta(weeks=11, days=2)
    rows.append([(last - timedelta(days=20)).isoformat(), "brand", "bob", "in", "reply", "x", "c1", "hello"])
    rows.append([last.isoformat(), "brand", "bob", "in", "reply", "x", "c2", "when does my order arrive?"])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        writer.writerows(rows)
    return path


def test_a_notebook_session_through_the_public_api_only(tmp_path: Path) -> None:
    with tiescale.open_store(tmp_path / "t.duckdb") as store:
        imported = tiescale.ingest(store, _events(tmp_path / "events.csv"))
        assert [s.total_new for s in imported] == [26]
        assert imported.to_arrow().num_rows == 1

        run = tiescale.score(store)
        assert run.connections == 2 and run.people == 2

        top = tiescale.people(store, limit=0)
        table = top.to_arrow()
        assert isinstance(table, pa.Table)
        assert table.column("person").to_pylist() == ["ann", "bob"]  # strongest first
        assert {"account", "person", "score", "tier", "words", "warm"} <= set(table.column_names)
        assert 0 <= table.column("score")[1].as_py() < table.column("score")[0].as_py() <= 10

        ann = tiescale.person(store, "x:ann")
        assert ann.score == pytest.approx(table.column("score")[0].as_py(), abs=0.05) and ann.reasons

        waiting = tiescale.queue(store, limit=10)
        assert [item.person for item in waiting][:1] == ["bob"]
        queue_table = waiting.to_arrow()
        assert queue_table.num_rows == len(waiting) and "reason" in queue_table.column_names

        assert tiescale.responsiveness(store).to_arrow().num_rows >= 1
        assert tiescale.content(store).to_dict() is not None
        assert tiescale.revenue(store).to_dict()["tiers"]

    verdicts = tiescale.classify(["Use code SPRING20 for 20% off!", "thank you all for a lovely year"])
    assert [v.label for v in verdicts] == ["promotional", "relational"]
    assert verdicts.to_arrow().column("label").to_pylist() == ["promotional", "relational"]


def test_a_missing_store_read_only_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(tiescale.StoreError, match="no store here yet"):
        tiescale.open_store(tmp_path / "absent.duckdb", read_only=True)
