"""The JSON API behind the pages: the same views, as JSON, documented at /api/openapi.json.

Reads open the store read-only for the request; state changes (queue actions, merges, re-scoring)
need the ``X-CSRF-Token`` header from ``GET /api/session``, or a Bearer token.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, get_args

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...records import UsageError
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
    """A capability's answer: its data, or why there is none."""

    available: bool = Field(description="False while the capability is not installed; see detail.")
    detail: str = ""
    error: bool = False
    data: Any = None


class Open(BaseModel):
    """A response with the fields below, and possibly more (newer versions add fields, never remove)."""

    model_config = ConfigDict(extra="allow")


class TierCount(Open):
    bucket: int
    label: str
    tier: str
    people: int


class AccountOut(Open):
    platform: str
    handle: str
    display_name: str | None = None


class OverviewOut(Open):
    people: int = Field(description="People known (not merged into someone else).")
    scored: int = Field(description="People with a score.")
    interactions: int
    accounts: list[AccountOut]
    tiers: dict[str, int] = Field(description="People per tier, weakest first.")
    distribution: list[TierCount] = Field(description="People per score band [n, n+1).")
    followers: list[dict[str, Any]]
    meaningful: list[dict[str, Any]]
    activity: list[dict[str, Any]] = Field(description="Touchpoints per month, from people and from you.")
    top_people: list[dict[str, Any]]
    as_of: str | None = Field(description="The date the scores are as of (the end of the data).")
    previous_as_of: str | None = None
    imports_since_scoring: int = 0
    queue_size: int | None = Field(description="Everyone in the nurture queue (None without the capability).")
    daily_size: int = Field(description="How many of them the dashboard calls today's work.")
    responsiveness: SectionOut
    content: SectionOut
    revenue: SectionOut
    vanity: SectionOut


class PersonOut(Open):
    person_id: int
    label: str
    display_name: str | None = None
    score: float | None = None
    tier: str | None = None
    as_of: str | None = None
    reasons: list[str] = []
    identities: list[dict[str, Any]] = []
    connections: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    merges: list[dict[str, Any]] = []
    merge_candidates: list[dict[str, Any]] = []
    actions: SectionOut
    orders: SectionOut


class RevenueOut(Open):
    revenue: SectionOut = Field(description="Revenue by tier, lift of strong ties, matching.")
    vanity: SectionOut = Field(description="Followers, people who talked, meaningful connections per month.")
    goals: SectionOut = Field(description="Goal progress.")


class ActionRecord(Open):
    action_id: int
    person_id: int
    person: str | None = Field(None, description="The person's label.")
    name: str | None = Field(None, description="Their display name, when known.")
    action: Literal["done", "snooze", "note", "undo"]
    note: str | None = None
    created_at: str
    until: str | None = Field(None, description="A snooze's end.")
    undoes: int | None = Field(None, description="An undo: the action it takes back.")
    undone: bool = False


class ActionOut(BaseModel):
    ok: bool
    result: ActionRecord


class MergeOut(BaseModel):
    merge_id: int


class UnmergeOut(BaseModel):
    undone: list[int]


class RescoreOut(BaseModel):
    as_of: str | None
    connections: int
    status: str


class QueueOut(SectionOut):
    """The queue's section, with its paging and counts."""

    total: int = Field(default=0, description="People in the queue with these filters (before offset and limit).")
    offset: int = 0
    limit: int = 50
    daily_size: int = Field(default=20, description="How many the dashboard calls today's work.")
    counts: dict[str, int] = Field(default_factory=dict, description="People per reason (all filters but reason).")
    data: list[dict[str, Any]] | None = Field(default=None, description="The queue items, most important first.")


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
    days: int = Field(7, ge=1, le=365, description="1, 3, 7 (a week) and 30 (a month) are the dashboard's choices.")


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


@router.get("/overview", response_model=OverviewOut, responses=ERRORS)
def overview(request: Request) -> dict[str, Any]:
    """The relationship scale, tiers, followers and meaningful connections, with the capabilities' summaries."""
    data = views.overview_data(request.app.state.gate, request.app.state.memo)
    out = views.overview_json(data["overview"])
    out["queue_size"] = len(data["queue"].data) if data["queue"].available else None
    out["daily_size"] = views.daily_size(request.app.state.gate)
    for key in ("responsiveness_all", "content", "revenue", "vanity"):
        out[key.replace("_all", "")] = data[key].to_dict()
    return out


@router.get("/people", response_model=PeopleOut, responses=ERRORS)
def people(
    request: Request, q: str | None = Query(None, max_length=200, description="name or handle contains"),
    account: str | None = Query(None, max_length=300), platform: str | None = Query(None, max_length=100),
    tier: str | None = Query(None, max_length=100, description=(
        "a tier (close), a range (7+ or close+: that score or tier and up) or several (close,champion)")),
    sort: Sort = "score", page: int = Query(1, ge=1, le=100000),
    per_page: int = Query(50, ge=1, le=500),
) -> PeopleOut:
    """People by relationship score (across accounts); filters, search, sorting and pages."""
    try:
        tiers = views.parse_tiers(tier)
    except UsageError as exc:  # a filter that names no tier: invalid input, as any other bad parameter
        raise HTTPException(status_code=422, detail=[  # the shape of FastAPI's own validation errors
            {"loc": ["query", "tier"], "msg": str(exc), "type": "value_error"}]) from exc

    def build(store: Any) -> PeopleOut:
        data = views.people_data(store, q, account, platform, tiers, sort, page, per_page)
        listing = data["listing"]
        return PeopleOut(as_of=plain(data["snap"].as_of), total=listing.total, page=listing.page,
                         pages=listing.pages, per_page=listing.per_page, rows=plain(listing.rows))
    return _read(request, build)


@router.get("/people/{person_id}", response_model=PersonOut, responses=ERRORS)
def person(request: Request, person_id: int = Path(ge=0, le=2**62),
           timeline: int = Query(50, ge=0, le=1000)) -> dict[str, Any]:
    """One person: score, tier, reasons, history, connections, identities, timeline, merges and actions."""
    def build(store: Any) -> dict[str, Any]:
        data = views.person_data(store, person_id, timeline_limit=timeline or 1_000_000)
        out: dict[str, Any] = plain(data["profile"])
        out.update(merges=plain(data["merges"]), merge_candidates=plain(data["candidates"]),
                   actions=data["actions"].to_dict(), orders=data["orders"].to_dict())
        return out
    return _read(request, build)


@router.post("/people/{person_id}/merge", response_model=MergeOut, responses=ERRORS)
def merge(request: Request, body: MergeIn, person_id: int = Path(ge=0, le=2**62)) -> dict[str, Any]:
    """Merge another person into this one; undo with POST /api/merges/{merge_id}/undo."""
    with request.app.state.gate.write() as store:
        merge_id = identity.merge_people(store.con, f"#{person_id}", body.other)
    return {"merge_id": merge_id}


@router.post("/merges/{merge_id}/undo", response_model=UnmergeOut, responses=ERRORS)
def unmerge(request: Request, merge_id: int = Path(ge=0, le=2**62)) -> dict[str, Any]:
    """Undo exactly one merge."""
    with request.app.state.gate.write() as store:
        undone = identity.unmerge_person(store.con, f"merge:{merge_id}")
    return {"undone": undone}


@router.get("/queue", response_model=QueueOut, responses=ERRORS)
def queue(request: Request, account: str | None = Query(None, max_length=300),
          reason: Literal["unanswered", "cooling", "rising", "thank", "reengage"] | None = None,
          need: Literal["question", "complaint"] | None = Query(None, description="unanswered questions or complaints"),
          offset: int = Query(0, ge=0, le=10_000_000), limit: int = Query(50, ge=1, le=1000)) -> Any:
    """The nurture queue, most important first: one row per person with the reason; ``total`` counts
    everyone with these filters, ``offset`` and ``limit`` page through them."""
    gate = request.app.state.gate
    section = views.queue_data(gate, request.app.state.memo, account)["queue"]
    size = views.daily_size(gate)
    if not section.available:
        return QueueOut(available=False, detail=section.detail, error=section.error, limit=limit, offset=offset,
                        daily_size=size)
    counts = views.queue_counts(section)
    chosen = [i for i in section.data or [] if (reason is None or views.queue_reason(i) == reason)
              and (need is None or views.queue_need(i) == need)]
    return QueueOut(available=True, total=len(chosen), offset=offset, limit=limit, daily_size=size, counts=counts,
                    data=plain(chosen[offset:offset + limit]))


@router.post("/queue/{person_ref}/done", response_model=ActionOut, responses=ERRORS)
def queue_done(request: Request, body: Done, person_ref: str = Path(max_length=300,
               description="#id or platform:handle")) -> dict[str, Any]:
    """Mark a person's queue item done (with an optional note); undo with POST /api/actions/{action_id}/undo."""
    fn = _capability("actions", "mark_done")
    with request.app.state.gate.write() as store:
        result = fn(store, person_ref, note=body.note)
    return {"ok": True, "result": plain(result)}


@router.post("/queue/{person_ref}/snooze", response_model=ActionOut, responses=ERRORS)
def queue_snooze(request: Request, body: Snooze, person_ref: str = Path(max_length=300)) -> dict[str, Any]:
    """Hide a person from the queue for some days (until they write again)."""
    fn = _capability("actions", "snooze")
    with request.app.state.gate.write() as store:
        result = fn(store, person_ref, body.days)
    return {"ok": True, "result": plain(result)}


@router.post("/actions/{action_id}/undo", response_model=ActionOut, responses=ERRORS)
def undo_action(request: Request, action_id: int = Path(ge=0, le=2**62)) -> dict[str, Any]:
    """Take back a done or a snooze: the person is in the queue again as if it had not happened."""
    fn = _capability("actions", "undo")
    with request.app.state.gate.write() as store:
        result = fn(store, action_id)
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


@router.get("/revenue", response_model=RevenueOut, responses=ERRORS)
def revenue(request: Request) -> dict[str, Any]:
    """Revenue by tier and lift, vanity vs meaningful, goal progress."""
    data = views.revenue_data(request.app.state.gate, request.app.state.memo)
    return {k: data[k].to_dict() for k in ("revenue", "vanity", "goals")}


@router.post("/rescore", response_model=RescoreOut, responses=ERRORS)
def rescore(request: Request) -> dict[str, Any]:
    """Score the store as of the end of its data (only what changed is recomputed)."""
    from ...scoring.run import score_store

    with request.app.state.gate.write() as store:
        run = score_store(store)
    return {"as_of": plain(run.as_of), "connections": run.connections, "status": run.status}



__all__ = ["router"]
