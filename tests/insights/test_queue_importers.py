"""The queue, actions and responsiveness on every importer's own test exports."""
from __future__ import annotations

from datetime import timedelta, UTC
from pathlib import Path

import pytest

from tiescale.insights.actions import action_history, mark_done
from tiescale.insights.queue import QueueConfig, build_queue
from tiescale.insights.responsiveness import responsiveness
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

EXPORTS = [
    ("x-archive", "x-archive/archive"), ("x-archive", "x-archive/old-layout"),
    ("mastodon", "mastodon/archive-20240310120000-5e1f0c"),
    ("bluesky", "bluesky"), ("bluesky", "bluesky/repo.car"),
    ("reddit", "reddit/export"), ("reddit", "reddit/listings"),
    ("facebook", "facebook/export_v1"), ("facebook", "facebook/export_v2"),
    ("instagram", "instagram/export_v1"), ("instagram", "instagram/export_v2"),
    ("linkedin", "linkedin/export_2018"), ("linkedin", "linkedin/export_2024"),
    ("youtube", "youtube/api"), ("events", "events/sample.csv"),
]


@pytest.mark.parametrize(("fmt", "relative"), EXPORTS, ids=[e[1] for e in EXPORTS])
def test_queue_and_responsiveness_on_each_importers_fixture(fmt: str, relative: str, fixtures: Path,
                                                            store: Store) -> None:
    path = fixtures / relative
    if not path.exists():
        pytest.skip(f"{relative} is not among the fixtures")
    ingest_path(store, path, fmt=fmt)
    inbound = store.con.execute("SELECT count(*) FROM interactions WHERE direction = 'in' "
                                "AND kind IN ('reply', 'mention', 'comment', 'dm') AND ts IS NOT NULL").fetchone()[0]
    rows = responsiveness(store, by="all")
    assert sum(r.messages for r in rows) == inbound
    assert all(0 <= r.response_rate <= 1 and r.answered <= r.messages for r in rows)
    # far enough after the data for every message to be overdue, and every reason considered
    newest = store.con.execute("SELECT max(ts) FROM interactions").fetchone()[0]
    if newest is None:
        return
    items = build_queue(store, limit=0, config=QueueConfig(history_months=2, max_wait_days=3650))
    assert len({i.person_id for i in items}) == len(items)
    t = store.data_end().replace(tzinfo=UTC)  # the queue's date: the day after the data
    waiting = store.con.execute("SELECT count(DISTINCT person_id) FROM answer_messages WHERE ts <= ? "
                                "AND (answered_at IS NULL OR answered_at > ?)", [t - timedelta(days=1), t]).fetchone()[0]
    assert sum(i.reason == "unanswered" for i in items) == waiting
    if items:
        mark_done(store, f"#{items[0].person_id}", note="handled")
        assert action_history(store, f"#{items[0].person_id}")[-1].note == "handled"
        assert items[0].person_id not in {i.person_id for i in build_queue(
            store, limit=0, config=QueueConfig(history_months=2, max_wait_days=3650))}
