"""People and their scores, as every surface lists them: the snapshot shown, listings, one person.

Two listings answer two questions: :func:`list_connections` ranks connections (an account and a
handle on one platform, what ``tiescale people`` prints), :func:`people_page` ranks people (a human
across every account and platform, what the dashboard and its API page through). Both are top-N
queries over one score snapshot with names looked up for the returned rows only, so they stay fast
at a million people.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..store.identity import find_person, person_connections_filter
from .activity import activity_from_row, activity_sql, rescore_if_scale_changed
from ..records import UsageError
from ..results import Records
from ..scoring.config import TIER_NAMES
from ..scoring.explain import PersonProfile, reasons_for, tier_meaning
from ..scoring.history import materialised_date, scores_over_sql, scores_sql
from ..scoring.config import DIMENSION_COLUMNS as DIMENSION_FIELDS
from ..scoring.stamp import resolve_as_of
from ..scoring.top import top_answers
from ..store.db import Store
from .links import add_identity_links, add_profile_links, add_timeline_links


def current_as_of(store: Store, score_if_needed: bool = True) -> datetime | None:
    """The as-of date of the snapshot that reflects every import; scores one when missing.

    ``score_if_needed=False`` never writes: without a snapshot at the store's watermark it answers
    the newest snapshot there is (None when nothing was ever scored).
    """
    if score_if_needed:  # a store scored with an older scale is rescored once, with one message
        rescore_if_scale_changed(store)
    found: datetime | None = store.scalar(
        "SELECT as_of FROM score_runs WHERE watermark = ? ORDER BY as_of DESC, computed_at DESC LIMIT 1",
        [store.watermark()])
    if found is not None:
        return found
    if not score_if_needed:
        newest: datetime | None = store.scalar("SELECT max(as_of) FROM score_runs")
        return newest
    if not store.scalar("SELECT count(*) FROM interactions"):
        return None
    from ..scoring.run import score_store  # imported when needed: it loads the scoring engine

    return score_store(store).as_of


def needs_scoring(store: Store) -> bool:
    """Whether the store holds imports that no score snapshot covers yet (what a server scores at start)."""
    watermark = store.watermark()
    return bool(watermark) and not store.scalar("SELECT count(*) FROM score_runs WHERE watermark = ?", [watermark])


def has_scores(store: Store) -> bool:
    """Whether any score snapshot exists."""
    return bool(store.scalar("SELECT count(*) FROM score_runs"))


# -- the snapshot a page shows ----------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """Which score snapshot the pages show, the one changes are measured against, and whether imports
    arrived since; ``version`` changes whenever imports, scores or merges do (a cache key)."""

    as_of: datetime | None
    previous: datetime | None
    imports_since: int
    version: tuple[Any, ...]

    @property
    def stale(self) -> bool:
        return self.imports_since > 0


def snapshot(store: Store) -> Snapshot:
    """The snapshot the dashboard shows (never scores: a read)."""
    as_of = current_as_of(store, score_if_needed=False)
    previous = None
    if as_of is not None:  # change is measured over about a month, else since the snapshot before
        previous = store.scalar("SELECT max(as_of) FROM score_runs WHERE as_of <= ? - INTERVAL 28 DAY", [as_of]) \
            or store.scalar("SELECT max(as_of) FROM score_runs WHERE as_of < ?", [as_of])
    state = store.row(
        "SELECT (SELECT coalesce(max(import_id), 0) FROM imports) AS watermark, "
        "(SELECT coalesce(max(watermark), 0) FROM score_runs WHERE as_of = ?) AS scored_watermark, "
        "(SELECT max(computed_at) FROM score_runs) AS computed_at, (SELECT count(*) FROM merges) AS merges, "
        "(SELECT max(undone_at) FROM merges) AS undone_at", [as_of])
    assert state is not None
    imports_since = 0
    if as_of:
        imports_since = store.scalar("SELECT count(*) FROM imports WHERE import_id > ?", [state["scored_watermark"]])
    return Snapshot(as_of, previous, int(imports_since or 0), tuple(state.values()))


# -- connections (tiescale people) ------------------------------------------------------------------
def list_connections(
    store: Store, account: str | None = None, tier: str | None = None, min_score: float | None = None,
    platform: str | None = None, limit: int = 50, as_of: datetime | None = None,
) -> Records[dict[str, Any]]:
    """Connections (account, platform, person) by score, highest first, with their dimensions."""
    if tier is not None and tier not in TIER_NAMES:
        raise UsageError(f"unknown tier {tier!r}; choose one of: {', '.join(TIER_NAMES)}")
    as_of = as_of or current_as_of(store)
    if as_of is None:
        return Records()
    where: list[str] = ["s.as_of = ?"]
    params: list[Any] = [as_of]
    for column, value in (("s.account", account), ("s.tier", tier), ("s.platform", platform)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if min_score is not None:
        where.append("s.score >= ?")
        params.append(min_score)
    dims = ", ".join(f"s.{c}" for c in DIMENSION_FIELDS if not c.startswith("pts_"))
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    order = "s.score DESC, s.last_contact DESC, s.account, s.platform, s.person"
    if tier is None and min_score is None and platform is None and top_answers(store.con, as_of, account, limit):
        # the small per-account table, names included (it is only used when no merge happened since)
        sql = f"""SELECT s.account, s.person, s.score, s.tier, s.platform, s.name, s.display_name, s.person_id, {dims},
                         {activity_sql("s")} AS activity
                  FROM connection_top s WHERE {' AND '.join(where)} ORDER BY {order} {limit_sql}"""
        return Records(add_profile_links(store, store.rows(sql, params)))
    # the top N first, then names for those N only (a join before the limit costs a full hash join)
    sql = f"""
        SELECT s.account, s.person, s.score, s.tier, s.platform, coalesce(i.username, p.label) AS name,
               i.display_name, i.person_id, {dims}, {activity_sql("s")} AS activity
        FROM (SELECT * FROM ({scores_sql(store, as_of, "connection")}) s
              WHERE {' AND '.join(where)} ORDER BY {order} {limit_sql}) s
        LEFT JOIN identities i ON i.platform = s.platform AND i.handle = s.person
        LEFT JOIN people p ON p.person_id = i.person_id
        ORDER BY {order}
    """
    return Records(add_profile_links(store, store.rows(sql, params)))


@dataclass(frozen=True)
class ScoredTier:
    """How many connections a snapshot puts in one tier, and their average score (rounded to 0.1)."""

    tier: str
    connections: int
    average: float | None


def connection_tiers(store: Store, as_of: datetime) -> Records[ScoredTier]:
    """Connections per tier in the snapshot at ``as_of`` (what ``tiescale score`` prints after a run)."""
    found = store.rows("SELECT tier, count(*) AS n, round(avg(score), 1) AS average "
                       f"FROM ({scores_sql(store, as_of, 'connection')}) WHERE as_of = ? GROUP BY tier", [as_of])
    return Records((ScoredTier(r["tier"], r["n"], r["average"]) for r in found), ScoredTier.__dataclass_fields__)


# -- people (the dashboard's listing) ---------------------------------------------------------------
SortKey = Literal["score", "change", "drop", "last_contact"]
SORTS: dict[str, str] = {
    "score": "score DESC, last_contact DESC NULLS LAST, person_id",
    "change": "change DESC NULLS LAST, score DESC, person_id",
    "drop": "change ASC NULLS LAST, score DESC, person_id",
    "last_contact": "last_contact DESC NULLS LAST, score DESC, person_id",
}


@dataclass(frozen=True)
class PersonRow:
    """One person in a listing: their score across accounts, its change, names and handles."""

    person_id: int
    score: float
    tier: str
    last_contact: datetime | None
    touchpoints_in: int | None
    touchpoints_out: int | None
    change: float | None
    label: str
    display_name: str | None
    handles: list[str]
    previous_score: float | None
    activity: str | None = None  # active, cooling or dormant (insights.activity)


@dataclass(frozen=True)
class PeoplePage:
    """One page of a people listing and the size of the whole (filtered) listing."""

    rows: Records[PersonRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _search_pattern(q: str) -> str:
    return "%" + q.strip().lstrip("@").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def people_page(
    store: Store, snap: Snapshot, q: str | None = None, account: str | None = None, platform: str | None = None,
    tier: str | None = None, sort: str = "score", page: int = 1, limit: int = 50,
) -> PeoplePage:
    """One page of people (person scores across accounts), filtered and sorted; names for the page only.

    Filters are semi-joins and the listing is a top-N over one snapshot, so a page costs about the
    same at a million people as at a thousand.
    """
    if snap.as_of is None:
        return PeoplePage(Records(), 0, page, limit)
    where: list[str] = ["ps.as_of = ?"]
    params: list[Any] = [snap.as_of]
    if tier:
        where.append("ps.tier = ?")
        params.append(tier)
    if account or platform:
        conds: list[str] = ["cs.as_of = ?"]
        cparams: list[Any] = [snap.as_of]
        if account:
            conds.append("cs.account = ?")
            cparams.append(account)
        if platform:
            conds.append("cs.platform = ?")
            cparams.append(platform)
        where.append(f"""ps.person_id IN (SELECT i.person_id FROM ({scores_sql(store, snap.as_of, "connection")}) cs
                         JOIN identities i
                         ON i.platform = cs.platform AND i.handle = cs.person WHERE {' AND '.join(conds)})""")
        params += cparams
    if q and q.strip():
        where.append("""ps.person_id IN (
            SELECT person_id FROM identities WHERE handle ILIKE ? ESCAPE '\\' OR username ILIKE ? ESCAPE '\\'
                OR display_name ILIKE ? ESCAPE '\\'
            UNION ALL SELECT person_id FROM people WHERE label ILIKE ? ESCAPE '\\' OR display_name ILIKE ? ESCAPE '\\')""")
        params += [_search_pattern(q)] * 5
    if sort not in SORTS:
        sort = "score"
    needs_change = sort in ("change", "drop") and snap.previous is not None
    change_sql = "ps.score - coalesce(prev.score, 0)" if needs_change else "NULL::DOUBLE"
    join_prev = (f"LEFT JOIN ({scores_sql(store, snap.previous)}) prev "
                 "ON prev.as_of = ? AND prev.person_id = ps.person_id") if needs_change and snap.previous else ""
    current = f"({scores_sql(store, snap.as_of)})"
    offset = (max(page, 1) - 1) * limit
    inner = f"""
        SELECT ps.person_id, ps.score, ps.tier, ps.last_contact, ps.touchpoints_in, ps.touchpoints_out,
               {change_sql} AS change, {activity_sql("ps")} AS activity
        FROM {current} ps {join_prev}
        WHERE {' AND '.join(where)}"""
    inner_params = ([snap.previous] if needs_change else []) + params
    count_sql = f"SELECT count(*) FROM {current} ps WHERE {' AND '.join(where)}"
    if len(where) == 1 or (len(where) == 2 and tier):  # no semi-join: counting is a cheap scan
        total = store.scalar(count_sql, params) or 0
        page_rows = store.rows(f"{inner} ORDER BY {SORTS[sort]} LIMIT {int(limit)} OFFSET {int(offset)}",
                               inner_params)
    else:  # search or account/platform filter: evaluate the filter once, count and page from it
        page_rows = store.rows(f"""WITH filtered AS MATERIALIZED ({inner})
            SELECT *, (SELECT count(*) FROM filtered) AS total FROM filtered
            ORDER BY {SORTS[sort]} LIMIT {int(limit)} OFFSET {int(offset)}""", inner_params)
        total = page_rows[0]["total"] if page_rows else 0
        if not page_rows and offset:
            total = store.scalar(count_sql, params) or 0
    return PeoplePage(_named(store, snap, page_rows), int(total), max(page, 1), limit)


def _scores_of(store: Store, at: datetime, ids: list[int]) -> str:
    """SQL of the person score rows at ``at`` of ``ids`` only: the materialised table when it holds
    ``at``, else the composition of just their history rows (composing everyone's and filtering
    after took 3.4 s at 1.4M people for a page of 50)."""
    if materialised_date(store.con, "person") == at:
        return scores_sql(store, at)
    return scores_over_sql(f"SELECT TIMESTAMP '{at.isoformat(sep=' ')}' AS at", only=ids)


def _named(store: Store, snap: Snapshot, page_rows: list[dict[str, Any]]) -> Records[PersonRow]:
    """Names, handles and the previous score for one page's people only (a join before the limit
    would build hash tables over every person)."""
    ids = [r["person_id"] for r in page_rows]
    if not ids:
        return Records(columns=PersonRow.__dataclass_fields__)
    names = {r["person_id"]: (r["label"], r["display_name"]) for r in store.rows(
        "SELECT person_id, label, display_name FROM people WHERE person_id IN (SELECT unnest(?))", [ids])}
    handles: dict[int, list[str]] = {}
    for r in store.rows("SELECT person_id, platform || ':' || coalesce(username, handle) AS shown FROM identities "
                        "WHERE person_id IN (SELECT unnest(?)) ORDER BY platform, handle", [ids]):
        handles.setdefault(r["person_id"], []).append(r["shown"])
    previous: dict[int, float] = {}
    if snap.previous is not None:
        previous = {r["person_id"]: r["score"] for r in store.rows(
            f"SELECT person_id, score FROM ({_scores_of(store, snap.previous, ids)}) "
            "WHERE as_of = ? AND person_id IN (SELECT unnest(?))",
            [snap.previous, ids])}
    rows = []
    for r in page_rows:
        pid = r["person_id"]
        label, display_name = names.get(pid, (f"#{pid}", None))
        before = previous.get(pid)
        change = r["score"] - (before or 0.0) if snap.previous is not None else r["change"]
        rows.append(PersonRow(pid, r["score"], r["tier"], r["last_contact"], r["touchpoints_in"], r["touchpoints_out"],
                              change, label, display_name, handles.get(pid, []), before, r.get("activity")))
    return Records(rows, PersonRow.__dataclass_fields__)


# -- one person -------------------------------------------------------------------------------------
def person_profile(store: Store, ref: str, timeline_limit: int = 50, score_if_needed: bool = True) -> PersonProfile:
    """One person: identities, score and reasons in the current snapshot, connections, score history
    and the newest touchpoints. ``score_if_needed=False`` never writes (a dashboard GET): the newest
    snapshot there is stands in for a missing current one."""
    person_id = find_person(store.con, ref)
    as_of = current_as_of(store, score_if_needed=score_if_needed)
    names = store.row("SELECT label, display_name FROM people WHERE person_id = ?", [person_id])
    assert names is not None  # find_person answers active people only
    identities = store.rows("SELECT platform, handle, username, display_name, email, url FROM identities "
                            "WHERE person_id = ? ORDER BY platform, handle", [person_id])
    score = tier = activity = None
    reasons: list[str] = []
    connections: list[dict[str, Any]] = []
    if as_of is not None:
        dims = store.row(f"SELECT * FROM ({scores_sql(store, as_of)}) WHERE as_of = ? AND person_id = ?",
                         [as_of, person_id])
        if dims is not None:
            score, tier = dims["score"], dims["tier"]
            reasons = reasons_for(store.con, person_id, dims, as_of)
            activity = activity_from_row(dims)
        connections = store.rows(f"""
            SELECT s.account, s.platform, s.person, s.score, s.tier, s.last_contact
            FROM ({scores_sql(store, as_of, "connection")}) s
            JOIN identities i ON i.platform = s.platform AND i.handle = s.person
            WHERE s.as_of = ? AND i.person_id = ? ORDER BY s.score DESC""", [as_of, person_id])
    # every scored date, composed from the person's history rows
    every_run = scores_over_sql("SELECT DISTINCT as_of AS at FROM score_runs", only=person_id)
    history = store.rows(f"SELECT as_of, score, tier FROM ({every_run}) ORDER BY as_of")
    timeline = add_timeline_links(store, store.rows(
        "SELECT ts, platform, account, direction, kind, text, handle, item_id, thread, in_reply_to FROM interactions "
        f"WHERE {person_connections_filter(store.con, person_id)} ORDER BY ts DESC NULLS LAST LIMIT ?",
        [timeline_limit]))
    add_identity_links(identities)
    return PersonProfile(person_id, names["label"], names["display_name"], identities, as_of, score, tier, connections,
                         reasons, history, timeline, activity.state if activity else None,
                         str(activity) if activity else None)


__all__ = ["PeoplePage", "PersonRow", "ScoredTier", "Snapshot", "connection_tiers", "current_as_of", "has_scores",
           "list_connections", "needs_scoring", "people_page", "person_profile", "resolve_as_of", "snapshot",
           "tier_meaning"]
