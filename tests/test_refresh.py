"""Derived state is refreshed when data arrives, never on a read.

Two stores go through the same steps: ``written`` through the CLI (every writing command brings
derived state up to date after its write), ``rebuilt`` through the Python API (no refresh: its
reads rebuild what they need, as every read did before). After each step a read-only reader of
``written`` answers queue, people, overview, revenue and content with nothing to recompute (no
score run, no TEMP copy of a stored table, the file's bytes unchanged) and the same answers as
``rebuilt``.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tiescale.insights.actions import mark_done, snooze
from tiescale.insights.content import content_report
from tiescale.insights.goals import goal_progress, set_goal
from tiescale.insights.overview import overview
from tiescale.insights.people import list_connections, people_page, snapshot
from tiescale.insights.queue import build_queue
from tiescale.insights.revenue import revenue_report
from tiescale.store import identity
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.surfaces.cli import main

from .insights.nurture_helpers import COLUMNS, at, event, exchange_weekly


def write_events(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def exports(folder: Path) -> dict[str, Path]:
    """A first export, orders, a later export and one more for a --no-refresh batch."""
    first = write_events(folder / "first.csv", [
        *exchange_weekly("regular", 160, 20, per_week=3),
        *exchange_weekly("fading", 200, 60, per_week=2),
        *exchange_weekly("steady", 90, 30, per_week=1, platform="bluesky", account="brand.example.com"),
        event(at(12), "asker", "in", "reply", "a1", "When is the Kenya back in stock?", thread="a0"),
        event(at(14), "angry", "in", "dm", "d1", "My order arrived damaged", thread="conv"),
        event(at(15), "brand", "out", "mention", "p1", "Big SALE today: 30% off everything, buy now!"),
        event(at(13), "regular", "in", "reply", "r9", "love this", in_reply_to="p1", thread="p1"),
    ])
    orders = folder / "orders.csv"
    orders.write_text("order_id,ts,value,currency,platform,handle\n"
                      f"o1,{at(30).isoformat()},40,USD,x,regular\no2,{at(25).isoformat()},15,USD,x,fading\n",
                      encoding="utf-8")
    later = write_events(folder / "later.csv", [
        *exchange_weekly("regular", 10, 2, per_week=3),
        event(at(3), "newcomer", "in", "reply", "n1", "Do you ship to Canada?", thread="n0"),
        event(at(4), "brand", "out", "mention", "p2", "What are you all brewing this weekend?"),
    ])
    batch = write_events(folder / "batch.csv", [
        event(at(1), "asker", "in", "dm", "a9", "Any news on the Kenya?", thread="conv-a"),
        event(at(1, hours=-2), "steady", "in", "reply", "s9", "Great stream today", platform="bluesky",
              account="brand.example.com", thread="s9"),
    ])
    return {"first": first, "orders": orders, "later": later, "batch": batch}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if hasattr(value, "to_dict"):
        return _plain(value.to_dict())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "version"}  # version holds computed_at
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):  # a dimension summed in another order differs in its last bits
        return round(value, 9)
    return value


def answers(store: Store) -> dict[str, Any]:
    """What the listings and the dashboard ask after new data (the queue for today, as the CLI shows it)."""
    queue = [item.to_dict() for item in build_queue(store, limit=0)]
    connections = _plain(list(list_connections(store, limit=0)))  # scores first when it has to
    snap = snapshot(store)
    return {
        "queue": queue,
        "connections": connections,
        "people": _plain(list(people_page(store, snap, limit=500).rows)),
        "people_total": people_page(store, snap, limit=1).total,
        "as_of": snap.as_of,
        "stale": snap.stale,
        "overview": _plain(overview(store, snap)),
        "revenue": revenue_report(store).to_dict(),
        "content": content_report(store).to_dict(),
        "goals": [goal.to_dict() for goal in goal_progress(store)],
    }


def shadowed_tables(store: Store) -> list[str]:
    """TEMP tables on this connection that shadow a stored one: what a stale read copies to refresh."""
    return [r["table_name"] for r in store.rows(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'temp' AND table_name IN "
        "(SELECT table_name FROM duckdb_tables() WHERE database_name = current_database())")]


def read_current(db: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The answers of a read-only reader that must find everything current: no score run, no copy."""
    import tiescale.scoring.run as run

    def no_scoring(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a read had to score: derived state was stale after the write")

    before = digest(db)
    with monkeypatch.context() as patched:
        patched.setattr(run, "score_store", no_scoring)
        with Store(db, read_only=True) as store:
            found = answers(store)
            assert shadowed_tables(store) == [], "a read refreshed a derived table in a TEMP copy"
    assert digest(db) == before
    return found


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_every_writing_command_leaves_derived_state_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = exports(tmp_path)
    written, rebuilt = tmp_path / "written.duckdb", tmp_path / "rebuilt.duckdb"
    Store(rebuilt).close()

    def step(command: list[str], same: Callable[[Store], Any]) -> None:
        cli(written, *command)
        with Store(rebuilt) as store:
            same(store)
        fresh = read_current(written, monkeypatch)
        with Store(rebuilt) as store:  # reads rebuild what they need, as they did before
            expected = answers(store)
        assert fresh == expected, command

    step(["ingest", str(files["first"])], lambda s: ingest_path(s, files["first"]))
    first = read_current(written, monkeypatch)
    assert first["queue"] and first["connections"] and first["content"]["messages"] and not first["stale"]
    step(["ingest", "--format", "conversions", str(files["orders"])],
         lambda s: ingest_path(s, files["orders"], fmt="conversions"))
    step(["ingest", str(files["later"])], lambda s: ingest_path(s, files["later"]))
    assert "newcomer" in {item["person"] for item in read_current(written, monkeypatch)["queue"]}
    step(["merge", "x:regular", "x:asker"], lambda s: identity.merge_people(s.con, "x:regular", "x:asker"))
    step(["unmerge", "x:asker"], lambda s: identity.unmerge_person(s.con, "x:asker"))
    step(["done", "x:newcomer", "--note", "answered"], lambda s: mark_done(s, "x:newcomer", note="answered"))
    step(["snooze", "x:angry", "--days", "3"], lambda s: snooze(s, "x:angry", 3))
    step(["goal", "meaningful", "5", "--by", "2027-12-31"], lambda s: set_goal(s, "meaningful", 5, "2027-12-31"))
    step(["forget", "x:fading", "--yes"], lambda s: identity.forget_person(s.con, "x:fading"))

    # a batch of imports without the refresh, then one refresh
    cli(written, "ingest", "--no-refresh", str(files["batch"]))
    with Store(written, read_only=True) as store:
        stale = answers(store)
        assert shadowed_tables(store), "without a refresh the reader must recompute (else this test proves nothing)"
    step(["refresh"], lambda s: ingest_path(s, files["batch"]))
    assert read_current(written, monkeypatch) == stale  # the recomputed answers were right, now stored
