"""Screenshots and figures of every dashboard page and the report at 1440x900 and 390x844: the
width of each page, where its heading starts, axe-core's violations (desktop). Used for the
before/after figures in docs/dashboard.md:

    .venv/bin/python -m tests.web.capture_layout before|after [STORE]

(without STORE, a demo store is built in a temporary folder: 600 people, seed 7). Writes
tests/web/artifacts/{prefix}-{desktop,phone}-{page}.png and {prefix}-layout.json.
"""
from __future__ import annotations

import json
import sys
import tempfile
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from tiescale.surfaces.cli import main as cli
from tiescale.surfaces.web.app import create_app

from .conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LiveServer, build_demo
from .layout import SIZES, axe_violations, counts, measure

PAGES = {"overview": "/", "people": "/people", "queue": "/queue", "content": "/content", "revenue": "/revenue",
         "api": "/api"}


def capture(prefix: str, db: Path) -> dict[str, dict[str, object]]:
    from playwright.sync_api import sync_playwright

    report = db.parent / f"report-{prefix}.html"
    assert CliRunner().invoke(cli, ["--db", str(db), "report", str(report)]).exit_code == 0
    found: dict[str, dict[str, object]] = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with LiveServer(create_app(db)) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with urllib.request.urlopen(server.url + "/api/people?per_page=1") as answer:
            person = json.loads(answer.read())["rows"][0]["person_id"]
        urls = {**{k: server.url + v for k, v in PAGES.items()}, "person": f"{server.url}/people/{person}",
                "report": report.as_uri()}
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, bypass_csp=True)
            page = context.new_page()
            for name, url in urls.items():
                page.goto(url)
                page.wait_for_load_state("networkidle")
                m = measure(page)
                if size == "desktop":
                    violations = axe_violations(page)
                    m["axe"] = counts(violations)
                    m["rules"] = sorted(f"{v['id']}:{v['impact']}:{len(v['nodes'])}" for v in violations)
                found[f"{size}/{name}"] = m
                page.screenshot(path=str(ARTIFACTS / f"{prefix}-{size}-{name}.png"))
            context.close()
        browser.close()
    (ARTIFACTS / f"{prefix}-layout.json").write_text(json.dumps(found, indent=1), encoding="utf-8")
    return found


if __name__ == "__main__":
    prefix = sys.argv[1] if len(sys.argv) > 1 else "after"
    store = Path(sys.argv[2]) if len(sys.argv) > 2 else build_demo(Path(tempfile.mkdtemp()) / "demo.duckdb")
    for key, value in capture(prefix, store).items():
        print(key, value)
