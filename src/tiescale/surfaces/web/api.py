"""The JSON API behind the pages: the same views, as JSON, documented at /api/openapi.json.

Reads open the store read-only for the request; state changes (queue actions, merges, re-scoring)
need the ``X-CSRF-Token`` header from ``GET /api/session``, or a Bearer token.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, get_args

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...store import identity
from ...store.db import Store
from ...scoring.config import TIER_NAMES
from . import views
from .capabilities import Missing, function, plain

T = TypeVar("T")
router = APIRouter(prefix="/api", tags=["tiescale"])
Tier = Literal["stranger", "acquaintance", "regular", "close", "champion"]
assert set(TIER_NAMES) == set(get_args(Tier))
Sort = Literal["score", "change", "drop", "last_contact"]
By = Literal["week", "month", "quarter"]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The request names something the store does not have, or cannot do it."},
    404: {"description": "No such person, merge, or the capability is not installed."},
    403: {"description": "Missing or wrong CSRF token, or a cross-site request."},
    503: {"description": "Another process (an import) is writing the store; retry shortly."},
}


class Session(BaseModel):
    csrf_token: str = Field(description="Send it as the X-CSRF-Token header with every POST.")
    token_required: bool
    store: str
    version: str


class SectionOut(BaseModel):
    available: bool = Field(description="False while the capability is not installed; see detail.")
    detail: str = ""
    error: bool = False
    data: Any = None


class PeopleOut(BaseModel):
    as_of: str | None
    total: int
    page: int
    pages: int
    per_page: int
    rows: list[dict[str, Any]]


#: Longest text /api/classify takes (a post, a long DM): one 20 MB text cost 55 s of server CPU.
CLASSIFY_MAX_CHARS = 20_000


class Draft(BaseModel):
    texts: list[Annotated[str, Field(max_length=CLASSIFY_MAX_CHARS)]] = Field(
        min_length=1, max_length=100, description="Texts to classify, in order (each at most 20,000 characters).")


class Done(BaseModel):
    note: str | None = Field(None, max_length=2000)


class Snooze(BaseModel):
    days: int = Field(7, ge=1, le=365)


class MergeIn(BaseModel):
    other: str = Field(min_length=1, max_length=300,
                       description="The person to merge into this one: #id, platform:handle or a label.")


def _read(request: Request, build: Callable[[Store], T]) -> T:
    with request.app.state.gate.read() as store:
        return build(store)


def _capability(capability: str, name: str) -> Any:
    try:
        return function(capability, name)
    except Missing as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/session", response_model=Session)
def session(request: Request) -> Session:
    """The CSRF token for this client (the cookie comes with it) and what this server is."""
    return Session(csrf_token=request.state.csrf_token, token_required=request.app.state.security.token is not None,
                   store=request.app.state.gate.path.name, version=request.app.version)


class Ready(BaseModel):
    ready: bool = Field(description="True when a read can start now; false while another process writes the "
                                    "store (an import, a sync round) or waits to.")
    store: str


@router.get("/ready", response_model=Ready,
            responses={503: {"model": Ready, "description": "Another process writes the store; retry shortly."}})
def ready(request: Request) -> Any:
    """Whether the store can be read now: 200 when it can, 503 while an import or a sync round writes it
    (pages then answer from what they served last). Scripts and tests wait on this, not on a fixed delay."""
    gate = request.app.state.gate
    free = gate.free()
    body = Ready(ready=free, store=gate.path.name).model_dump()
    return JSONResponse(body, status_code=200 if free else 503, headers={} if free else {"Retry-After": "2"})


@router.get("/overview", responses=ERRORS)
def overview(request: Request) -> dict[str, Any]:
    """The relationship scale, tiers, followers and meaningful connections, with the capabilities' summaries."""
    data = views.overview_data(request.app.state.gate, request.app.state.memo)
    out = views.overview_json(data["overview"])
    out["queue_size"] = len(data["queue"].data) if data["queue"].available else None
    for key in ("responsiveness_all", "content", "revenue", "vanity"):
        out[key.replace("_all", "")] = data[key].to_dict()
    return out


@router.get("/people", response_model=PeopleOut, responses=ERRORS)
def people(
    request: Request, q: str | None = Query(None, max_length=200, description="name or handle contains"),
    account: str | None = Query(None, max_length=300), platform: str | None = Query(None, max_length=100),
    tier: Tier | None = None, sort: Sort = "score", page: int = Query(1, ge=1, le=100000),
    per_page: int = Query(50, ge=1, le=500),
) -> PeopleOut:
    """People by relationship score (across accounts); filters, search, sorting and pages."""
    def build(store: Any) -> PeopleOut:
        data = views.people_data(store, q, account, platform, tier, sort, page, per_page)
        listing = data["listing"]
        return PeopleOut(as_of=plain(data["snap"].as_of), total=listing.total, page=listing.page,
                         pages=listing.pages, per_page=listing.per_page, rows=plain(listing.rows))
    return _read(request, build)


@router.get("/people/{person_id}", responses=ERRORS)
def person(request: Request, person_id: int = Path(ge=0, le=2**62),
           timeline: int = Query(50, ge=0, le=1000)) -> dict[str, Any]:
    """One person: score, tier, reasons, history, connections, identities, timeline, merges and actions."""
    def build(store: Any) -> dict[str, Any]:
        data = views.person_data(store, person_id, timeline_limit=timeline or 1_000_000)
        out: dict[str, Any] = plain(data["profile"])
        out.update(merges=plain(data["merges"]), merge_candidates=plain(data["candidates"]),
                   actions=data["actions"].to_dict())
        return out
    return _read(request, build)


@router.post("/people/{person_id}/merge", responses=ERRORS)
def merge(request: Request, body: MergeIn, person_id: int = Path(ge=0, le=2**62)) -> dict[str, Any]:
    """Merge another person into this one; undo with POST /api/merges/{merge_id}/undo."""
    with request.app.state.gate.write() as store:
        merge_id = identity.merge_people(store.con, f"#{person_id}", body.other)
    return {"merge_id": merge_id}


@router.post("/merges/{merge_id}/undo", responses=ERRORS)
def unmerge(request: Request, merge_id: int = Path(ge=0, le=2**62)) -> dict[str, Any]:
    """Undo exactly one merge."""
    with request.app.state.gate.write() as store:
        undone = identity.unmerge_person(store.con, f"merge:{merge_id}")
    return {"undone": undone}


@router.get("/queue", response_model=SectionOut, responses=ERRORS)
def queue(request: Request, account: str | None = Query(None, max_length=300),
          limit: int = Query(50, ge=1, le=1000)) -> Any:
    """Today's nurture queue: one row per person with the reason."""
    section = views.queue_data(request.app.state.gate, request.app.state.memo, account)["queue"]
    sliced = views.Section(section.available, (section.data or [])[:limit] if section.available else None,
                           section.detail, section.error)
    return sliced.to_dict()


@router.post("/queue/{person_ref}/done", responses=ERRORS)
def queue_done(request: Request, body: Done, person_ref: str = Path(max_length=300,
               description="#id or platform:handle")) -> dict[str, Any]:
    """Mark a person's queue item done (with an optional note)."""
    fn = _capability("actions", "mark_done")
    with request.app.state.gate.write() as store:
        result = fn(store, person_ref, note=body.note)
    return {"ok": True, "result": plain(result)}


@router.post("/queue/{person_ref}/snooze", responses=ERRORS)
def queue_snooze(request: Request, body: Snooze, person_ref: str = Path(max_length=300)) -> dict[str, Any]:
    """Hide a person from the queue for some days."""
    fn = _capability("actions", "snooze")
    with request.app.state.gate.write() as store:
        result = fn(store, person_ref, body.days)
    return {"ok": True, "result": plain(result)}


@router.get("/responsiveness", response_model=SectionOut, responses=ERRORS)
def responsiveness(request: Request, account: str | None = Query(None, max_length=300),
                   by: Literal["week", "month", "all"] = "month") -> Any:
    """How fast and how often people get an answer, per period, platform and account."""
    with request.app.state.gate.read() as store:
        return views.attempt("responsiveness", "responsiveness", store, account=account, by=by).to_dict()


@router.get("/content", response_model=SectionOut, responses=ERRORS)
def content(request: Request, account: str | None = Query(None, max_length=300),
            by: Literal["week", "month"] = "month") -> Any:
    """The content mix over time and what each kind of post earns."""
    return views.content_data(request.app.state.gate, request.app.state.memo, account, by)["content"].to_dict()


@router.post("/classify", response_model=SectionOut, responses=ERRORS)
def classify(body: Draft) -> Any:
    """Classify texts (a draft post) as promotional, relational or value, with the cues."""
    return views.attempt("classify", "classify_texts", body.texts).to_dict()


@router.get("/revenue", responses=ERRORS)
def revenue(request: Request) -> dict[str, Any]:
    """Revenue by tier and lift, vanity vs meaningful, goal progress."""
    data = views.revenue_data(request.app.state.gate, request.app.state.memo)
    return {k: data[k].to_dict() for k in ("revenue", "vanity", "goals")}


@router.post("/rescore", responses=ERRORS)
def rescore(request: Request) -> dict[str, Any]:
    """Score the store as of the end of its data (only what changed is recomputed)."""
    from ...scoring.run import score_store

    with request.app.state.gate.write() as store:
        run = score_store(store)
    return {"as_of": plain(run.as_of), "connections": run.connections, "status": run.status}


__all__ = ["router"]
