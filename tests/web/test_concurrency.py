"""The dashboard stays open while `tiescale ingest` imports in another process, and never blocks it.

A real server on 127.0.0.1 and a real second process. Every wait is on a condition (the server's
readiness answer, the writer's note, the import process's end), each with a generous ceiling for a
loaded machine; nothing sleeps a fixed time hoping the other side is done.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tiescale.surfaces.web.app import create_app
from tiescale.surfaces.writers import waiting_writers

from .conftest import LiveServer

#: The longest any one condition may take on a loaded machine before the test gives up.
CEILING = 600.0


def big_events(path: Path, rows: int = 150_000) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        for i in range(rows):
            w.writerow([f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:00:00+00:00", "latecomer_brand", f"newperson{i % 5000}",
                        "in" if i % 3 else "out", "reply", "x", f"late{i}", f"message number {i}"])
    return path


def wait_until(condition: Callable[[], bool], what: str, ceiling: float = CEILING) -> None:
    """Poll ``condition`` (each poll is itself a request or a process check) until it holds."""
    deadline = time.monotonic() + ceiling
    while not condition():
        assert time.monotonic() < deadline, f"gave up after {ceiling:.0f}s waiting for {what}"
        time.sleep(0.02)  # a poll interval, not a guess at how long the other side takes


def test_ingest_runs_while_the_dashboard_is_open(demo_db: Path, tmp_path: Path) -> None:
    events = big_events(tmp_path / "late.csv", rows=1_000_000)
    with LiveServer(create_app(demo_db, wait=0.3)) as server, \
            httpx.Client(base_url=server.url, timeout=CEILING) as web:
        assert web.get("/api/ready").json() == {"ready": True, "store": demo_db.name}
        assert web.get("/people").status_code == 200
        before = web.get("/api/overview").json()["interactions"]
        # the server holds no connection between requests; the import announces itself (a note next
        # to the store), the server stops opening new reads, and the import gets the file
        ingest = subprocess.Popen([sys.executable, "-m", "tiescale.surfaces.cli", "--db", str(demo_db), "ingest",
                                   str(events)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, "COLUMNS": "200", "TIESCALE_LOCK_WAIT": ""})
        try:
            wait_until(lambda: ingest.poll() is not None or ingest.pid in waiting_writers(demo_db),
                       "the import to announce itself")
            answers: list[int] = []
            while ingest.poll() is None:  # pages asked the whole time the import runs, as fast as they answer
                r = web.get("/people", headers={"accept": "text/html"})
                assert r.status_code in (200, 503), r.text[:200]
                busy = r.status_code == 503 or "An import is running" in r.text
                answers.append(-r.status_code if busy and r.status_code == 200 else r.status_code)
                ready = web.get("/api/ready")
                assert ready.status_code in (200, 503)
            out, err = ingest.communicate(timeout=CEILING)
        finally:
            if ingest.poll() is None:
                ingest.kill()
                ingest.communicate()
        assert ingest.returncode == 0, err
        assert answers, f"the import finished before the dashboard could be asked anything: {out} {err}"
        assert set(answers) & {-200, 503}, f"the import never held the store while pages were asked: {answers}"
        assert waiting_writers(demo_db) == []  # the note went with the import
        wait_until(lambda: web.get("/api/ready").status_code == 200, "the store to be free again")
        # the import brought derived state up to date before it ended: the first reads after it are
        # cheap reads, not rebuilds (the ceiling stays generous: the machine may be loaded)
        after = web.get("/api/overview").json()["interactions"]
        assert after == before + 1_000_000
        assert "latecomer_brand" in web.get("/people").text
    assert "new interactions 1,000,000" in out


def test_a_busy_dashboard_never_keeps_a_writer_out(demo_db: Path) -> None:
    """Pages asked back to back from several clients (no gap between requests) while `tiescale done`
    runs in another process: the command gets the store (it announces itself), never fails."""
    import threading

    with LiveServer(create_app(demo_db, wait=0.3)) as server:
        person = httpx.get(server.url + "/api/people", params={"per_page": 1}, timeout=CEILING).json()["rows"][0]
        stop = threading.Event()
        statuses: list[int] = []

        def hammer() -> None:
            with httpx.Client(base_url=server.url, timeout=CEILING) as web:
                while not stop.is_set():
                    statuses.append(web.get("/api/people", params={"per_page": 5}).status_code)

        clients = [threading.Thread(target=hammer) for _ in range(3)]
        for client in clients:
            client.start()
        try:
            wait_until(lambda: len(statuses) >= 10, "the clients to be reading")
            done = subprocess.run([sys.executable, "-m", "tiescale.surfaces.cli", "--db", str(demo_db), "done",
                                   f"#{person['person_id']}", "--note", "while the dashboard was busy"],
                                  capture_output=True, text=True, timeout=CEILING,
                                  env={**os.environ, "TIESCALE_LOCK_WAIT": ""})
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=CEILING)
        assert done.returncode == 0, done.stderr
        assert set(statuses) <= {200, 503}
        history = httpx.get(server.url + f"/api/people/{person['person_id']}", timeout=CEILING).json()
        assert "while the dashboard was busy" in str(history)
