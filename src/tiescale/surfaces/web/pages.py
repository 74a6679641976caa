"""The HTML pages (server-rendered, Jinja2 with autoescape) and the small htmx actions behind buttons."""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import datetime, UTC
from pathlib import Path
from typing import Any
from collections.abc import Callable

import nh3
from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from ...insights import dashboard
from ...insights.actions import SNOOZE_CHOICES, snooze_words
from ...records import UsageError
from ...store import identity
from ...scoring.config import TIER_NAMES, TIERS
from ...insights.overview import store_version
from ...scoring.explain import days_ago
from ...store.db import Store
from . import capabilities, charts, views
from .capabilities import plain
from .gate import StoreBusy

TEMPLATES = Path(__file__).resolve().parent / "templates"
router = APIRouter(include_in_schema=False)
NAV = (("overview", "/", "Overview"), ("queue", "/queue", "Queue"), ("people", "/people", "People"),
       ("content", "/content", "Content"), ("revenue", "/revenue", "Revenue"))
_URL = re.compile(r"https?://[^\s<>\"']+")


# -- formatting helpers shared with the report ------------------------------------------------------
def linkify(text: str | None) -> Markup:
    """Plain user text as HTML: escaped, http(s) links made clickable, then sanitized with nh3."""
    if not text:
        return Markup("")
    parts, last = [], 0
    for m in _URL.finditer(text):
        parts.append(str(escape(text[last:m.start()])))
        url = m.group(0)
        parts.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        last = m.end()
    parts.append(str(escape(text[last:])))
    html = "".join(parts).replace("\n", "<br>")
    return Markup(nh3.clean(html, tags={"a", "br"}, attributes={"a": {"href"}}, url_schemes={"http", "https"},
                            link_rel="noopener noreferrer nofollow ugc"))


def number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    try:
        return f"{value:,.0f}" if isinstance(value, float) else f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def percent(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def day(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return f"{value:%Y-%m-%d}"


def when(value: Any) -> str:
    if value is None:
        return "undated"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return f"{value:%Y-%m-%d %H:%M}"


def ago(value: Any, data_end: datetime | None = None) -> str:
    """How long ago, counted from today (not from the end of the data: stale data must not make
    a month-old message read as "yesterday"). ``data_end`` is kept for the templates' calls."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return days_ago((views.today() - value).total_seconds() / 86400)


def label_of(key: Any) -> str:
    return str(key).replace("_", " ")


def environment_setup(env: Any) -> None:
    env.filters.update(linkify=linkify, number=number, percent=percent, day=day, when=when, label=label_of)
    env.globals.update(percent=percent, charts=charts, TIER_COLORS=charts.TIER_COLORS, TIER_NAMES=TIER_NAMES, TIERS=TIERS, ago=ago,
                       NAV=NAV, freshness=views.freshness, SNOOZE_CHOICES=SNOOZE_CHOICES)


templates = Jinja2Templates(directory=str(TEMPLATES))
environment_setup(templates.env)

# -- the last good copy of each page, shown while an import holds the store --------------------------
_cache: OrderedDict[str, tuple[str, datetime]] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(url: str, html: str) -> None:
    with _cache_lock:
        _cache[url] = (html, datetime.now())
        _cache.move_to_end(url)
        while len(_cache) > 64:
            _cache.popitem(last=False)


def busy_page(request: Request, message: str) -> HTMLResponse:
    with _cache_lock:
        cached = _cache.get(str(request.url))
    banner = (f'<div class="banner busy" role="status">An import is running in another process; '
              f"{'this is the page as of ' + cached[1].strftime('%H:%M:%S') + '. ' if cached else ''}"
              f"It refreshes by itself when the store is free.</div>")
    refresh = '<meta http-equiv="refresh" content="3">'
    if cached:
        main = '<main class="main" id="content" tabindex="-1">'
        html = cached[0].replace("<head>", "<head>" + refresh, 1).replace(main, main + banner, 1)
        return HTMLResponse(html, status_code=200, headers={"Retry-After": "3"})
    body = templates.get_template("busy.html").render(request=request, message=message, nav=NAV)
    return HTMLResponse(body, status_code=503, headers={"Retry-After": "3"})


def message_html(request: Request, message: str) -> str:
    return templates.get_template("busy.html").render(request=request, message=message, nav=NAV, error=True)


def render(request: Request, name: str, context: dict[str, Any], remember: bool = True) -> HTMLResponse:
    context = {"request": request, "csrf_token": getattr(request.state, "csrf_token", ""), **context}
    html = templates.get_template(name).render(context)
    if remember and request.method == "GET" and not request.headers.get("hx-request"):
        _remember(str(request.url), html)
    return HTMLResponse(html)


def read(request: Request, build: Callable[[Store], dict[str, Any]]) -> dict[str, Any]:
    with request.app.state.gate.read() as store:
        data = build(store)
    data["db_name"] = request.app.state.gate.path.name
    return data


# -- pages ------------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    data = views.overview_data(request.app.state.gate, request.app.state.memo)
    data["db_name"] = request.app.state.gate.path.name
    data["view_charts"] = views.overview_charts(data["overview"])
    data["view_charts"]["growth"] = views.vanity_chart(data["vanity"]) or data["view_charts"]["growth"]
    data["responsiveness_summary"] = views.responsiveness_summary(data["responsiveness"], data["responsiveness_all"])
    data["responsiveness_chart"] = views.responsiveness_chart(data["responsiveness_summary"], data["snap"].as_of)
    data["headline"] = views.headline(data)
    data["revenue_by_tier"] = views.revenue_tier_chart(data["revenue"])
    data["cv"] = views.content_view(data["content"])
    # today's queue: who, not only how many (the first few of the daily size)
    size = views.daily_size(request.app.state.gate)
    counts = views.queue_counts(data["queue"])
    data["queue_total"] = sum(counts.values())
    data["today_count"] = min(size, data["queue_total"])
    data["today_items"] = views.queue_items(data["queue"], None, 0, min(5, data["today_count"]),
                                            lag_days=views.freshness(data["snap"])["offset"])
    data["rv"] = {"goals": [plain(g) for g in (data["goals"].data or [])] if data["goals"].available else []}
    return render(request, "overview.html", {"active": "overview", **data})


def _people_filter(tier: str | None) -> tuple[tuple[str, ...] | None, str | None]:
    """The tiers a filter names, or the reason it names none (shown on the page, not a crash)."""
    try:
        return views.parse_tiers(tier), None
    except UsageError as exc:
        return None, str(exc)


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request, q: str | None = Query(None, max_length=200), account: str | None = None,
    platform: str | None = None, tier: str | None = Query(None, max_length=100), sort: str = "score",
    page: int = Query(1, ge=1, le=100000),
) -> HTMLResponse:
    tiers, problem = _people_filter(tier)

    def build(store: Store) -> dict[str, Any]:
        data = views.people_data(store, q, account or None, platform or None, tiers, sort, page)
        data["saved_views"] = dashboard.saved_views(store, "people")
        return data
    data = read(request, build)
    context = {"active": "people", "q": q or "", "account": account or "", "platform": platform or "",
               "tier": tier or "", "tier_words": views.tier_words(tiers), "tier_problem": problem, "sort": sort,
               "query": request.url.query, **data}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "results":
        return render(request, "_people_results.html", context)
    return render(request, "people.html", context)


EXPORT_LIMIT = 100_000


@router.get("/people.{fmt}", response_class=Response)
def people_export(request: Request, fmt: str = PathParam(pattern="^(csv|json)$"),
                  q: str | None = Query(None, max_length=200), account: str | None = None,
                  platform: str | None = None, tier: str | None = Query(None, max_length=100),
                  sort: str = "score") -> Response:
    """The people list with the page's filters, every row (up to 100,000), as CSV or JSON."""
    tiers, problem = _people_filter(tier)
    if problem:
        raise UsageError(problem)
    data = read(request, lambda s: views.people_data(s, q, account or None, platform or None, tiers, sort, 1,
                                                      per_page=EXPORT_LIMIT))
    rows = [plain(r) for r in data["listing"].rows]
    for r in rows:
        r["handles"] = " ".join(r.get("handles") or [])
    return views.export(rows, fmt, "people", ["person_id", "label", "display_name", "handles", "tier", "score",
                                               "change", "touchpoints_in", "touchpoints_out", "last_contact"])


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: int) -> HTMLResponse:
    memo: views.Memo = request.app.state.memo

    def build(store: Store) -> dict[str, Any]:  # a person's page changes only when the store does
        return memo.get(("person", person_id, store_version(store)), lambda: views.person_data(store, person_id))
    data = dict(read(request, build))
    data["history"] = views.history_chart(data["profile"])
    return render(request, "person.html", {"active": "people", **data})


def queue_view(request: Request, account: str | None, reason: str | None, page: int, more: bool
               ) -> dict[str, Any]:
    """The queue as the page and its exports show it: today's first ``daily size`` people, or all of
    them page by page ("more")."""
    gate = request.app.state.gate
    data = views.queue_data(gate, request.app.state.memo, account or None)
    counts = views.queue_counts(data["queue"])
    total = counts.get(reason, 0) if reason else sum(counts.values())
    size = views.daily_size(gate)
    fresh = views.freshness(data["snap"])
    per_page = 50
    if more:
        pages = max(1, -(-total // per_page))
        page = min(page, pages)
        start, stop = (page - 1) * per_page, page * per_page
    else:
        pages, page, start, stop = 1, 1, 0, min(size, total)
    items = views.queue_items(data["queue"], reason or None, start, stop, lag_days=fresh["offset"])
    return {"account": account or "", "reason": reason or "", "queue_items": items, "queue_total": total,
            "reason_counts": counts, "page": page, "pages": pages, "first_rank": start, "daily_size": size,
            "more": more, "today_count": min(size, total), **data}


@router.get("/people/{person_id}/timeline.{fmt}", response_class=Response)
def person_timeline_export(request: Request, person_id: int, fmt: str = PathParam(pattern="^(csv|json)$")) -> Response:
    """A person's touchpoints, newest first (up to 100,000), as CSV or JSON."""
    data = read(request, lambda s: views.person_data(s, person_id, timeline_limit=EXPORT_LIMIT))
    rows = [plain(t) for t in data["profile"].timeline]
    return views.export(rows, fmt, f"person-{person_id}-timeline",
                        ["ts", "direction", "kind", "platform", "account", "handle", "text", "url"])


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, account: str | None = None, reason: str | None = None,
               page: int = Query(1, ge=1, le=100000), more: bool = False,
               acted: int | None = Query(None, ge=0, le=2**62)) -> HTMLResponse:
    context = queue_view(request, account, reason, page, more)
    context["db_name"] = request.app.state.gate.path.name
    if acted is not None:  # after a Done or Snooze without JavaScript: say what happened, offer Undo
        with request.app.state.gate.read() as store:
            context["acted"] = _action_words(store, acted)
            context["saved_views"] = dashboard.saved_views(store, "queue")
    else:
        with request.app.state.gate.read() as store:
            context["saved_views"] = dashboard.saved_views(store, "queue")
    context["query"] = request.url.query
    return render(request, "queue.html", {"active": "queue", **context})


@router.get("/queue.{fmt}", response_class=Response)
def queue_export(request: Request, fmt: str = PathParam(pattern="^(csv|json)$"), account: str | None = None,
                 reason: str | None = None) -> Response:
    """Everyone in the queue (with the page's filters), as CSV or JSON."""
    context = queue_view(request, account, reason, 1, True)
    items = views.queue_items(context["queue"], reason or None, lag_days=views.freshness(context["snap"])["offset"])
    return views.export(items, fmt, "queue", ["person_id", "name", "person", "reason", "need", "why", "action",
                                              "score", "tier", "activity", "platform", "account", "account_shown",
                                              "waiting_since", "priority", "url"])


@router.get("/content", response_class=HTMLResponse)
def content_page(request: Request, account: str | None = None,
                 by: str = Query("month", pattern="^(week|month)$")) -> HTMLResponse:
    data = views.content_data(request.app.state.gate, request.app.state.memo, account or None, by)
    data["db_name"] = request.app.state.gate.path.name
    data["cv"] = views.content_view(data["content"])
    return render(request, "content.html", {"active": "content", "account": account or "", **data})


#: The content page's lists, by the name their export takes.
CONTENT_LISTS = {"salesy": "most_salesy", "starters": "top_conversation_posts"}
POST_COLUMNS = ["ts", "platform", "account", "item_id", "kind", "label", "p_promotional", "replies",
                "conversations", "likes", "reposts", "text", "url"]


@router.get("/content/{name}.{fmt}", response_class=Response)
def content_export(request: Request, name: str = PathParam(pattern="^(salesy|starters)$"),
                   fmt: str = PathParam(pattern="^(csv|json)$"), account: str | None = None,
                   by: str = Query("month", pattern="^(week|month)$")) -> Response:
    """The content page's lists (the most salesy posts, the posts that started conversations), as
    CSV or JSON: the same rows the page shows, every field."""
    data = views.content_data(request.app.state.gate, request.app.state.memo, account or None, by)
    report = data["content"].data if data["content"].available else None
    rows = [plain(p) for p in getattr(report, CONTENT_LISTS[name], [])] if report is not None else []
    return views.export(rows, fmt, f"content-{name}", POST_COLUMNS)


@router.get("/revenue/tiers.{fmt}", response_class=Response)
def revenue_export(request: Request, fmt: str = PathParam(pattern="^(csv|json)$")) -> Response:
    """The Revenue page's table of tiers (rates, intervals, lifts), as CSV or JSON."""
    data = views.revenue_data(request.app.state.gate, request.app.state.memo)
    report = data["revenue"].data if data["revenue"].available else None
    rows = [plain(t) for t in report.tiers] if report is not None else []
    return views.export(rows, fmt, "revenue-tiers", [
        "tier", "people", "person_days", "orders", "orders_per_1000_person_days", "rate_low", "rate_high",
        "lift", "lift_low", "lift_high", "revenue", "first_orders", "first_orders_per_1000_person_days"])


@router.get("/revenue", response_class=HTMLResponse)
def revenue_page(request: Request) -> HTMLResponse:
    data = views.revenue_data(request.app.state.gate, request.app.state.memo)
    data["db_name"] = request.app.state.gate.path.name
    data["rv"] = views.revenue_view(data)
    return render(request, "revenue.html", {"active": "revenue", **data})


# -- htmx actions (POST, CSRF-checked by the security middleware) ------------------------------------
def _toast(response: Response, message: str, undo: int | None = None, **events: Any) -> Response:
    """A message for the page's toast (with an Undo button when ``undo`` names an action), and events."""
    import json

    toast: Any = {"message": message, "undo": undo} if undo is not None else message
    response.headers["HX-Trigger"] = json.dumps({"toast": toast, **events})
    return response


def _htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


def _back(back: str | None, fallback: str, **add: Any) -> str:
    """Where a form without JavaScript returns: a page of this dashboard only (never another site)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    target = back if back and back.startswith("/") and not back.startswith("//") else fallback
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in add and k != "acted"]
    query += [(k, str(v)) for k, v in add.items()]
    return parts.path + ("?" + urlencode(query) if query else "")


def _action_words(store: Store, action_id: int) -> dict[str, Any] | None:
    from ...insights.actions import find_action

    found = find_action(store, action_id)
    if found is None:
        return None
    what = (f"Done: {found.shown}" if found.action == "done" else
            f"Snoozed {found.shown} until {found.until:%Y-%m-%d}" if found.action == "snooze" and found.until else
            f"{found.action}: {found.shown}")
    return {"action_id": found.action_id, "message": what, "undone": found.undone,
            "can_undo": found.action in ("done", "snooze") and not found.undone}


@router.post("/ui/queue/done", response_class=HTMLResponse)
def queue_done(request: Request, person: str = Form(..., max_length=300), note: str | None = Form(None, max_length=2000),
               reason: str | None = Form(None, max_length=40), back: str | None = Form(None, max_length=2000)
               ) -> Response:
    fn = capabilities.function("actions", "mark_done")
    with request.app.state.gate.write() as store:
        action = fn(store, person, note=(note or None))
    if not _htmx(request):
        return RedirectResponse(_back(back, "/queue", acted=action.action_id), status_code=303)
    return _toast(HTMLResponse(""), f"Done: {action.shown}", undo=action.action_id,
                  queueRemoved={"person": person, "reason": reason or ""})


@router.post("/ui/queue/snooze", response_class=HTMLResponse)
def queue_snooze(request: Request, person: str = Form(..., max_length=300),
                 days: int = Form(7, ge=1, le=365), reason: str | None = Form(None, max_length=40),
                 back: str | None = Form(None, max_length=2000)) -> Response:
    fn = capabilities.function("actions", "snooze")
    with request.app.state.gate.write() as store:
        action = fn(store, person, days)
    if not _htmx(request):
        return RedirectResponse(_back(back, "/queue", acted=action.action_id), status_code=303)
    return _toast(HTMLResponse(""), f"Snoozed {action.shown} for {snooze_words(days)}", undo=action.action_id,
                  queueRemoved={"person": person, "reason": reason or ""})


@router.post("/ui/actions/{action_id}/undo", response_class=HTMLResponse)
def action_undo(request: Request, action_id: int, back: str | None = Form(None, max_length=2000)) -> Response:
    fn = capabilities.function("actions", "undo")
    with request.app.state.gate.write() as store:
        undone = fn(store, action_id)
    if not _htmx(request):
        return RedirectResponse(_back(back, "/queue"), status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Undone: {undone.shown} is back in the queue"))


@router.post("/ui/queue/size", response_class=HTMLResponse)
def queue_size(request: Request, size: int = Form(..., ge=1, le=500),
               back: str | None = Form(None, max_length=2000)) -> Response:
    with request.app.state.gate.write() as store:
        dashboard.set_daily_size(store, size)
    if not _htmx(request):
        return RedirectResponse(_back(back, "/queue"), status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Today's queue: {size} people a day"))


@router.post("/ui/views", response_class=HTMLResponse)
def save_view(request: Request, name: str = Form(..., max_length=80), page: str = Form(..., max_length=20),
              query: str = Form("", max_length=2000)) -> Response:
    with request.app.state.gate.write() as store:
        view = dashboard.save_view(store, name, page, query)
    if not _htmx(request):
        return RedirectResponse(view.url, status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Saved the view “{view.name}”"))


@router.post("/ui/views/delete", response_class=HTMLResponse)
def delete_view(request: Request, name: str = Form(..., max_length=80),
                back: str | None = Form(None, max_length=2000)) -> Response:
    with request.app.state.gate.write() as store:
        dashboard.delete_view(store, name)
    if not _htmx(request):
        return RedirectResponse(_back(back, "/people"), status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Deleted the view “{name}”"))


@router.post("/ui/goals", response_class=HTMLResponse)
def set_goal(request: Request, target: float = Form(..., gt=0, le=1e9), by: str = Form(..., max_length=40),
             account: str | None = Form(None, max_length=300), back: str | None = Form(None, max_length=2000)
             ) -> Response:
    fn = capabilities.function("goals", "set_goal")
    with request.app.state.gate.write() as store:
        goal = fn(store, "meaningful", target, by, account=account or None)
    if not _htmx(request):
        return RedirectResponse(_back(back, "/"), status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Goal set: {goal.target:,.0f} meaningful connections by {goal.by_date}"))


@router.post("/ui/people/{person_id}/note", response_class=HTMLResponse)
def person_note(request: Request, person_id: int, note: str = Form(..., max_length=2000),
                done: str | None = Form(None, max_length=5)) -> Response:
    """A note alone, or (the "Save and mark done" button) a note with Done."""
    name = "mark_done" if done else "add_note"
    fn = capabilities.function("actions", name)
    with request.app.state.gate.write() as store:
        fn(store, f"#{person_id}", note=note)
    if not _htmx(request):
        return RedirectResponse(f"/people/{person_id}", status_code=303)
    return _refresh(_toast(HTMLResponse(""), "Done, with the note" if done else "Note saved"))


@router.post("/ui/people/{person_id}/done", response_class=HTMLResponse)
def person_done(request: Request, person_id: int) -> Response:
    fn = capabilities.function("actions", "mark_done")
    with request.app.state.gate.write() as store:
        action = fn(store, f"#{person_id}")
    if not _htmx(request):
        return RedirectResponse(f"/people/{person_id}", status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Done: {action.shown}", undo=action.action_id))


@router.post("/ui/people/{person_id}/merge", response_class=HTMLResponse)
def person_merge(request: Request, person_id: int, other: str = Form(..., max_length=300)) -> Response:
    with request.app.state.gate.write() as store:
        merge_id = identity.merge_people(store.con, f"#{person_id}", other)
    if not _htmx(request):
        return RedirectResponse(f"/people/{person_id}", status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Merged (merge:{merge_id})"))


@router.post("/ui/merges/{merge_id}/undo", response_class=HTMLResponse)
def merge_undo(request: Request, merge_id: int) -> Response:
    with request.app.state.gate.write() as store:
        identity.unmerge_person(store.con, f"merge:{merge_id}")
    if not _htmx(request):
        return RedirectResponse("/people", status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Undid merge:{merge_id}"))


@router.post("/ui/classify", response_class=HTMLResponse)
def classify_draft(request: Request, text: str = Form("", max_length=5000)) -> HTMLResponse:
    section = views.attempt("classify", "classify_texts", [text]) if text.strip() else None
    if not _htmx(request):  # without JavaScript: the content page with the verdict (the draft stays private)
        data = views.content_data(request.app.state.gate, request.app.state.memo)
        data["db_name"] = request.app.state.gate.path.name
        data["cv"] = views.content_view(data["content"])
        return render(request, "content.html", {"active": "content", "account": "", "section": section,
                                                "draft": text, **data}, remember=False)
    return render(request, "_verdict.html", {"section": section, "text": text}, remember=False)


@router.post("/ui/rescore", response_class=HTMLResponse)
def rescore(request: Request) -> Response:
    from ...scoring.run import score_store

    with request.app.state.gate.write() as store:
        run = score_store(store)
    if not _htmx(request):
        return RedirectResponse("/", status_code=303)
    return _refresh(_toast(HTMLResponse(""), f"Scored {run.connections:,} connections as of {run.as_of:%Y-%m-%d}"))


def _refresh(response: Response) -> Response:
    response.headers["HX-Refresh"] = "true"
    return response


__all__ = ["router", "busy_page", "message_html", "templates", "StoreBusy"]


#: What each request body looks like, for the API page's "Try it" forms and docs/dashboard.md.
BODY_EXAMPLES = {
    "Draft": '{"texts": ["SALE! 30% off this weekend only"]}',
    "Done": '{"note": "answered in DM"}',
    "Snooze": '{"days": 3}',
    "MergeIn": '{"other": "#12"}',
}


@router.get("/api", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The JSON API, listed from its own OpenAPI schema (no external docs viewer: nothing loads from a CDN)."""
    schema = request.app.openapi()
    endpoints = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [{"name": p["name"], "where": p["in"], "required": p.get("required", False),
                       "description": p.get("description", ""),
                       "schema": p.get("schema", {}).get("enum") or p.get("schema", {}).get("type", "")}
                      for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body_name = body.get("$ref", "").rsplit("/", 1)[-1]
            endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                              "description": op.get("description", ""), "params": params,
                              "body": body_name, "example": BODY_EXAMPLES.get(body_name, "{}"),
                              "id": re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-")})
    return render(request, "api.html", {"active": "api", "endpoints": endpoints, "db_name": request.app.state.gate.path.name,
                                        "description": schema.get("info", {}).get("description", "")})
