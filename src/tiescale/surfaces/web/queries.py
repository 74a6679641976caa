"""The dashboard's own read queries: overview aggregates, the people listing, a person's extras.

Written for a million people: every listing is a top-N (ORDER BY ... LIMIT) over one score
snapshot, filters are semi-joins, and names are joined for the page's rows only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ...insights.people import current_as_of
from ...scoring.config import TIER_NAMES, TIERS
from ...store.db import Store

MEANINGFUL_TIERS = ("regular", "close", "champion")
SORTS: dict[str, str] = {
    "score": "score DESC, last_contact DESC NULLS LAST, person_id",
    "change": "change DESC NULLS LAST, score DESC, person_id",
    "drop": "change ASC NULLS LAST, score DESC, person_id",
    "last_contact": "last_contact DESC NULLS LAST, score DESC, person_id",
}
SortKey = Literal["score", "change", "drop", "last_contact"]


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = store.con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def scalar(store: Store, sql: str, params: list[Any] | None = None) -> Any:
    found = store.con.execute(sql, params or []).fetchall()
    return found[0][0] if found else None


@dataclass
class Snapshot:
    """Which score snapshot the pages show, and whether imports arrived since."""

    as_of: datetime | None
    previous: datetime | None
    imports_since: int
    version: tuple[Any, ...]

    @property
    def stale(self) -> bool:
        return self.imports_since > 0


def snapshot(store: Store) -> Snapshot:
    as_of = current_as_of(store, score_if_needed=False)
    previous = None
    if as_of is not None:  # change is measured over about a month, else since the snapshot before
        previous = scalar(store, "SELECT max(as_of) FROM score_runs WHERE as_of <= ? - INTERVAL 28 DAY", [as_of]) \
            or scalar(store, "SELECT max(as_of) FROM score_runs WHERE as_of < ?", [as_of])
    state = store.con.execute(
        "SELECT (SELECT coalesce(max(import_id), 0) FROM imports), "
        "(SELECT coalesce(max(watermark), 0) FROM score_runs WHERE as_of = ?), "
        "(SELECT max(computed_at) FROM score_runs), (SELECT count(*) FROM merges), "
        "(SELECT max(undone_at) FROM merges)", [as_of]).fetchall()[0]
    imports_since = scalar(store, "SELECT count(*) FROM imports WHERE import_id > ?", [state[1]]) if as_of else 0
    return Snapshot(as_of, previous, int(imports_since or 0), tuple(state))


def accounts(store: Store) -> list[dict[str, Any]]:
    return rows(store, "SELECT platform, handle, display_name FROM accounts ORDER BY platform, handle")


def platforms(store: Store) -> list[str]:
    found = {a["platform"] for a in accounts(store)}
    return sorted(found)


def tier_of(score: float) -> str:
    return next((name for name, low, high, _m in TIERS if low <= score < high), TIER_NAMES[-1])


@dataclass
class Overview:
    snapshot: Snapshot
    people: int
    scored: int
    interactions: int
    accounts: list[dict[str, Any]]
    tiers: dict[str, int]
    distribution: list[dict[str, Any]]  # bucket 0..9, tier, people
    followers: list[dict[str, Any]]  # month, followers
    meaningful: list[dict[str, Any]]  # as_of, meaningful
    activity: list[dict[str, Any]]  # month, inbound, outbound
    top_people: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from .capabilities import plain

        data = {k: v for k, v in self.__dict__.items() if k != "snapshot"}
        data["as_of"] = self.snapshot.as_of
        data["previous_as_of"] = self.snapshot.previous
        data["imports_since_scoring"] = self.snapshot.imports_since
        return plain(data)


def overview(store: Store, snap: Snapshot | None = None, top: int = 10) -> Overview:
    snap = snap or snapshot(store)
    as_of = snap.as_of
    people = scalar(store, "SELECT count(*) FROM people WHERE merged_into IS NULL") or 0
    interactions = scalar(store, "SELECT count(*) FROM interactions") or 0
    tiers = {t: 0 for t in TIER_NAMES}
    distribution: list[dict[str, Any]] = []
    meaningful: list[dict[str, Any]] = []
    top_people: list[dict[str, Any]] = []
    if as_of is not None:
        buckets = store.con.execute(
            "SELECT least(floor(score), 9)::INTEGER AS bucket, count(*) FROM person_scores WHERE as_of = ? "
            "GROUP BY ALL", [as_of]).fetchall()
        by_bucket = dict(buckets)
        distribution = [{"bucket": b, "label": f"{b}-{b + 1}", "tier": tier_of(b + 0.5), "people": by_bucket.get(b, 0)}
                        for b in range(10)]
        for t, n in store.con.execute(
                "SELECT tier, count(*) FROM person_scores WHERE as_of = ? GROUP BY ALL", [as_of]).fetchall():
            tiers[t] = n
        meaningful = rows(store, f"""
            SELECT r.as_of, count(ps.person_id) FILTER (WHERE ps.tier IN {MEANINGFUL_TIERS}) AS meaningful
            FROM (SELECT DISTINCT as_of FROM score_runs) r LEFT JOIN person_scores ps ON ps.as_of = r.as_of
            GROUP BY r.as_of ORDER BY r.as_of""")
        top_people = people_page(store, snap, limit=top).rows
    followers = rows(store, """
        WITH snaps AS (SELECT platform, account, snapshot_at, count(*) AS n FROM follower_snapshots
                       WHERE relation = 'follower' GROUP BY ALL),
             monthly AS (SELECT platform, account, date_trunc('month', snapshot_at AT TIME ZONE 'UTC') AS month,
                                arg_max(n, snapshot_at) AS n FROM snaps GROUP BY ALL)
        SELECT month, sum(n)::BIGINT AS followers FROM monthly GROUP BY month ORDER BY month""")
    activity = rows(store, """
        SELECT date_trunc('month', ts AT TIME ZONE 'UTC') AS month,
               count(*) FILTER (WHERE direction = 'in') AS inbound, count(*) FILTER (WHERE direction = 'out') AS outbound
        FROM interactions WHERE ts IS NOT NULL GROUP BY ALL ORDER BY month""")
    return Overview(snap, people, sum(tiers.values()), interactions, accounts(store), tiers, distribution, followers,
                    meaningful, activity[-24:], top_people)


@dataclass
class PeoplePage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def people_page(
    store: Store, snap: Snapshot, q: str | None = None, account: str | None = None, platform: str | None = None,
    tier: str | None = None, sort: str = "score", page: int = 1, limit: int = 50,
) -> PeoplePage:
    """One page of people (person scores across accounts), filtered and sorted; names for the page only."""
    if snap.as_of is None:
        return PeoplePage([], 0, page, limit)
    where, params = ["ps.as_of = ?"], [snap.as_of]
    if tier:
        where.append("ps.tier = ?")
        params.append(tier)
    if account or platform:
        conds, cparams = ["cs.as_of = ?"], [snap.as_of]
        if account:
            conds.append("cs.account = ?")
            cparams.append(account)
        if platform:
            conds.append("cs.platform = ?")
            cparams.append(platform)
        where.append(f"""ps.person_id IN (SELECT i.person_id FROM connection_scores cs JOIN identities i
                         ON i.platform = cs.platform AND i.handle = cs.person WHERE {' AND '.join(conds)})""")
        params += cparams
    if q and q.strip():
        pattern = "%" + q.strip().lstrip("@").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("""ps.person_id IN (
            SELECT person_id FROM identities WHERE handle ILIKE ? ESCAPE '\\' OR username ILIKE ? ESCAPE '\\'
                OR display_name ILIKE ? ESCAPE '\\'
            UNION ALL SELECT person_id FROM people WHERE label ILIKE ? ESCAPE '\\' OR display_name ILIKE ? ESCAPE '\\')""")
        params += [pattern] * 5
    change_sql = "NULL::DOUBLE"
    join_prev = ""
    if snap.previous is not None:
        change_sql = "ps.score - coalesce(prev.score, 0)"
        join_prev = "LEFT JOIN person_scores prev ON prev.as_of = ? AND prev.person_id = ps.person_id"
    if sort not in SORTS:
        sort = "score"
    needs_change = sort in ("change", "drop")
    offset = (max(page, 1) - 1) * limit
    inner = f"""
        SELECT ps.person_id, ps.score, ps.tier, ps.last_contact, ps.touchpoints_in, ps.touchpoints_out,
               {change_sql if needs_change else 'NULL::DOUBLE'} AS change
        FROM person_scores ps {join_prev if needs_change else ''}
        WHERE {' AND '.join(where)}"""
    inner_params = ([snap.previous] if needs_change and join_prev else []) + params
    if len(where) == 1 or (len(where) == 2 and tier):  # no semi-join: counting is a cheap scan
        total = scalar(store, f"SELECT count(*) FROM person_scores ps WHERE {' AND '.join(where)}", params) or 0
        page_rows = rows(store, f"{inner} ORDER BY {SORTS[sort]} LIMIT {int(limit)} OFFSET {int(offset)}",
                         inner_params)
    else:  # search or account/platform filter: evaluate the filter once, count and page from it
        page_rows = rows(store, f"""WITH filtered AS MATERIALIZED ({inner})
            SELECT *, (SELECT count(*) FROM filtered) AS total FROM filtered
            ORDER BY {SORTS[sort]} LIMIT {int(limit)} OFFSET {int(offset)}""", inner_params)
        total = page_rows[0].pop("total") if page_rows else 0
        for row in page_rows:
            row.pop("total", None)
        if not page_rows and offset:
            total = scalar(store, f"SELECT count(*) FROM person_scores ps WHERE {' AND '.join(where)}", params) or 0
    # names, handles and the previous score for this page's people only (a join before the limit
    # would build hash tables over every person)
    ids = [r["person_id"] for r in page_rows]
    if ids:
        names = {r[0]: r[1:] for r in store.con.execute(
            "SELECT person_id, label, display_name FROM people WHERE person_id IN (SELECT unnest(?))", [ids]).fetchall()}
        handles: dict[int, list[str]] = {}
        for pid, handle in store.con.execute(
                "SELECT person_id, platform || ':' || coalesce(username, handle) FROM identities "
                "WHERE person_id IN (SELECT unnest(?)) ORDER BY platform, handle", [ids]).fetchall():
            handles.setdefault(pid, []).append(handle)
        previous = dict(store.con.execute(
            "SELECT person_id, score FROM person_scores WHERE as_of = ? AND person_id IN (SELECT unnest(?))",
            [snap.previous, ids]).fetchall()) if snap.previous is not None else {}
        for row in page_rows:
            row["label"], row["display_name"] = names.get(row["person_id"], (f"#{row['person_id']}", None))
            row["handles"] = handles.get(row["person_id"], [])
            row["previous_score"] = previous.get(row["person_id"])
            if snap.previous is not None:
                row["change"] = row["score"] - (row["previous_score"] or 0.0)
    return PeoplePage(page_rows, int(total), max(page, 1), limit)


def merges_into(store: Store, person_id: int) -> list[dict[str, Any]]:
    return rows(store, """SELECT merge_id, from_person, from_label, identities, created_at FROM merges
                          WHERE into_person = ? AND undone_at IS NULL ORDER BY merge_id DESC""", [person_id])


def merge_candidates(store: Store, person_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """Other people who look like the same human: same e-mail, linked URL, handle elsewhere or full name."""
    return rows(store, """
        WITH mine AS (
            SELECT platform, lower(trim(email)) AS email, lower(trim(url)) AS url,
                   regexp_replace(lower(split_part(coalesce(username, handle), '@', 1)), '[^a-z0-9]', '', 'g') AS norm,
                   lower(trim(display_name)) AS name
            FROM identities WHERE person_id = ?
        ), hits AS (
            SELECT i.person_id,
                   max(CASE WHEN m.email IS NOT NULL AND lower(trim(i.email)) = m.email THEN 0.95
                            WHEN m.url IS NOT NULL AND lower(trim(i.url)) = m.url THEN 0.9
                            WHEN length(m.norm) >= 3 AND i.platform <> m.platform AND regexp_replace(lower(split_part(
                                 coalesce(i.username, i.handle), '@', 1)), '[^a-z0-9]', '', 'g') = m.norm THEN 0.75
                            WHEN m.name LIKE '% %' AND lower(trim(i.display_name)) = m.name THEN 0.6 END) AS confidence
            FROM identities i JOIN mine m ON (lower(trim(i.email)) = m.email OR lower(trim(i.url)) = m.url
                 OR lower(trim(i.display_name)) = m.name
                 OR regexp_replace(lower(split_part(coalesce(i.username, i.handle), '@', 1)), '[^a-z0-9]', '', 'g') = m.norm)
            WHERE i.person_id <> ? GROUP BY i.person_id
        )
        SELECT h.person_id, p.label, p.display_name, h.confidence FROM hits h
        JOIN people p ON p.person_id = h.person_id AND p.merged_into IS NULL
        WHERE h.confidence IS NOT NULL ORDER BY h.confidence DESC, h.person_id LIMIT ?""",
        [person_id, person_id, limit])
