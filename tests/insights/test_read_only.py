"""GET never writes: every insight a surface reads works on a read-only store, with the same
results as on a writable one, and leaves the store file as it was."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from tiescale.insights.content import content_report
from tiescale.insights.derived import refresh_derived
from tiescale.insights.goals import goal_progress, set_goal
from tiescale.insights.queue import build_queue
from tiescale.insights.responsiveness import responsiveness
from tiescale.insights.revenue import revenue_report
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

from .nurture_helpers import NOW, at, event, exchange_weekly, ingest_events


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _reads(store: Store) -> dict[str, Any]:
    """What the dashboard asks of the insights layer (with a fixed clock, so two runs agree)."""
    return {
        "queue": [item.to_dict() for item in build_queue(store, limit=0, now=NOW)],
        "queue_today": [item.to_dict() for item in build_queue(store, limit=0)],
        "queue_brand": [item.to_dict() for item in build_queue(store, account="brand", limit=0, now=NOW)],
        "responsiveness": [row.to_dict() for row in responsiveness(store, by="month")],
        "revenue": revenue_report(store).to_dict(),
        "goals": [goal.to_dict() for goal in goal_progress(store)],
        "content": content_report(store).to_dict(),
    }


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A store with every kind of data, never read by an insight (its derived state is stale)."""
    db = tmp_path / "built.duckdb"
    with Store(db) as store:
        ingest_events(store, tmp_path, "a", [
            *exchange_weekly("regular", 120, 3),
            *exchange_weekly("fading", 150, 45, per_week=3),
            event(at(2), "asker", "in", "reply", "a1", "When is the Kenya back in stock?", thread="a0"),
            event(at(4), "angry", "in", "dm", "d1", "My order arrived damaged", thread="conv"),
            event(at(10), "brand", "out", "mention", "p1", "Big SALE today: 30% off everything, buy now!"),
            event(at(9), "regular", "in", "reply", "r9", "love this", in_reply_to="p1", thread="p1"),
        ])
        orders = tmp_path / "orders.csv"
        orders.write_text("order_id,ts,value,currency,platform,handle\n"
                          f"o1,{at(20).isoformat()},40,USD,x,regular\no2,{at(5).isoformat()},15,USD,x,fading\n")
        ingest_path(store, orders, fmt="conversions")
        set_goal(store, "meaningful", 5, "2026-12-31")
    return db


def test_a_read_only_store_reads_the_same_and_is_not_written(built: Path, tmp_path: Path) -> None:
    writable_copy = tmp_path / "writable.duckdb"
    shutil.copy(built, writable_copy)
    before = _digest(built)
    with Store(built, read_only=True) as store:
        read_only = _reads(store)
        assert _reads(store) == read_only  # a second read on the same connection: the TEMP copies
    assert _digest(built) == before, "a read through a read-only store changed the file"
    with Store(writable_copy) as store:
        writable = _reads(store)
    assert read_only["queue"] and read_only["responsiveness"] and read_only["content"]["posts"] is not None
    for name in writable:
        assert read_only[name] == writable[name], name


def test_after_refresh_derived_a_read_only_reader_finds_everything_current(built: Path) -> None:
    with Store(built) as store:
        refresh_derived(store)
        expected = _reads(store)
        labels = store.scalar("SELECT count(*) FROM content_labels")
    assert labels
    before = _digest(built)
    with Store(built, read_only=True) as store:
        assert _reads(store) == expected
        temp = store.scalar("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' "
                            "AND table_name LIKE 'answer_%'")
        assert temp == 0  # the answer index was current: nothing was recomputed
    assert _digest(built) == before
