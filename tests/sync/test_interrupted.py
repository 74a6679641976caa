"""A sync killed half-way, and a server answering garbage half-way: store and cursor stay together."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.sync.conftest import BLUESKY, OWN_DID, bluesky_connection, cassette
from tests.sync.replay import Exchange, ReplayServer
from tiescale.store.db import Store
from tiescale.sync.credentials import save_connection
from tiescale.sync.runner import RetryPolicy, load_cursor, sync_store

ROOT = Path(__file__).resolve().parents[2]
NOTIFICATIONS = "/xrpc/app.bsky.notification.listNotifications"
PAGE_1_CURSOR = "2024-03-10T09:00:01.000Z"
CHILD = """
import sys
from tiescale.store.db import Store
from tiescale.sync.runner import RetryPolicy, sync_store
with Store(sys.argv[1]) as store:
    sync_store(store, policy=RetryPolicy(sleep=lambda s: None))
"""


def keys(store: Store) -> set[tuple]:
    return set(store.con.execute("SELECT platform, handle, dedupe_key, kind FROM interactions").fetchall())


def test_killed_while_waiting_for_a_page_then_resumed(tmp_path: Path, server: ReplayServer,
                                                      policy: RetryPolicy) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    server.insert(Exchange("GET", NOTIFICATIONS, {"cursor": PAGE_1_CURSOR}, delay=30.0,
                           body={"notifications": []}))
    save_connection(bluesky_connection(server))
    db = tmp_path / "s.duckdb"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], cwd=ROOT, env=dict(os.environ),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not any(s.query.get("cursor") == PAGE_1_CURSOR for s in server.requests_to(NOTIFICATIONS)):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never asked for page 2"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)  # no clean-up of any kind
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    with Store(db) as store:
        state = load_cursor(store.con, "bluesky", OWN_DID, "notifications")
        assert (state.walk_cursor, state.high_water) == (PAGE_1_CURSOR, None)  # page 1 stored, as the cursor says
        stored = {row[0] for row in store.con.execute("SELECT item_id FROM interactions").fetchall()}
        assert len(stored) == 3
        report = sync_store(store, connections=[bluesky_connection(server)], policy=policy)
        assert {s.status for s in report.streams} == {"ok"}
        with Store(tmp_path / "clean.duckdb") as clean:
            sync_store(clean, connections=[bluesky_connection(server)], policy=policy)
            assert keys(store) == keys(clean)


def test_a_garbage_page_mid_way_is_refused_and_the_cursor_stays(tmp_path: Path, server: ReplayServer,
                                                                policy: RetryPolicy) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    server.insert(Exchange("GET", NOTIFICATIONS, {"cursor": PAGE_1_CURSOR},
                           body={"notifications": [{"reason": "like", "uri": "not an at uri"}], "cursor": "x"}))
    with Store(tmp_path / "s.duckdb") as store:
        report = sync_store(store, connections=[bluesky_connection(server)], policy=policy)
        notifications = next(s for s in report.streams if s.stream == "notifications")
        assert notifications.status == "partial" and "not a Bluesky export" in (notifications.message or "")
        assert load_cursor(store.con, "bluesky", OWN_DID, "notifications").walk_cursor == PAGE_1_CURSOR
        report = sync_store(store, connections=[bluesky_connection(server)], policy=policy)
        assert {s.status for s in report.streams} == {"ok"}
