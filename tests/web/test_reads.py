"""GET requests never write: every page and API read leaves the store file's bytes as they were."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import httpx

from tiescale.surfaces.web.app import create_app
from tiescale.surfaces.web.startup import prepare_store

from .conftest import CEILING_SECONDS, LiveServer

PAGES = ["/", "/people", "/people?tier=close&sort=change", "/people?q=a&platform=x", "/queue", "/content",
         "/content?by=week", "/revenue", "/api"]
API_READS = ["/api/session", "/api/overview", "/api/people", "/api/people?sort=drop&per_page=5", "/api/queue",
             "/api/responsiveness", "/api/responsiveness?by=all", "/api/content", "/api/revenue", "/api/openapi.json"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_get_requests_never_write(demo_db: Path) -> None:
    prepare_store(demo_db)  # what `tiescale serve` does first: score and refresh derived state (a write)
    before = digest(demo_db)
    app = create_app(demo_db)
    writes: list[str] = []
    opened_for_writing = app.state.gate.write

    @contextmanager
    def counting_write() -> Iterator[Any]:
        writes.append("write")
        with opened_for_writing() as store:
            yield store
    app.state.gate.write = counting_write
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=CEILING_SECONDS) as web:
        person_id = web.get("/api/people", params={"per_page": 1}).json()["rows"][0]["person_id"]
        for url in PAGES + API_READS + [f"/people/{person_id}", f"/api/people/{person_id}"]:
            assert web.get(url).status_code == 200, url
    assert writes == []
    assert digest(demo_db) == before
