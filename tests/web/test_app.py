"""The dashboard through its HTTP interface (in-process client): pages, API, empty states, safety checks."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from tiescale.store.db import Store
from tiescale.surfaces.cli import main
from tiescale.surfaces.web import capabilities
from tiescale.surfaces.web.app import create_app

PAGES = ["/", "/people", "/queue", "/content", "/revenue", "/api"]


def client(db: Path, token: str | None = None, host: str = "127.0.0.1") -> TestClient:
    return TestClient(create_app(db, token=token), base_url=f"http://{host}")


def csrf(c: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}


def first_person(c: TestClient) -> dict:
    return c.get("/api/people", params={"per_page": 1}).json()["rows"][0]


def test_every_page_renders_real_content(demo_db: Path) -> None:
    c = client(demo_db)
    for url in PAGES:
        r = c.get(url)
        assert r.status_code == 200, url
        assert "text/html" in r.headers["content-type"]
        assert "Content-Security-Policy" in r.headers
    top = first_person(c)
    assert top["label"] in c.get("/").text
    assert top["label"] in c.get("/people").text
    person = c.get(f"/people/{top['person_id']}")
    assert person.status_code == 200 and "Score history" in person.text and "<svg" in person.text


def test_people_api_filters_sorts_and_pages(demo_db: Path) -> None:
    c = client(demo_db)
    everyone = c.get("/api/people", params={"per_page": 500}).json()
    assert everyone["total"] >= len(everyone["rows"]) > 0
    scores = [r["score"] for r in everyone["rows"]]
    assert scores == sorted(scores, reverse=True)
    for tier in ("champion", "close", "stranger"):
        rows = c.get("/api/people", params={"tier": tier, "per_page": 500}).json()["rows"]
        assert all(r["tier"] == tier for r in rows)
    with Store(demo_db, read_only=True) as store:
        platform, handle, person_id = store.con.execute(
            "SELECT i.platform, i.handle, i.person_id FROM identities i JOIN person_scores s USING (person_id) "
            "WHERE s.as_of = (SELECT max(as_of) FROM score_runs) ORDER BY s.score DESC LIMIT 1").fetchall()[0]
        on_platform = store.con.execute(
            "SELECT count(DISTINCT s.person_id) FROM person_scores s JOIN identities i USING (person_id) "
            "WHERE s.as_of = (SELECT max(as_of) FROM score_runs) AND i.platform = ?", [platform]).fetchall()[0][0]
    found = c.get("/api/people", params={"q": handle[:6]}).json()["rows"]
    assert person_id in [r["person_id"] for r in found]
    assert c.get("/api/people", params={"platform": platform}).json()["total"] == on_platform
    page1 = c.get("/api/people", params={"per_page": 5, "page": 1}).json()["rows"]
    page2 = c.get("/api/people", params={"per_page": 5, "page": 2}).json()["rows"]
    assert not {r["person_id"] for r in page1} & {r["person_id"] for r in page2}
    for sort, key in (("last_contact", "last_contact"), ("change", "change")):
        rows = c.get("/api/people", params={"sort": sort, "per_page": 100}).json()["rows"]
        values = [r[key] for r in rows if r[key] is not None]
        assert values == sorted(values, reverse=True), sort
    assert c.get("/api/people", params={"tier": "famous"}).status_code == 422


def test_queue_actions_take_effect_at_once(demo_db: Path) -> None:
    c = client(demo_db)
    if not capabilities.available("queue"):
        pytest.skip("the queue capability is not installed")
    queue = c.get("/api/queue", params={"limit": 1000}).json()
    assert queue["available"] and queue["data"]
    first, second = queue["data"][0], queue["data"][1]
    headers = csrf(c)
    assert c.post(f"/api/queue/%23{first['person_id']}/done", json={"note": "answered"}, headers=headers).status_code == 200
    assert c.post("/ui/queue/snooze", data={"person": f"#{second['person_id']}", "days": 3}, headers=headers).status_code == 200
    after = {i["person_id"] for i in c.get("/api/queue", params={"limit": 1000}).json()["data"]}
    assert first["person_id"] not in after and second["person_id"] not in after
    history = c.get(f"/api/people/{first['person_id']}").json()["actions"]["data"]
    assert [a["note"] for a in history] == ["answered"]


def test_merge_and_unmerge_from_the_api(demo_db: Path) -> None:
    c = client(demo_db)
    rows = c.get("/api/people", params={"per_page": 2}).json()["rows"]
    a, b = rows[0]["person_id"], rows[1]["person_id"]
    headers = csrf(c)
    merged = c.post(f"/api/people/{a}/merge", json={"other": f"#{b}"}, headers=headers)
    assert merged.status_code == 200
    merge_id = merged.json()["merge_id"]
    person = c.get(f"/api/people/{a}").json()
    assert {m["merge_id"] for m in person["merges"]} == {merge_id}
    assert c.get(f"/people/{b}").status_code == 200  # a merged person's page shows who they are now
    assert c.post(f"/api/merges/{merge_id}/undo", headers=headers).json()["undone"] == [merge_id]
    assert c.get(f"/api/people/{a}").json()["merges"] == []
    assert c.post(f"/api/people/{a}/merge", json={"other": "nobody:at-all"}, headers=headers).status_code == 404


def test_state_changes_need_the_csrf_token(demo_db: Path) -> None:
    c = client(demo_db)
    c.get("/")  # the CSRF cookie
    with Store(demo_db, read_only=True) as store:
        merges_before = store.con.execute("SELECT count(*) FROM merges").fetchall()[0][0]
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        r = c.post("/api/people/1/merge", json={"other": "#2"}, headers=headers)
        assert r.status_code == 403, headers
        assert c.post("/ui/rescore", headers=headers).status_code == 403
    good = csrf(c)
    cross = c.post("/api/rescore", headers={**good, "Origin": "http://evil.example"})
    assert cross.status_code == 403
    fresh = client(demo_db)  # a token from another browser (cookie) is refused
    assert fresh.post("/api/rescore", headers=good).status_code == 403
    with Store(demo_db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM merges").fetchall()[0][0] == merges_before
    assert c.post("/api/rescore", headers=good).status_code == 200


def test_token_guards_every_route(demo_db: Path) -> None:
    token = "s3cret-token-for-tests"
    c = client(demo_db, token=token, host="192.0.2.10")
    for url in PAGES + ["/api/people", "/api/openapi.json", "/static/app.css"]:
        assert c.get(url).status_code == 401, url
    assert c.get("/people?token=wrong").status_code == 401
    assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/people", headers=bearer).status_code == 200
    assert c.post("/api/rescore", headers=bearer).status_code == 200  # no CSRF needed with a Bearer token
    r = c.get(f"/people?token={token}&tier=close", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/people?tier=close"
    assert c.get("/people?tier=close").status_code == 200  # the cookie now carries the token
    assert c.post("/api/rescore").status_code == 403  # cookie-authenticated: CSRF still required


def test_loopback_only_without_a_token(demo_db: Path) -> None:
    assert client(demo_db, host="localhost").get("/").status_code == 200
    rebound = client(demo_db, host="attacker.example")  # DNS rebinding: a foreign Host name
    assert rebound.get("/api/people").status_code == 421


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.duckdb"), "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "without a token" in result.output


def test_an_empty_store_shows_empty_states(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    Store(db).close()
    c = client(db)
    for url in PAGES:
        assert c.get(url).status_code == 200, url
    assert "Nothing scored yet" in c.get("/").text
    assert c.get("/api/people").json() == {"as_of": None, "total": 0, "page": 1, "pages": 1, "per_page": 50, "rows": []}
    assert c.get("/people/42").status_code == 404


def test_a_missing_capability_is_a_clear_empty_state(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(capabilities.CAPABILITIES, "queue", capabilities.Capability("the nurture queue", {}))
    monkeypatch.setitem(capabilities.CAPABILITIES, "content", capabilities.Capability("the content report", {}))
    c = client(demo_db)
    queue = c.get("/queue")
    assert queue.status_code == 200 and "The nurture queue is not available yet" in queue.text
    assert "The content report is not available yet" in c.get("/content").text
    assert c.get("/api/queue").json()["available"] is False


def test_report_is_one_self_contained_file(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(main, ["--db", str(demo_db), "report", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "src=" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "<style>" in html and html.count("<svg") >= 3
    c = client(demo_db)
    assert first_person(c)["label"] in html
