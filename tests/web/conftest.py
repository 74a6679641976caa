"""Fixtures for the dashboard tests: a demo store with monthly score history, a live server, a browser."""
from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
from rich.console import Console

from tiescale.demo import DemoConfig, run_demo
from tiescale.scoring.run import resolve_as_of, score_store
from tiescale.store.db import Store
from tiescale.surfaces.web.startup import prepare_store

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: The ceiling for any one wait in these tests (a server start, a page load, a selector): generous,
#: because CI machines are shared and a loaded one is slow; every wait ends as soon as its condition holds.
CEILING_SECONDS = 300


def build_demo(db: Path, config: DemoConfig | None = None, months: int = 6) -> Path:
    """The demo store plus monthly score snapshots, so that histories and changes have something to show."""
    run_demo(db, console=Console(file=io.StringIO()), config=config or DemoConfig(seed=7, n_people=600))
    with Store(db) as store:
        end = resolve_as_of(None, store)
        for back in range(months, 0, -1):
            score_store(store, (end.replace(day=1) - timedelta(days=30 * back)).replace(day=1))
        score_store(store, end)
    prepare_store(db)  # what `tiescale serve` does first (and every writing command after its write)
    return db


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo") / "demo.duckdb")


@pytest.fixture
def demo_db(demo_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store for one test (tests write: queue actions, merges)."""
    target = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_master, target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real app under uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + CEILING_SECONDS
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard server did not start")
            time.sleep(0.02)  # polls the server's own started flag
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=CEILING_SECONDS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page that records console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(CEILING_SECONDS * 1000)  # every wait_for_* and action, not Playwright's 30 s
    context.set_default_navigation_timeout(CEILING_SECONDS * 1000)  # page.goto, reload
    pg = context.new_page()
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("dialog", lambda d: d.accept() if d.type == "confirm" else (pg.problems.append(f"dialog: {d.message}"),
                                                                        d.dismiss()))
    yield pg
    context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
