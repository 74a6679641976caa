"""Responsiveness: response rate and time to first answer from hand-made conversations."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tiescale.insights.responsiveness import responsiveness
from tiescale.records import UsageError
from tiescale.store.db import Store
from tiescale.surfaces.cli import main

from .nurture_helpers import at, event, ingest_events


def conversations() -> list[dict]:
    rows = []
    for n, minutes in enumerate((30, 5 * 60, 30 * 60, None, 50)):
        ts = at(40 - n)  # all in one month (May 2026)
        rows.append(event(ts, f"p{n}", "in", "mention", f"m{n}", "@brand hi?", thread=f"m{n}"))
        if minutes is not None:
            rows.append(event(ts + timedelta(minutes=minutes), f"p{n}", "out", "reply", f"r{n}", "hello",
                              in_reply_to=f"m{n}", thread=f"m{n}"))
    rows.append(event(at(3), "q", "in", "dm", "d1", "hello", thread="c", platform="mastodon",
                      account="brand@m.example"))
    return rows


def test_rate_median_p90_and_shares(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", conversations())
    rows = {(r.platform, r.period): r for r in responsiveness(store, by="month")}
    x = rows[("x", "2026-04-01")] if ("x", "2026-04-01") in rows else rows[("x", "2026-05-01")]
    waits_hours = sorted([0.5, 5.0, 30.0, 50 / 60])
    assert (x.messages, x.answered) == (5, 4) and x.response_rate == 0.8
    assert x.median_hours == round((waits_hours[1] + waits_hours[2]) / 2, 2)
    assert x.within_1h == 0.4 and x.within_24h == 0.6
    assert x.p90_hours is not None and 5.0 < x.p90_hours <= 30.0
    mastodon = [r for r in rows.values() if r.platform == "mastodon"][0]
    assert (mastodon.messages, mastodon.answered, mastodon.median_hours) == (1, 0, None)


def test_account_filter_weeks_and_all(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", conversations())
    assert {r.account for r in responsiveness(store, account="brand@m.example")} == {"brand@m.example"}
    weekly = responsiveness(store, by="week")
    assert sum(r.messages for r in weekly if r.platform == "x") == 5 and len({r.period for r in weekly}) >= 2
    total = responsiveness(store, by="all")
    assert {r.period for r in total} == {"all"}
    with pytest.raises(UsageError):
        responsiveness(store, by="year")


def test_cli_responsiveness_json(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    with Store(db) as store:
        ingest_events(store, tmp_path, "a", conversations())
    result = CliRunner().invoke(main, ["--db", str(db), "responsiveness", "--by", "all", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"period", "platform", "account", "response_rate", "median_hours", "p90_hours", "within_1h",
            "within_24h"} <= set(rows[0])
    table = CliRunner().invoke(main, ["--db", str(db), "responsiveness"])
    assert table.exit_code == 0 and "80%" in table.output
