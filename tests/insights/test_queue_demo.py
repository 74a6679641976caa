"""The demo's queue shows every reason, and finds the planted unanswered questions and complaints."""
from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

from rich.console import Console

from tiescale.demo import DemoConfig, run_demo
from tiescale.insights.queue import REASONS, build_queue
from tiescale.insights.responsiveness import responsiveness
from tiescale.store.db import Store


def test_demo_queue_has_every_reason_and_the_planted_unanswered(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo.duckdb", console=Console(file=io.StringIO()), config=DemoConfig())
    truth = json.loads(result.truth.read_text(encoding="utf-8"))
    with Store(result.db) as store:
        items = build_queue(store, limit=0)
        assert {i.reason for i in items} == set(REASONS)
        assert len({i.person_id for i in items}) == len(items)  # one row per person
        unanswered = {(i.platform, i.person) for i in items if i.reason == "unanswered"}
        planted = {(u["platform"], u["person"]) for u in truth["unanswered"]}
        # planted less than a day before the end of the data are not overdue yet
        end = result.config.end
        overdue = {(u["platform"], u["person"]) for u in truth["unanswered"]
                   if (end - datetime.fromisoformat(u["ts"])).total_seconds() > 86400 + 3600}
        assert overdue and overdue <= unanswered
        assert planted
        top = build_queue(store, limit=10)
        assert len(top) == 10 and top[0].priority >= top[-1].priority
        months = responsiveness(store, by="month")
        assert {r.platform for r in months} == {"x", "mastodon", "bluesky", "instagram", "youtube", "whatsapp"}
        assert all(0 <= r.response_rate <= 1 for r in months)
