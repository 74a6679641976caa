"""The dashboard stays open while `tiescale ingest` imports in another process, and never blocks it."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tiescale.surfaces.web.app import create_app

from .conftest import LiveServer


def big_events(path: Path, rows: int = 150_000) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        for i in range(rows):
            w.writerow([f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:00:00+00:00", "latecomer_brand", f"newperson{i % 5000}",
                        "in" if i % 3 else "out", "reply", "x", f"late{i}", f"message number {i}"])
    return path


def holds(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux /proc)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc to see the import open the store")
def test_ingest_runs_while_the_dashboard_is_open(demo_db: Path, tmp_path: Path) -> None:
    events = big_events(tmp_path / "late.csv", rows=1_000_000)
    with LiveServer(create_app(demo_db, wait=0.3)) as server, httpx.Client(base_url=server.url, timeout=60) as web:
        assert web.get("/people").status_code == 200
        before = web.get("/api/overview").json()["interactions"]
        # the server holds no connection between requests: the import opens the store for writing
        ingest = subprocess.Popen([sys.executable, "-m", "tiescale.surfaces.cli", "--db", str(demo_db), "ingest",
                                   str(events)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, "COLUMNS": "200"})
        # DuckDB refuses a writer while any reader has the file open, and `ingest` does not wait for the
        # lock: started at the very moment a page is being read, it would fail (a known limit, see
        # docs/readme/web.md). So the pages are asked once the import has the store open.
        while ingest.poll() is None and not holds(ingest.pid, demo_db):
            time.sleep(0.01)
        answers: list[int] = []
        while ingest.poll() is None:
            r = web.get("/people", headers={"accept": "text/html"})
            answers.append(r.status_code)
            assert r.status_code in (200, 503), r.text[:200]
            if r.status_code == 200 and "An import is running" in r.text:
                answers[-1] = -200  # the last good page, served while the import holds the store
            time.sleep(0.05)
        out, err = ingest.communicate()
        assert ingest.returncode == 0, err
        assert answers, f"the import finished before the dashboard could be asked anything: {out} {err}"
        assert set(answers) & {-200, 503}, f"the import never held the store while pages were asked: {answers}"
        after = web.get("/api/overview").json()["interactions"]
        assert after == before + 1_000_000
        assert "latecomer_brand" in web.get("/people").text
    assert "new interactions 1,000,000" in out
