"""The reply box (issue 19, point 6): answer a queue item from the dashboard, in place on Bluesky.

The store is a real sync of the recorded Bluesky day; the answer goes through the real atproto
client to the fake write endpoints on 127.0.0.1 (tests/sync/replay_write.py).
"""
# ruff: noqa: F811 - the engage tests' fixtures are imported to be used by name
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.engage.conftest import bsky, sync  # noqa: F401
from tests.sync.conftest import APP_PASSWORD, config_home, policy, server, sleeps  # noqa: F401
from tests.sync.replay import ReplayServer
from tests.sync.replay_write import FakeBluesky
from tiescale.insights.derived import refresh_derived
from tiescale.store.db import Store
from tiescale.surfaces.web.app import create_app
from tiescale.sync.runner import RetryPolicy

from .conftest import LiveServer, shot

FAY = "did:plc:fay6pq7rtz3udz5aw4bx2rgh"


@pytest.fixture
def synced_db(tmp_path: Path, server: ReplayServer, bsky: FakeBluesky, policy: RetryPolicy) -> Path:
    db = tmp_path / "web.duckdb"
    with Store(db) as store:
        sync(store, server, bsky, policy)
        refresh_derived(store)
    return db


def fay_person_id(db: Path) -> int:
    with Store(db, read_only=True) as store:
        return int(store.scalar("SELECT person_id FROM identities WHERE handle = ?", [FAY]))


def csrf(c: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}


def test_the_queue_offers_a_reply_box_and_https_links_only(synced_db: Path) -> None:
    c = TestClient(create_app(synced_db), base_url="http://127.0.0.1")
    page = c.get("/queue").text
    pid = fay_person_id(synced_db)
    assert f'data-reply-for="#{pid}"' in page and "Reply here" in page
    links = re.findall(r'<a class="btn small ghost open-link" href="([^"]+)" target="_blank" rel="([^"]+)"', page)
    assert links and all(href.startswith("https://") and rel == "noopener noreferrer" for href, rel in links)
    assert "javascript:" not in page and 'href="http://' not in page
    person = c.get(f"/people/{pid}").text
    assert "Reply here" in person and 'rel="noopener noreferrer">open</a>' in person


def test_preview_then_send_from_the_dashboard(synced_db: Path, server: ReplayServer, bsky: FakeBluesky,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c = TestClient(create_app(synced_db), base_url="http://127.0.0.1")
    pid = fay_person_id(synced_db)
    form = {"person": f"#{pid}", "answer": "Yes <b>everyone</b> is welcome, {first_name}!", "reason": "unanswered"}
    assert c.post("/ui/engage/reply", data=form, headers={"HX-Request": "true"}).status_code == 403  # no CSRF
    preview = c.post("/ui/engage/reply", data={**form, "preview": "1"}, headers={"HX-Request": "true", **csrf(c)})
    assert preview.status_code == 200 and not bsky.records
    assert "Yes &lt;b&gt;everyone&lt;/b&gt; is welcome, Fay!" in preview.text and "<b>everyone" not in preview.text
    sent = c.post("/ui/engage/reply", data=form, headers={"HX-Request": "true", **csrf(c)})
    assert sent.status_code == 200 and "Replied on bluesky" in sent.headers["HX-Trigger"]
    assert [p["text"] for p in bsky.posts()] == ["Yes <b>everyone</b> is welcome, Fay!"]
    assert f'data-reply-for="#{pid}"' not in c.get("/queue").text  # it left the queue
    person = c.get(f"/people/{pid}").text
    assert "Yes &lt;b&gt;everyone&lt;/b&gt; is welcome, Fay!" in person  # the touchpoint, at once
    # the app password is nowhere: not in a page, the log, or the store file
    everything = person + preview.text + c.get("/queue").text + caplog.text
    assert APP_PASSWORD not in everything
    assert APP_PASSWORD.encode() not in synced_db.read_bytes()


def test_a_saved_reply_from_the_reply_box(synced_db: Path, bsky: FakeBluesky) -> None:
    from tiescale.sync.snippets import add_snippet

    with Store(synced_db) as store:
        add_snippet(store, "oat", "Hi {first_name}, <yes> we have oat milk!")
    c = TestClient(create_app(synced_db), base_url="http://127.0.0.1")
    options = c.get("/ui/engage/snippets").text
    assert options == '<option value="oat">Hi {first_name}, &lt;yes&gt; we have oat milk!</option>'
    r = c.post("/ui/engage/reply", data={"person": f"#{fay_person_id(synced_db)}", "snippet": "oat", "answer": ""},
               headers={"HX-Request": "true", **csrf(c)})
    assert r.status_code == 200 and [p["text"] for p in bsky.posts()] == ["Hi Fay, <yes> we have oat milk!"]


def test_an_error_is_one_line_for_the_toast(synced_db: Path, bsky: FakeBluesky) -> None:
    c = TestClient(create_app(synced_db), base_url="http://127.0.0.1")
    bsky.deleted.add(f"at://{FAY}/app.bsky.feed.post/3kffffffffr2a")
    r = c.post("/ui/engage/reply", data={"person": f"#{fay_person_id(synced_db)}", "answer": "Hi"},
               headers={"HX-Request": "true", **csrf(c)})
    assert r.status_code == 400 and "deleted" in r.json()["detail"] and APP_PASSWORD not in r.text


def test_browser_answers_a_queue_item_and_sees_it_leave(synced_db: Path, bsky: FakeBluesky, page: Any) -> None:
    pid = fay_person_id(synced_db)
    with LiveServer(create_app(synced_db)) as live:
        page.goto(f"{live.url}/queue")
        item = page.locator(f'li.q-item[data-person="#{pid}"]')
        item.locator("summary", has_text="Reply here").click()
        item.locator("textarea[name=answer]").fill("Yes, everyone is welcome!")
        shot(page, "engage-reply-box")
        item.locator("button.reply-send").click()
        item.wait_for(state="detached")
        shot(page, "engage-queue-answered")
        assert [p["text"] for p in bsky.posts()] == ["Yes, everyone is welcome!"]
        page.goto(f"{live.url}/people/{pid}")
        assert page.locator(".timeline .tp.out", has_text="Yes, everyone is welcome!").count() == 1
