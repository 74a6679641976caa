"""The dashboard for the daily job (issue 20), through its HTTP interface on real stores: today's
queue (daily size, ranking, Done/Snooze/Undo), time (ages from today, the stale banner), charts,
dead ends (links, tier ranges, exports, saved views, goals, orders), forms without JavaScript, the API."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime, timedelta, UTC
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tiescale.insights.queue import QueueConfig, build_queue
from tiescale.store.db import Store
from tiescale.surfaces.web import charts, views
from tiescale.surfaces.web.app import create_app

from ..insights.nurture_helpers import NOW, at, event, ingest_events


def client(db: Path) -> TestClient:
    return TestClient(create_app(db), base_url="http://127.0.0.1")


def csrf(c: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}


HX = {"HX-Request": "true"}


# -- today's work ------------------------------------------------------------------------------------
def test_a_complaint_ranks_above_a_question_of_the_same_age(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(3), "asker", "in", "reply", "q1", "When is the Kenya back in stock?", thread="q0"),
        event(at(3), "charged", "in", "dm", "c1", "I was charged twice for my order", thread="c0"),
        event(at(3), "chatty", "in", "mention", "m1", "@brand lovely photo", thread="m0"),
    ])
    items = build_queue(store, now=NOW, limit=0, config=QueueConfig(history_months=0))
    assert [(i.person, i.need) for i in items] == [("charged", "complaint"), ("asker", "question"), ("chatty", None)]
    assert items[0].priority > items[1].priority > items[2].priority


def test_a_complaint_is_the_message_shown_for_a_person_who_also_asked(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(4), "both", "in", "reply", "q1", "Do you ship to Denmark?", thread="q0"),
        event(at(2), "both", "in", "dm", "c1", "My order arrived damaged", thread="c0"),
    ])
    [item] = build_queue(store, now=NOW, limit=0, config=QueueConfig(history_months=0))
    assert item.need == "complaint" and "damaged" in item.evidence


def test_today_is_the_daily_size_and_the_rest_is_behind_more(demo_db: Path) -> None:
    c = client(demo_db)
    total = c.get("/api/queue").json()["total"]
    assert total > 20
    page = c.get("/queue").text
    assert page.count('class="q-item"') == 20  # the default daily size
    assert f"Show the other {total - 20:,} (more)" in page
    assert c.post("/ui/queue/size", data={"size": 7}, headers={**csrf(c), **HX}).status_code == 200
    assert c.get("/queue").text.count('class="q-item"') == 7
    more = c.get("/queue", params={"more": "true"}).text
    assert more.count('class="q-item"') == min(total, 50) and "Everyone waiting" in more
    assert c.get("/api/queue").json()["daily_size"] == 7


def test_done_and_snooze_name_the_person_and_can_be_undone(demo_db: Path) -> None:
    c = client(demo_db)
    headers = {**csrf(c), **HX}
    first, second = c.get("/api/queue", params={"limit": 2}).json()["data"]
    done = c.post("/ui/queue/done", data={"person": f"#{first['person_id']}", "reason": first["reason"]},
                  headers=headers)
    trigger = json.loads(done.headers["HX-Trigger"])
    assert trigger["toast"]["message"] == f"Done: {first['name']}"  # the name, not "#598"
    assert trigger["queueRemoved"] == {"person": f"#{first['person_id']}", "reason": first["reason"]}
    snoozed = c.post("/ui/queue/snooze", data={"person": f"#{second['person_id']}", "days": 3}, headers=headers)
    assert json.loads(snoozed.headers["HX-Trigger"])["toast"]["message"] == f"Snoozed {second['name']} for 3 days"
    for days, words in ((1, "1 day"), (7, "a week"), (30, "a month")):
        assert views_snooze_words(days) == words
    ids = {i["person_id"] for i in c.get("/api/queue", params={"limit": 1000}).json()["data"]}
    assert first["person_id"] not in ids and second["person_id"] not in ids
    for action in (trigger["toast"]["undo"], json.loads(snoozed.headers["HX-Trigger"])["toast"]["undo"]):
        undone = c.post(f"/ui/actions/{action}/undo", headers=headers)
        assert undone.status_code == 200 and "is back in the queue" in json.loads(undone.headers["HX-Trigger"])["toast"]
    data = c.get("/api/queue", params={"limit": 2}).json()["data"]
    assert [d["person_id"] for d in data] == [first["person_id"], second["person_id"]]  # back where they were
    assert c.post(f"/ui/actions/{trigger['toast']['undo']}/undo", headers=headers).status_code == 400  # once
    history = c.get(f"/api/people/{first['person_id']}").json()["actions"]["data"]
    assert [(a["action"], a["undone"]) for a in history] == [("done", True), ("undo", False)]


def views_snooze_words(days: int) -> str:
    from tiescale.insights.actions import snooze_words

    return snooze_words(days)


def test_a_note_is_not_done(demo_db: Path) -> None:
    c = client(demo_db)
    first = c.get("/api/queue", params={"limit": 1}).json()["data"][0]
    headers = {**csrf(c), **HX}
    assert c.post(f"/ui/people/{first['person_id']}/note", data={"note": "likes oat milk"}, headers=headers).status_code == 200
    assert first["person_id"] in {i["person_id"] for i in c.get("/api/queue", params={"limit": 1000}).json()["data"]}
    c.post(f"/ui/people/{first['person_id']}/note", data={"note": "answered", "done": "1"}, headers=headers)
    assert first["person_id"] not in {i["person_id"] for i in c.get("/api/queue", params={"limit": 1000}).json()["data"]}
    history = c.get(f"/api/people/{first['person_id']}").json()["actions"]["data"]
    assert [(a["action"], a["note"]) for a in history] == [("note", "likes oat milk"), ("done", "answered")]


# -- forms without JavaScript ------------------------------------------------------------------------
def test_forms_post_without_javascript_and_keep_private_text_out_of_the_url(demo_db: Path) -> None:
    c = client(demo_db)
    c.get("/")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', c.get("/queue").text).group(1)
    first = c.get("/api/queue", params={"limit": 1}).json()["data"][0]
    person = c.get(f"/people/{first['person_id']}").text
    assert re.search(r'<form class="note-form" method="post" action="/ui/people/\d+/note"', person)
    content = c.get("/content").text
    assert re.search(r'<form method="post" action="/ui/classify"', content)
    r = c.post(f"/ui/people/{first['person_id']}/note", data={"note": "secret: she is pregnant", "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303 and "secret" not in r.headers["location"]
    assert c.post(f"/ui/people/{first['person_id']}/note", data={"note": "x"}, follow_redirects=False).status_code == 403
    done = c.post("/ui/queue/done", data={"person": f"#{first['person_id']}", "csrf_token": token, "back": "/queue"},
                  follow_redirects=False)
    assert done.status_code == 303 and re.fullmatch(r"/queue\?acted=\d+", done.headers["location"])
    banner = c.get(done.headers["location"]).text
    assert f"Done: {first['name']}" in banner and "/undo" in banner  # an Undo without JavaScript too
    assert c.post("/ui/queue/done", data={"person": "#1", "csrf_token": token, "back": "https://evil.example/"},
                  follow_redirects=False).headers["location"].startswith("/queue")
    verdict = c.post("/ui/classify", data={"text": "SALE! 30% off, code BEANS30", "csrf_token": token})
    assert verdict.status_code == 200 and "verdict" in verdict.text and "BEANS30" in verdict.text


# -- time --------------------------------------------------------------------------------------------
def test_ages_count_from_today_and_stale_data_has_a_banner(demo_db: Path) -> None:
    c = client(demo_db)
    with Store(demo_db, read_only=True) as store:
        end = store.data_end()
    lag = (datetime.now(UTC).replace(tzinfo=None) - end).days
    page = c.get("/queue").text
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert f"Today {today}" in page  # the stated reference
    if lag > views.STALE_AFTER_DAYS:
        assert 'class="banner stale"' in page and "days before today" in page
    item = c.get("/api/queue", params={"limit": 1, "reason": "unanswered"}).json()["data"][0]
    waited = (datetime.now(UTC) - datetime.fromisoformat(item["waiting_since"]).replace(tzinfo=UTC)).days
    assert re.search(rf"{waited - 1}|{waited}|{waited + 1} days ago", page)


def test_rebasing_an_age_adds_the_days_since_the_data_ends() -> None:
    assert views.rebase_ages("asked 3 days ago, waiting since 30 hours ago", 34.0) == \
        "asked 37 days ago, waiting since 35 days ago"
    assert views.rebase_ages("asked 3 days ago", 0.2) == "asked 3 days ago"
    snap = type("Snap", (), {"as_of": datetime(2026, 11, 3)})()
    fresh = views.freshness(snap)
    assert fresh["data_end"].isoformat() == "2026-11-02"


# -- charts ------------------------------------------------------------------------------------------
def test_charts_text_ticks_partial_periods_and_tables(demo_db: Path) -> None:
    c = client(demo_db)
    for url in ("/", "/content", "/revenue"):
        text = c.get(url).text
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', text)]
        assert sizes and min(sizes) >= 11, url  # in chart units; CSS keeps a chart at >= 0.92 of its width
        figures = text.count('<figure class="chart-box">')
        assert figures and figures == text.count('<details class="chart-data">'), url  # a table behind each
    overview = c.get("/").text
    assert "logarithmic scale" in overview and 'href="/people?tier=champion"' in overview
    assert "so far (to" in overview  # the last, partial month is said
    assert charts.nice_scale(4900) in ((5000.0, 1000.0), (6000.0, 2000.0))
    for peak in (50, 7100, 4900, 3):
        top, step = charts.nice_scale(peak)
        assert top >= peak and re.fullmatch(r"[125]0*(\.0)?", f"{step:g}".replace("0.", "")) or step in (2.5, 25, 250)


def test_most_salesy_posts_newest_first_and_the_latest_month_beside_the_year(demo_db: Path) -> None:
    with Store(demo_db, read_only=True) as store:
        cv = views.content_view(views.attempt("content", "content_report", store))
    salesy = [p["ts"] for p in cv["r"]["most_salesy"]]
    assert salesy == sorted(salesy, reverse=True)
    text = client(demo_db).get("/").text
    assert f"in {cv['latest']['period']}, the latest month" in text


# -- dead ends ---------------------------------------------------------------------------------------
def test_cards_and_bars_link_to_the_people_behind_them(demo_db: Path) -> None:
    text = client(demo_db).get("/").text
    assert 'class="kpi-link"' in text and re.search(r'href="/people\?tier=\d%2B"', text)  # meaningful: a range
    for href in ('href="/people"', 'href="/people?tier=champion"', 'href="/queue"'):
        assert href in text, href
    assert "Today's queue" in text and text.count('class="person-link"') >= 5  # who, not only how many


def test_tier_ranges(demo_db: Path) -> None:
    c = client(demo_db)
    close = c.get("/api/people", params={"tier": "close"}).json()["total"]
    champion = c.get("/api/people", params={"tier": "champion"}).json()["total"]
    page = c.get("/people", params={"tier": "7+"}).text
    assert f"<b>{close + champion:,}</b>" in page and "score 7 and up" in page
    assert set(re.findall(r'class="tier tier-(\w+)"', page.split('id="results"')[1])) <= {"close", "champion"}
    assert c.get("/people", params={"tier": "close+"}).text.count("score 7 and up") >= 1
    bad = c.get("/people", params={"tier": "6+"})
    assert bad.status_code == 200 and "a range starts at a tier" in bad.text
    with Store(demo_db, read_only=True) as store:
        merged = views.people_data(store, None, None, None, ("close", "champion"), "score", 1, per_page=5)
        scores = [r.score for r in merged["listing"].rows]
        assert scores == sorted(scores, reverse=True) and merged["listing"].total == close + champion


def test_every_list_exports_as_csv_and_json(demo_db: Path) -> None:
    c = client(demo_db)
    rows = list(csv.DictReader(io.StringIO(c.get("/people.csv", params={"tier": "close"}).text)))
    assert rows and {r["tier"] for r in rows} == {"close"}
    assert len(rows) == c.get("/api/people", params={"tier": "close"}).json()["total"]
    as_json = c.get("/people.json", params={"tier": "7+"}).json()
    api = c.get("/api/people", params={"tier": "7+", "per_page": 500}).json()  # the API takes ranges too
    assert api["total"] == as_json["count"] and {r["tier"] for r in api["rows"]} <= {"close", "champion"}
    assert c.get("/api/people", params={"tier": "nonsense"}).status_code == 422
    assert as_json["count"] == len(as_json["rows"]) and {r["tier"] for r in as_json["rows"]} <= {"close", "champion"}
    queue = c.get("/queue.json", params={"reason": "unanswered"}).json()
    assert queue["count"] == c.get("/api/queue", params={"reason": "unanswered"}).json()["total"]
    assert "attachment" in c.get("/queue.csv").headers["content-disposition"]
    exported = list(csv.DictReader(io.StringIO(c.get("/queue.csv").text)))  # with the link to each message
    assert exported and {"url", "activity", "account_shown"} <= set(exported[0])
    assert any(r["url"].startswith("https://") for r in exported)
    person = c.get("/api/people", params={"per_page": 1}).json()["rows"][0]
    timeline = c.get(f"/people/{person['person_id']}/timeline.json").json()
    assert timeline["count"] == person["touchpoints_in"] + person["touchpoints_out"] > 0
    assert c.get(f"/people/{person['person_id']}/timeline.csv").text.startswith("ts,direction,kind")
    assert views._csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and views._csv_cell("-3") == "-3"


def test_saved_views_have_a_name_and_a_url(demo_db: Path) -> None:
    c = client(demo_db)
    headers = {**csrf(c), **HX}
    r = c.post("/ui/views", data={"name": "Close on x", "page": "people", "query": "tier=close&platform=x&page=3"},
               headers=headers)
    assert r.status_code == 200
    page = c.get("/people").text
    assert '<a href="/people?platform=x&amp;tier=close">Close on x</a>' in page
    assert c.post("/ui/views", data={"name": "", "page": "people", "query": ""}, headers=headers).status_code in (400, 422)
    c.post("/ui/views/delete", data={"name": "Close on x"}, headers=headers)
    assert "Close on x" not in c.get("/people").text


def test_a_store_from_before_migration_19_migrates(demo_db: Path) -> None:
    with Store(demo_db) as store:
        store.con.execute("DROP TABLE saved_views")
        store.con.execute("DROP TABLE dashboard_settings")
        store.con.execute("ALTER TABLE nurture_actions DROP COLUMN undoes")
        store.con.execute("DELETE FROM schema_version WHERE version = 19")
    with Store(demo_db, read_only=True) as store:  # an old store opened for reading is brought up to date
        assert store.scalar("SELECT count(*) FROM saved_views") == 0
        assert 19 in {r["version"] for r in store.rows("SELECT version FROM schema_version")}
    assert client(demo_db).get("/queue").status_code == 200


def test_goals_from_the_dashboard_and_orders_on_the_person_page(demo_db: Path) -> None:
    c = client(demo_db)
    by = (datetime.now(UTC) + timedelta(days=200)).strftime("%Y-%m-%d")
    r = c.post("/ui/goals", data={"target": 40, "by": by}, headers={**csrf(c), **HX})
    assert r.status_code == 200 and "Goal set" in json.loads(r.headers["HX-Trigger"])["toast"]
    assert "of a target of 40 by" in c.get("/").text
    from tiescale.insights.orders import all_orders

    with Store(demo_db, read_only=True) as store:
        buyer = next((o["person_id"] for o in all_orders(store, limit=0) if o["person_id"] is not None), None)
    if buyer is None:
        pytest.skip("the demo has no order tied to a person")
    person = c.get(f"/api/people/{buyer}").json()
    assert person["orders"]["available"] and person["orders"]["data"]["count"] >= 1
    assert "<h2>Orders</h2>" in c.get(f"/people/{buyer}").text


def test_a_merge_error_is_the_servers_message(demo_db: Path) -> None:
    c = client(demo_db)
    r = c.post("/ui/people/1/merge", data={"other": "nobody:at-all"}, headers={**csrf(c), **HX})
    assert r.status_code == 404 and "no person" in r.json()["detail"]


# -- the API -----------------------------------------------------------------------------------------
def test_the_api_types_every_response_and_pages_the_queue(demo_db: Path) -> None:
    c = client(demo_db)
    schema = c.get("/api/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
            assert ok and ok != {} and ("$ref" in ok or ok.get("type") not in (None, "object") or ok.get("properties")), \
                f"{method} {path} is untyped: {ok}"
    queue = c.get("/api/queue", params={"reason": "unanswered", "limit": 3, "offset": 2}).json()
    assert queue["total"] >= len(queue["data"]) and queue["limit"] == 3 and queue["offset"] == 2
    everyone = c.get("/api/queue", params={"reason": "unanswered", "limit": 1000}).json()["data"]
    assert [i["person_id"] for i in everyone[2:5]] == [i["person_id"] for i in queue["data"]]
    assert all(i["reason"] == "unanswered" for i in everyone)
    complaints = c.get("/api/queue", params={"need": "complaint"}).json()
    assert all(i["need"] == "complaint" for i in complaints["data"])
    docs = c.get("/api").text
    assert 'class="try-api"' in docs and '{"texts": [' in html.unescape(docs)
    assert not re.search(r'(src|href)="https?://', docs)  # local assets only


def test_a_persons_orders_are_the_ones_the_full_match_gives_them(demo_db: Path) -> None:
    """The person page matches only the orders that name this person (fast on a big store); the
    owners are the same as the full match's (insights.orders) for every buyer and some others."""
    from tiescale.insights.dashboard import person_orders
    from tiescale.insights.orders import all_orders

    with Store(demo_db, read_only=True) as store:
        full: dict[int, set[str]] = {}
        for order in all_orders(store, limit=0):
            if order["person_id"] is not None:
                full.setdefault(order["person_id"], set()).add(order["order_id"])
        assert full, "the demo ties some orders to people"
        others = [r["person_id"] for r in store.rows("SELECT person_id FROM people WHERE merged_into IS NULL "
                                                     "ORDER BY person_id LIMIT 40")]
        for person in set(full) | set(others):
            got = person_orders(store, person, limit=10**6)
            assert {o["order_id"] for o in got["orders"]} == full.get(person, set()), person
            assert got["count"] == len(full.get(person, ()))


def test_the_content_lists_and_the_revenue_tiers_export_too(demo_db: Path) -> None:
    """Every list on the pages exports (issue 20): the content page's two lists and Revenue's tiers,
    the same rows the page shows; the self-contained report has no export links (nowhere to go)."""
    c = client(demo_db)
    content = c.get("/api/content").json()
    content = content.get("data", content)
    salesy = c.get("/content/salesy.json").json()
    assert salesy["count"] == len(content["most_salesy"]) > 0
    assert [r["item_id"] for r in salesy["rows"]] == [p["item_id"] for p in content["most_salesy"]]
    starters = list(csv.DictReader(io.StringIO(c.get("/content/starters.csv").text)))
    assert [r["item_id"] for r in starters] == [p["item_id"] for p in content["top_conversation_posts"]]
    tiers = c.get("/revenue/tiers.json").json()
    revenue = c.get("/api/revenue").json()["revenue"]["data"]
    assert [r["tier"] for r in tiers["rows"]] == [t["tier"] for t in revenue["tiers"]]
    assert c.get("/revenue/tiers.csv").text.startswith("tier,people,person_days")
    assert 'href="/content/salesy.csv' in c.get("/content").text and 'href="/revenue/tiers.csv"' in c.get("/revenue").text
    assert c.get("/content/other.csv").status_code in (404, 422)
    from tiescale.surfaces.report import render_report

    with Store(demo_db) as store:
        report = render_report(store)
    assert "/content/salesy.csv" not in report and "/revenue/tiers.csv" not in report
