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
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from ...store import identity
from ...scoring.config import TIER_NAMES, TIERS
from ...insights.overview import store_version
from ...scoring.explain import days_ago
from ...store.db import Store
from . import capabilities, charts, views
from .gate import StoreBusy

TEMPLATES = Path(__file__).resolve().parent / "templates"
router = APIRouter(include_in_schema=False)
NAV = (("overview", "/", "Overview"), ("people", "/people", "People"), ("queue", "/queue", "Queue"),
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


def ago(value: Any, now: datetime | None) -> str:
    if value is None or now is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return days_ago((now - value).total_seconds() / 86400)


def label_of(key: Any) -> str:
    return str(key).replace("_", " ")


def environment_setup(env: Any) -> None:
    env.filters.update(linkify=linkify, number=number, percent=percent, day=day, when=when, label=label_of)
    env.globals.update(percent=percent, charts=charts, TIER_COLORS=charts.TIER_COLORS, TIER_NAMES=TIER_NAMES, TIERS=TIERS, ago=ago,
                       NAV=NAV)


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
        html = cached[0].replace("<head>", "<head>" + refresh, 1).replace('<main class="main">',
                                                                         '<main class="main">' + banner, 1)
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
    data["responsiveness_chart"] = views.responsiveness_chart(data["responsiveness_summary"])
    data["headline"] = views.headline(data)
    data["revenue_by_tier"] = views.revenue_tier_chart(data["revenue"])
    data["cv"] = views.content_view(data["content"])
    return render(request, "overview.html", {"active": "overview", **data})


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request, q: str | None = Query(None, max_length=200), account: str | None = None,
    platform: str | None = None, tier: str | None = None, sort: str = "score", page: int = Query(1, ge=1, le=100000),
) -> HTMLResponse:
    tier = tier if tier in TIER_NAMES else None
    data = read(request, lambda s: views.people_data(s, q, account or None, platform or None, tier, sort, page))
    context = {"active": "people", "q": q or "", "account": account or "", "platform": platform or "",
               "tier": tier or "", "sort": sort, **data}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "results":
        return render(request, "_people_results.html", context)
    return render(request, "people.html", context)


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: int) -> HTMLResponse:
    memo: views.Memo = request.app.state.memo

    def build(store: Store) -> dict[str, Any]:  # a person's page changes only when the store does
        return memo.get(("person", person_id, store_version(store)), lambda: views.person_data(store, person_id))
    data = dict(read(request, build))
    data["history"] = views.history_chart(data["profile"])
    return render(request, "person.html", {"active": "people", **data})


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, account: str | None = None, reason: str | None = None,
               page: int = Query(1, ge=1, le=100000)) -> HTMLResponse:
    data = views.queue_data(request.app.state.gate, request.app.state.memo, account or None)
    data["db_name"] = request.app.state.gate.path.name
    counts = views.queue_counts(data["queue"])
    total = counts.get(reason, 0) if reason else sum(counts.values())
    per_page = 50
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    shown = views.queue_items(data["queue"], reason or None, (page - 1) * per_page, page * per_page)
    items = shown
    return render(request, "queue.html", {"active": "queue", "account": account or "", "reason": reason or "",
                                          "queue_items": items, "queue_total": total, "reason_counts": counts,
                                          "page": page, "pages": pages, "first_rank": (page - 1) * per_page, **data})


@router.get("/content", response_class=HTMLResponse)
def content_page(request: Request, account: str | None = None,
                 by: str = Query("month", pattern="^(week|month)$")) -> HTMLResponse:
    data = views.content_data(request.app.state.gate, request.app.state.memo, account or None, by)
    data["db_name"] = request.app.state.gate.path.name
    data["cv"] = views.content_view(data["content"])
    return render(request, "content.html", {"active": "content", "account": account or "", **data})


@router.get("/revenue", response_class=HTMLResponse)
def revenue_page(request: Request) -> HTMLResponse:
    data = views.revenue_data(request.app.state.gate, request.app.state.memo)
    data["db_name"] = request.app.state.gate.path.name
    data["rv"] = views.revenue_view(data)
    return render(request, "revenue.html", {"active": "revenue", **data})


# -- htmx actions (POST, CSRF-checked by the security middleware) ------------------------------------
def _toast(response: Response, message: str, **events: Any) -> Response:
    import json

    response.headers["HX-Trigger"] = json.dumps({"toast": message, **events})
    return response


@router.post("/ui/queue/done", response_class=HTMLResponse)
def queue_done(request: Request, person: str = Form(..., max_length=300), note: str | None = Form(None)) -> Response:
    fn = capabilities.function("actions", "mark_done")
    with request.app.state.gate.write() as store:
        fn(store, person, note=(note or None))
    return _toast(HTMLResponse(""), f"Done: {person}", queueRemoved=person)


@router.post("/ui/queue/snooze", response_class=HTMLResponse)
def queue_snooze(request: Request, person: str = Form(..., max_length=300),
                 days: int = Form(7, ge=1, le=365)) -> Response:
    fn = capabilities.function("actions", "snooze")
    with request.app.state.gate.write() as store:
        fn(store, person, days)
    return _toast(HTMLResponse(""), f"Snoozed {person} for {days} days", queueRemoved=person)


@router.post("/ui/people/{person_id}/note", response_class=HTMLResponse)
def person_note(request: Request, person_id: int, note: str = Form(..., max_length=2000)) -> Response:
    fn = capabilities.function("actions", "mark_done")
    with request.app.state.gate.write() as store:
        fn(store, f"#{person_id}", note=note)
    return _refresh(_toast(HTMLResponse(""), "Note saved"))


@router.post("/ui/people/{person_id}/merge", response_class=HTMLResponse)
def person_merge(request: Request, person_id: int, other: str = Form(..., max_length=300)) -> Response:
    with request.app.state.gate.write() as store:
        merge_id = identity.merge_people(store.con, f"#{person_id}", other)
    return _refresh(_toast(HTMLResponse(""), f"Merged (merge:{merge_id})"))


@router.post("/ui/merges/{merge_id}/undo", response_class=HTMLResponse)
def merge_undo(request: Request, merge_id: int) -> Response:
    with request.app.state.gate.write() as store:
        identity.unmerge_person(store.con, f"merge:{merge_id}")
    return _refresh(_toast(HTMLResponse(""), f"Undid merge:{merge_id}"))


@router.post("/ui/classify", response_class=HTMLResponse)
def classify_draft(request: Request, text: str = Form("", max_length=5000)) -> HTMLResponse:
    section = views.attempt("classify", "classify_texts", [text]) if text.strip() else None
    return render(request, "_verdict.html", {"section": section, "text": text}, remember=False)


@router.post("/ui/rescore", response_class=HTMLResponse)
def rescore(request: Request) -> Response:
    from ...scoring.run import score_store

    with request.app.state.gate.write() as store:
        run = score_store(store)
    return _refresh(_toast(HTMLResponse(""), f"Scored {run.connections:,} connections as of {run.as_of:%Y-%m-%d}"))


def _refresh(response: Response) -> Response:
    response.headers["HX-Refresh"] = "true"
    return response


__all__ = ["router", "busy_page", "message_html", "templates", "StoreBusy"]


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
            endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                              "description": op.get("description", ""), "params": params,
                              "body": body.get("$ref", "").rsplit("/", 1)[-1]})
    return render(request, "api.html", {"active": "", "endpoints": endpoints, "db_name": request.app.state.gate.path.name,
                                        "description": schema.get("info", {}).get("description", "")})
