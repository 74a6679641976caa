"""End to end in Debian's chromium: the real server on a free port, every page, the buttons, the filters."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tiescale.surfaces.web import capabilities
from tiescale.surfaces.web.app import create_app

from .conftest import LiveServer, shot

PAGES = {"overview": "/", "people": "/people", "queue": "/queue", "content": "/content", "revenue": "/revenue",
         "api": "/api"}


def visit(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def test_every_page_loads_cleanly_with_charts(demo_db: Path, page: Any) -> None:
    with LiveServer(create_app(demo_db)) as server:
        for name, path in PAGES.items():
            visit(page, server.url + path)
            assert page.locator("h1").first.is_visible(), name
            shot(page, f"page-{name}")
        visit(page, server.url + "/")
        charts = page.locator("svg.chart")
        assert charts.count() >= 4
        assert page.locator("svg.chart rect").count() > 10  # bars drawn
        assert page.locator("svg.chart path").count() >= 2  # lines drawn
        box = charts.first.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 80
        page.locator("a.person-link").first.click()
        page.wait_for_load_state("networkidle")
        assert "/people/" in page.url
        assert page.locator("svg.gauge").is_visible() and page.locator(".timeline li").count() > 0
        shot(page, "page-person")
        assert page.problems == []
        visit(page, server.url + "/people/999999999")  # a clear message, not a crash
        assert "no person" in page.locator(".message").inner_text()
        shot(page, "page-person-missing")


def test_people_filters_search_and_pages(demo_db: Path, page: Any) -> None:
    with LiveServer(create_app(demo_db)) as server:
        visit(page, server.url + "/people")
        total_text = page.locator(".results-head b").first.inner_text()
        page.select_option("select[name=tier]", "close")
        page.wait_for_function("() => location.search.includes('tier=close')")
        page.wait_for_load_state("networkidle")
        tiers = page.locator("#results .tier").all_inner_texts()
        assert tiers and {t.lower() for t in tiers} == {"close"}
        assert page.locator(".results-head b").first.inner_text() != total_text
        shot(page, "people-close")
        page.select_option("select[name=tier]", "")
        page.wait_for_function("() => !location.search.includes('tier=close')")
        name = page.locator("#results a.person-link").nth(3).inner_text()
        page.fill("input[name=q]", name[:5])
        page.wait_for_function("n => document.querySelector('#results').innerText.includes(n)", arg=name)
        page.wait_for_load_state("networkidle")
        assert name in page.locator("#results").inner_text()
        page.select_option("select[name=sort]", "last_contact")
        page.wait_for_function("() => location.search.includes('sort=last_contact')")
        page.fill("input[name=q]", "")
        page.wait_for_function("() => !location.search.includes('q=' + 'x') && document.querySelector('a[rel=next]')")
        page.locator("a[rel=next]").click()
        page.wait_for_load_state("networkidle")
        assert "page=2" in page.url and page.locator("a[rel=prev]").is_visible()
        shot(page, "people-page-2")
    assert page.problems == []


def test_queue_buttons_take_effect_at_once(demo_db: Path, page: Any) -> None:
    if not capabilities.available("queue"):
        pytest.skip("the queue capability is not installed")
    with LiveServer(create_app(demo_db)) as server:
        visit(page, server.url + "/queue")
        shot(page, "queue-before")
        items = page.locator("li.q-item")
        count = int(page.locator("#queue-count").inner_text())
        done_ref = items.nth(0).get_attribute("data-person")
        snooze_ref = items.nth(1).get_attribute("data-person")
        items.nth(0).get_by_role("button", name="Done").click()
        page.wait_for_function(f"() => !document.querySelector('li[data-person=\"{done_ref}\"]')")
        page.locator(f'li[data-person="{snooze_ref}"]').get_by_role("button", name="Snooze 7 days").click()
        page.wait_for_function(f"() => !document.querySelector('li[data-person=\"{snooze_ref}\"]')")
        assert int(page.locator("#queue-count").inner_text()) == count - 2
        assert "Snoozed" in page.locator("#toast").inner_text()
        visit(page, server.url + "/queue")  # it took effect in the store, not only on the page
        refs = page.locator("li.q-item").evaluate_all("els => els.map(e => e.dataset.person)")
        assert done_ref not in refs and snooze_ref not in refs
        assert int(page.locator("#queue-count").inner_text()) == count - 2
        visit(page, server.url + "/people/" + done_ref.lstrip("#"))
        assert "done" in page.locator(".actions-list").inner_text()
        shot(page, "queue-after")
    assert page.problems == []


def test_merge_and_unmerge_from_the_person_page(demo_db: Path, page: Any) -> None:
    with LiveServer(create_app(demo_db)) as server:
        visit(page, server.url + "/people")
        links = page.locator("#results a.person-link")
        first = links.nth(0).get_attribute("href")
        other_id = links.nth(1).get_attribute("href").rsplit("/", 1)[1]
        visit(page, server.url + first)
        identities = page.locator(".identities li").count()
        page.fill("input[name=other]", f"#{other_id}")
        page.locator("form.inline-form button", has_text="Merge").click()
        page.wait_for_function("n => document.querySelectorAll('.identities li').length > n", arg=identities)
        assert page.locator(".merges button", has_text="Unmerge").count() == 1
        shot(page, "person-merged")
        page.locator(".merges button", has_text="Unmerge").click()
        page.wait_for_function("n => document.querySelectorAll('.identities li').length == n", arg=identities)
    assert page.problems == []


def test_a_draft_can_be_checked(demo_db: Path, page: Any) -> None:
    if not capabilities.available("classify"):
        pytest.skip("the classifier is not installed")
    with LiveServer(create_app(demo_db)) as server:
        visit(page, server.url + "/content")
        page.fill("textarea[name=text]", "SALE! 30% off every bag this weekend only, use code BEANS30 at checkout")
        page.get_by_role("button", name="Check draft").click()
        page.wait_for_selector(".verdict")
        assert "promotional" in page.locator(".verdict").inner_text().lower()
        shot(page, "content-draft")
    assert page.problems == []
