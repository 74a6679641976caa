"""Hostile text in an export (script tags, event-handler attributes, javascript: links) never runs.

An events CSV and a Bluesky notifications export carry the payloads in messages, handles, display
names and the own account's handle. Every page (and the report) is opened in chromium with the
Content-Security-Policy switched OFF, so that escaping and sanitizing alone must hold; then the
test proves no payload ran (window.__xss unset, no dialog, no console error) and that the DOM
holds no injected element, event-handler attribute or javascript: link.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tiescale.scoring.run import score_store
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.surfaces.cli import main
from tiescale.surfaces.web.app import create_app
from tiescale.surfaces.web.startup import prepare_store

from .conftest import CEILING_SECONDS, LiveServer, shot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAYLOADS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "\"><svg onload=\"window.__xss='svg'\"></svg>",
    "<a href=\"javascript:window.__xss='link'\">click me</a>",
    "javascript:window.__xss='bare'",
    "see https://shop.example/\"onmouseover=\"window.__xss='url' for more",
    "</textarea><script>window.__xss='textarea'</script>",
    "{{ 7*7 }} {% raw %}x{% endraw %}",
    "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
    "<style>body{display:none}</style><b onclick=\"window.__xss='b'\">bold</b>",
]
HOSTILE_PEOPLE = ["<img src=x onerror=window.__xss='handle'>", "javascript:window.__xss='h2'",
                  "\"><script>window.__xss='h3'</script>"]
HOSTILE_ACCOUNT = "<svg/onload=window.__xss='account'>"

DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith('on')) bad.push(el.tagName + ' ' + a.name);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name.toLowerCase())
          && a.value.trim().toLowerCase().startsWith('javascript:')) bad.push(el.tagName + ' ' + a.name + '=' + a.value);
    }
  }
  for (const el of document.querySelectorAll('iframe, object, embed, img[src=x], main script, main style')) bad.push('element ' + el.tagName);
  return {bad, xss: window.__xss === undefined ? null : String(window.__xss)};
}"""


def hostile_exports(folder: Path) -> list[tuple[Path, str | None, str | None]]:
    events = folder / "hostile.csv"
    with events.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        n = 0
        for day, person in enumerate(HOSTILE_PEOPLE + ["plain_person"]):
            for i, text in enumerate(PAYLOADS):
                n += 1
                ts = f"2026-03-{day * 7 + 1 + i % 5:02d}T{8 + i}:00:00+00:00"
                w.writerow([ts, HOSTILE_ACCOUNT, person, "in", "reply", "x", f"h{n}", text])
                n += 1
                w.writerow([ts.replace("T", "T").replace(":00:00", ":30:00"), HOSTILE_ACCOUNT, person, "out", "reply",
                            "x", f"h{n}", f"re: {text}"])
    notes = json.loads((FIXTURES / "bluesky" / "notifications.json").read_text(encoding="utf-8"))
    for i, item in enumerate(notes["notifications"]):
        item["author"]["displayName"] = PAYLOADS[i % len(PAYLOADS)]
        record = item.get("record") or {}
        if "text" in record:
            record["text"] = PAYLOADS[(i + 3) % len(PAYLOADS)]
    bluesky = folder / "notifications.json"
    bluesky.write_text(json.dumps(notes), encoding="utf-8")
    return [(events, None, None), (bluesky, "bluesky", "brand.example.com")]


def hostile_store(folder: Path) -> Path:
    db = folder / "hostile.duckdb"
    with Store(db) as store:
        for path, fmt, account in hostile_exports(folder):
            ingest_path(store, path, fmt=fmt, account=account)
        score_store(store)
        names = store.con.execute("SELECT count(*) FROM identities WHERE display_name LIKE '%<%'").fetchall()[0][0]
        texts = store.con.execute("SELECT count(*) FROM interactions WHERE text LIKE '%<script>%'").fetchall()[0][0]
    assert names > 0 and texts > 0, "the payloads must reach the store for this test to mean anything"
    prepare_store(db)  # derived state up to date, as `tiescale ingest` and `tiescale serve` leave it
    return db


def check(page: Any, where: str) -> None:
    result = page.evaluate(DOM_CHECK)
    assert result["xss"] is None, f"{where}: a payload ran ({result['xss']})"
    assert result["bad"] == [], f"{where}: injected markup {result['bad']}"


def test_no_script_runs_on_any_page(tmp_path: Path, page: Any) -> None:
    db = hostile_store(tmp_path)
    with LiveServer(create_app(db, csp=False)) as server:
        people = [r["person_id"] for r in
                  __import__("httpx").get(server.url + "/api/people", params={"per_page": 100},
                                         timeout=CEILING_SECONDS).json()["rows"]]
        assert len(people) >= len(HOSTILE_PEOPLE)
        urls = ["/", "/people", "/queue", "/content", "/revenue", "/api",
                "/people?q=" + __import__("urllib.parse").parse.quote("<script>"),
                "/people?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
                "/queue?account=" + __import__("urllib.parse").parse.quote(HOSTILE_ACCOUNT)]
        urls += [f"/people/{p}" for p in people]
        for url in urls:
            page.goto(server.url + url)
            page.wait_for_load_state("networkidle")
            for link in page.locator("main a").all()[:40]:  # hovering fires onmouseover, if any got through
                if link.is_visible():
                    link.hover()  # the context's generous default: a loaded machine may take seconds
            check(page, url)
        page.goto(server.url + f"/people/{people[0]}")
        assert "<script>" in page.locator(".timeline").inner_text()  # shown as text, not run
        shot(page, "xss-person")
        if page.locator("textarea[name=text]").count() == 0:
            page.goto(server.url + "/content")
        if page.locator("textarea[name=text]").count():
            page.fill("textarea[name=text]", PAYLOADS[1] + PAYLOADS[0])
            page.get_by_role("button", name="Check draft").click()
            page.wait_for_selector("#verdict")
            page.wait_for_load_state("networkidle")
            check(page, "draft check")
    report = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["--db", str(db), "report", str(report)]).exit_code == 0
    page.goto(report.as_uri())
    check(page, "report")
    shot(page, "xss-report")
    assert page.problems == []
