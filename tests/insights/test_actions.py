"""done / snooze: recorded as history per person, through the API and the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tiescale.store.identity import merge_people
from tiescale.insights.actions import action_history, mark_done, snooze
from tiescale.records import TiescaleError, UsageError
from tiescale.store.db import Store
from tiescale.surfaces.cli import main

from .nurture_helpers import at, event, ingest_events


def test_history_keeps_every_action_with_its_note(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [event(at(2), "ann", "in", "dm", "a1", "hi", thread="c")])
    mark_done(store, "x:ann", note="called her back", at=at(2))
    snooze(store, "ann", 3, at=at(1))
    history = action_history(store, "#1")
    assert [(a.action, a.note) for a in history] == [("done", "called her back"), ("snooze", None)]
    assert history[1].until == at(1) + (at(0) - at(3))
    assert history[0].to_dict()["person"] == "ann"


def test_history_follows_merges(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [event(at(2), "bo", "in", "dm", "b1", "hi", thread="c"),
                                         event(at(2), "bo@m.example", "in", "dm", "b2", "hi", thread="d",
                                               platform="mastodon")])
    mark_done(store, "mastodon:bo@m.example", note="ok")
    merge_people(store.con, "x:bo", "mastodon:bo@m.example")
    assert [a.note for a in action_history(store, "x:bo")] == ["ok"]


def test_unknown_person_and_bad_days_are_clear_errors(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [event(at(2), "cy", "in", "dm", "c1", "hi", thread="c")])
    with pytest.raises(TiescaleError, match="no person 'nobody'"):
        mark_done(store, "nobody")
    with pytest.raises(UsageError, match="--days"):
        snooze(store, "cy", 0)


def test_cli_done_and_snooze(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    with Store(db) as store:
        ingest_events(store, tmp_path, "a", [event(at(2), "dee", "in", "dm", "d1", "hi", thread="c")])
    runner = CliRunner()
    done = runner.invoke(main, ["--db", str(db), "done", "x:dee", "--note", "sent a sample"])
    assert done.exit_code == 0 and "done: dee" in done.output
    snoozed = runner.invoke(main, ["--db", str(db), "snooze", "dee", "--days", "3"])
    assert snoozed.exit_code == 0 and "snoozed: dee" in snoozed.output
    missing = runner.invoke(main, ["--db", str(db), "done", "nobody"])
    assert missing.exit_code == 2 and "no person" in missing.output
    with Store(db, read_only=True) as store:
        assert [a.action for a in action_history(store, "dee")] == ["done", "snooze"]
