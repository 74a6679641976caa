"""The dashboard in Debian's chromium at a desktop (1440x900) and a phone (390x844) size: no page
scrolls sideways, the main heading is in the first screen, the queue comes first on a phone, axe-core
finds nothing serious on any page or the report, the keyboard alone gets through the queue, Undo,
the back button, a merge error, and the note form without JavaScript. Screenshots: artifacts/."""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tiescale.surfaces.cli import main
from tiescale.surfaces.web.app import create_app

from .conftest import ARTIFACTS, CEILING_SECONDS, LiveServer
from .layout import SIZES, axe_violations, counts, measure, serious, smallest_chart_text, visible_charts

PAGES = {"overview": "/", "queue": "/queue", "people": "/people", "content": "/content", "revenue": "/revenue",
         "api": "/api"}


@pytest.fixture
def sized(browser: Any) -> Iterator[Any]:
    """Pages at a given size: ``sized(size, javascript=True)``; all closed at the end."""
    contexts: list[Any] = []

    def make(size: str, javascript: bool = True) -> Any:
        context = browser.new_context(viewport=SIZES[size], java_script_enabled=javascript, bypass_csp=True)
        context.set_default_timeout(CEILING_SECONDS * 1000)
        context.set_default_navigation_timeout(CEILING_SECONDS * 1000)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on("dialog", lambda d: d.accept())
        return page
    yield make
    for context in contexts:
        context.close()


def visit(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def first_person(server: LiveServer) -> int:
    with urllib.request.urlopen(server.url + "/api/people?per_page=1") as answer:
        return int(json.loads(answer.read())["rows"][0]["person_id"])


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_fits_the_screen_and_axe_finds_nothing_serious(demo_db: Path, tmp_path: Path, sized: Any,
                                                                    size: str) -> None:
    report = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["--db", str(demo_db), "report", str(report)]).exit_code == 0
    page = sized(size)
    found: dict[str, Any] = {}
    with LiveServer(create_app(demo_db)) as server:
        urls = {**{k: server.url + v for k, v in PAGES.items()},
                "person": f"{server.url}/people/{first_person(server)}", "report": report.as_uri()}
        for name, url in urls.items():
            visit(page, url)
            m = measure(page)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"after-{size}-{name}.png"))
            assert m["scroll_width"] <= m["viewport"], f"{name} scrolls sideways at {size}: {m}"
            assert m["heading_bottom"] is not None and m["heading_bottom"] <= m["viewport_height"], \
                f"{name}: the heading is not in the first screen at {size}: {m}"
            if name in ("overview", "content", "report"):  # each chart shows at one of its two widths
                assert visible_charts(page) == page.locator("figure.chart-box").count() > 0, f"{name} at {size}"
            least = smallest_chart_text(page)
            assert least is None or least >= 11, f"{name} at {size}: chart text at {least:.1f} px"
            violations = axe_violations(page)
            found[name] = counts(violations)
            assert serious(violations) == [], f"{name} at {size}: {serious(violations)}"
        if size == "phone":  # the queue comes first: today's people before the summary cards
            visit(page, urls["overview"])
            today = page.locator("section.today").bounding_box()
            cards = page.locator("section.kpis").bounding_box()
            assert today and cards and today["y"] < cards["y"] and today["y"] < SIZES["phone"]["height"]
    (ARTIFACTS / f"axe-{size}.json").write_text(json.dumps(found, indent=1), encoding="utf-8")
    assert page.problems == []


def test_the_keyboard_alone_completes_done_twice(demo_db: Path, sized: Any) -> None:
    page = sized("desktop")
    with LiveServer(create_app(demo_db)) as server:
        visit(page, server.url + "/queue")
        first, second = page.locator("li.q-item").evaluate_all("els => els.slice(0, 2).map(e => e.dataset.person)")
        presses = 0
        while page.evaluate("() => !document.activeElement.classList.contains('q-done')"):
            page.keyboard.press("Tab")
            presses += 1
            assert presses <= 30, "the first Done is more than 30 Tab presses away"
        assert page.evaluate("() => document.activeElement.closest('li').dataset.person") == first
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => !document.querySelector('li[data-person=\"{first}\"]')")
        # focus moved to the next person's Done, not to <body>: Enter again completes the second
        page.wait_for_function("() => document.activeElement.classList.contains('q-done')")
        assert page.evaluate("() => document.activeElement.closest('li').dataset.person") == second
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => !document.querySelector('li[data-person=\"{second}\"]')")
        (ARTIFACTS / "keyboard-tabs.txt").write_text(f"{presses} Tab presses to the first Done, 0 to the second\n")
    assert page.problems == []


def test_undo_brings_the_person_back_and_tab_counts_follow(demo_db: Path, sized: Any) -> None:
    page = sized("desktop")
    with LiveServer(create_app(demo_db)) as server:
        visit(page, server.url + "/queue")
        item = page.locator("li.q-item").first
        ref, reason = item.get_attribute("data-person"), item.get_attribute("data-reason")
        name = item.locator(".person-link").inner_text()
        all_tab = page.locator('.tabs a[data-reason="all"] b')
        reason_tab = page.locator(f'.tabs a[data-reason="{reason}"] b')
        before_all, before_reason = int(all_tab.inner_text()), int(reason_tab.inner_text())
        item.get_by_role("button", name="Done").click()
        page.wait_for_function(f"() => !document.querySelector('li[data-person=\"{ref}\"]')")
        assert page.locator("#toast").inner_text().startswith(f"Done: {name}")
        assert (int(all_tab.inner_text()), int(reason_tab.inner_text())) == (before_all - 1, before_reason - 1)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "after-queue-undo-toast.png"))
        with page.expect_navigation():
            page.locator("#toast").get_by_role("button", name="Undo").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("li.q-item").first.get_attribute("data-person") == ref
        assert int(page.locator('.tabs a[data-reason="all"] b').inner_text()) == before_all
        snooze = page.locator("li.q-item").first
        snooze.get_by_role("button", name="Snooze 3 days").click()
        page.wait_for_function(f"() => !document.querySelector('li[data-person=\"{ref}\"]')")
        assert page.locator("#toast").inner_text().startswith(f"Snoozed {name} for 3 days")
    assert page.problems == []


def test_back_restores_the_search_box_and_a_merge_error_says_why(demo_db: Path, sized: Any) -> None:
    page = sized("desktop")
    with LiveServer(create_app(demo_db)) as server:
        visit(page, server.url + "/people")
        name = page.locator("#results a.person-link").nth(2).inner_text()
        page.fill("input[name=q]", name[:5])
        page.wait_for_function("q => location.search.includes('q=' + encodeURIComponent(q))", arg=name[:5])
        page.wait_for_load_state("networkidle")
        page.locator("#results a.person-link").first.click()
        page.wait_for_load_state("networkidle")
        page.go_back()
        page.wait_for_function("q => document.querySelector('input[name=q]').value === q", arg=name[:5])
        visit(page, f"{server.url}/people/{first_person(server)}")
        page.fill("input[name=other]", "nobody:at-all")
        page.locator("form.inline-form button", has_text="Merge").click()
        page.wait_for_function("() => document.querySelector('#toast').classList.contains('error')")
        assert "no person" in page.locator("#toast").inner_text()
    assert [p for p in page.problems if "404" not in p] == []  # the refused merge is the only error


def test_without_javascript_a_note_is_posted_not_put_in_the_address(demo_db: Path, sized: Any) -> None:
    page = sized("phone", javascript=False)
    with LiveServer(create_app(demo_db)) as server:
        person = first_person(server)
        visit(page, f"{server.url}/people/{person}")
        page.fill("textarea[name=note]", "private: prefers DMs after 6pm")
        with page.expect_navigation():
            page.get_by_role("button", name="Save note", exact=True).click()
        assert "private" not in page.url and "note=" not in page.url
        assert "private: prefers DMs after 6pm" in page.locator(".actions-list").inner_text()
        visit(page, server.url + "/queue")
        ref = page.locator("li.q-item").first.get_attribute("data-person")
        with page.expect_navigation():
            page.locator("li.q-item").first.get_by_role("button", name="Done").click()
        assert "acted=" in page.url and page.locator(f'li[data-person="{ref}"]').count() == 0
        assert page.locator(".banner", has_text="Done:").get_by_role("button", name="Undo").is_visible()
