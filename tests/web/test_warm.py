"""The server keeps its pages' reports computed for the store's state: a request only reads."""
from __future__ import annotations

import csv
import threading
from pathlib import Path

from tiescale.insights.derived import refresh_derived
from tiescale.insights.overview import store_version
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.surfaces.web import views
from tiescale.surfaces.web.app import create_app
from tiescale.surfaces.web.warm import Warmer


def memo_keys(memo: views.Memo) -> set[object]:
    return set(memo._data)


def test_the_warmer_computes_every_page_for_the_current_state(demo_db: Path, tmp_path: Path) -> None:
    app = create_app(demo_db)
    gate, memo = app.state.gate, app.state.memo
    warmer = Warmer(gate, memo)
    assert warmer.warm_once()
    with gate.read() as store:
        first = store_version(store)
    warmed = memo_keys(memo)
    assert {("overview", first), ("revenue", first)} <= warmed
    assert any(isinstance(k, tuple) and k[0] == "content" and k[-1] == first for k in warmed)
    before = views.overview_data(gate, memo)["overview"].interactions
    assert memo_keys(memo) == warmed  # a request after the warmer computes nothing new

    # another process imports (here: the same calls `tiescale ingest` makes, on its own store handle)
    events = tmp_path / "late.csv"
    with events.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        w.writerows([["2026-10-30T10:00:00+00:00", "latecomer", f"p{i}", "in", "reply", "x", f"late{i}", "hi"]
                     for i in range(7)])
    with Store(demo_db) as store:
        ingest_path(store, events)
        refresh_derived(store)
    assert warmer.warm_once()
    with gate.read() as store:
        second = store_version(store)
    assert second != first and ("overview", second) in memo_keys(memo)
    assert views.overview_data(gate, memo)["overview"].interactions == before + 7
    assert warmer.warm_once() and warmer.version == second  # nothing changed: nothing to do


def test_a_request_waits_for_the_computation_in_flight_instead_of_repeating_it() -> None:
    memo = views.Memo()
    go, calls = threading.Event(), []

    def slow() -> str:
        calls.append("slow")
        go.wait()
        return "computed once"

    def again() -> str:
        calls.append("again")
        return "computed twice"

    first = threading.Thread(target=lambda: results.append(memo.get("k", slow)))
    second = threading.Thread(target=lambda: results.append(memo.get("k", again)))
    results: list[str] = []
    first.start()
    while "k" not in memo._running:  # the first computation has started
        threading.Event().wait(0.001)
    running = memo._running["k"]
    second.start()
    while not running._cond._waiters:  # type: ignore[attr-defined]  # the second request waits on it
        threading.Event().wait(0.001)
    go.set()
    first.join()
    second.join()
    assert calls == ["slow"] and results == ["computed once", "computed once"]
