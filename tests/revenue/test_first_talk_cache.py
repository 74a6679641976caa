"""The score at the midnight after a first conversation is kept between refreshes (first_talk_scores,
migration 24): the report read from what was kept equals the one computed from the touchpoints, and
a touchpoint imported later before that midnight makes it scored again."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tiescale.insights.derived import refresh_derived
from tiescale.insights.revenue import revenue_report
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

from .test_revenue import END, EVENT_COLUMNS, ORDER_COLUMNS, conversation, iso, write


def _report(store: Store) -> dict[str, Any]:
    data = revenue_report(store, window_days=120).to_dict()
    data.pop("notes", None)
    return data


def _from_touchpoints(store: Store) -> dict[str, Any]:
    """The same report with nothing kept: every first conversation scored from the touchpoints."""
    store.con.execute("DELETE FROM first_talk_scores")
    store.con.execute("DELETE FROM revenue_person_time")
    return _report(store)


def test_kept_first_conversation_scores_give_the_report_the_touchpoints_give(tmp_path: Path) -> None:
    events = []
    for i in range(8):  # people whose first conversation falls inside the window, on different days
        first = END - timedelta(days=100 - 9 * i, hours=3)
        events += conversation(f"p{i}", first, first + timedelta(days=3 + 4 * i), step_days=2)
        events.append([iso(first - timedelta(days=20)), "brand", f"p{i}", "in", "follow", "x"])
    events += conversation("old", END - timedelta(days=300), END - timedelta(days=2), step_days=7)
    orders = [[f"o{i}", iso(END - timedelta(days=40 - 3 * i)), "20", "USD", "x", f"p{i}", ""] for i in range(8)]
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, write(tmp_path / "e.csv", EVENT_COLUMNS, events))
        ingest_path(store, write(tmp_path / "o.csv", ORDER_COLUMNS, orders), fmt="conversions")
        refresh_derived(store)
        kept = store.scalar("SELECT count(*) FROM first_talk_scores")
        assert kept and kept >= 6
        store.con.execute("DELETE FROM revenue_person_time")
        from_kept = _report(store)
        assert from_kept == _from_touchpoints(store)
        assert from_kept["tiers"] and any(t["converted"] for t in from_kept["tiers"])

        # a like on p3's first day, imported later: that day's score changes, and is scored again
        first = END - timedelta(days=100 - 27, hours=3)
        before = store.row("SELECT touchpoints, score FROM first_talk_scores f JOIN identities d USING (person_id) "
                           "WHERE d.handle = 'p3'")
        ingest_path(store, write(tmp_path / "late.csv", EVENT_COLUMNS, [
            [iso(first + timedelta(hours=1)), "brand", "p3", "in", "dm", "x"],
            [iso(first + timedelta(hours=2)), "brand", "p3", "out", "dm", "x"]]))
        refresh_derived(store)
        after = store.row("SELECT touchpoints, score FROM first_talk_scores f JOIN identities d USING (person_id) "
                          "WHERE d.handle = 'p3'")
        assert before and after and after["touchpoints"] == before["touchpoints"] + 2
        store.con.execute("DELETE FROM revenue_person_time")
        assert _report(store) == _from_touchpoints(store)
