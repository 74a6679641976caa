"""People and their scores, as every surface lists them: latest snapshot, filters, one person."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..store.identity import find_person
from ..records import UsageError
from ..scoring.config import TIER_NAMES
from ..scoring.explain import PersonProfile, reasons_for, tier_meaning
from ..scoring.top import top_answers
from ..scoring.run import DIMENSION_FIELDS, resolve_as_of, score_store
from ..store.db import Store


def current_as_of(store: Store, score_if_needed: bool = True) -> datetime | None:
    """The as-of date of the snapshot that reflects every import; scores one when missing."""
    watermark = store.con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchone()[0]
    row = store.con.execute(
        "SELECT as_of FROM score_runs WHERE watermark = ? ORDER BY as_of DESC, computed_at DESC LIMIT 1", [watermark]
    ).fetchone()
    if row is not None:
        return row[0]
    if not score_if_needed:
        latest = store.con.execute("SELECT max(as_of) FROM score_runs").fetchone()[0]
        return latest
    if not store.con.execute("SELECT count(*) FROM interactions").fetchone()[0]:
        return None
    return score_store(store).as_of


def _rows(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = store.con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def list_connections(
    store: Store, account: str | None = None, tier: str | None = None, min_score: float | None = None,
    platform: str | None = None, limit: int = 50, as_of: datetime | None = None,
) -> list[dict[str, Any]]:
    """Connections (account, platform, person) by score, highest first."""
    if tier is not None and tier not in TIER_NAMES:
        raise UsageError(f"unknown tier {tier!r}; choose one of: {', '.join(TIER_NAMES)}")
    as_of = as_of or current_as_of(store)
    if as_of is None:
        return []
    where, params = ["s.as_of = ?"], [as_of]
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
        sql = f"""SELECT s.account, s.person, s.score, s.tier, s.platform, s.name, s.display_name, s.person_id, {dims}
                  FROM connection_top s WHERE {' AND '.join(where)} ORDER BY {order} {limit_sql}"""
        return _rows(store, sql, params)
    # the top N first, then names for those N only (a join before the limit costs a full hash join)
    sql = f"""
        SELECT s.account, s.person, s.score, s.tier, s.platform, coalesce(i.username, p.label) AS name,
               i.display_name, i.person_id, {dims}
        FROM (SELECT * FROM connection_scores s WHERE {' AND '.join(where)} ORDER BY {order} {limit_sql}) s
        LEFT JOIN identities i ON i.platform = s.platform AND i.handle = s.person
        LEFT JOIN people p ON p.person_id = i.person_id
        ORDER BY {order}
    """
    return _rows(store, sql, params)


def person_profile(store: Store, ref: str, timeline_limit: int = 50) -> PersonProfile:
    con = store.con
    person_id = find_person(con, ref)
    as_of = current_as_of(store)
    label, display = con.execute("SELECT label, display_name FROM people WHERE person_id = ?", [person_id]).fetchone()
    identities = _rows(store, "SELECT platform, handle, username, display_name, email, url FROM identities "
                              "WHERE person_id = ? ORDER BY platform, handle", [person_id])
    score = tier = None
    reasons: list[str] = []
    connections: list[dict[str, Any]] = []
    if as_of is not None:
        row = _rows(store, "SELECT * FROM person_scores WHERE as_of = ? AND person_id = ?", [as_of, person_id])
        if row:
            dims = row[0]
            score, tier = dims["score"], dims["tier"]
            reasons = reasons_for(con, person_id, dims, as_of)
        connections = _rows(store, """
            SELECT s.account, s.platform, s.person, s.score, s.tier, s.last_contact FROM connection_scores s
            JOIN identities i ON i.platform = s.platform AND i.handle = s.person
            WHERE s.as_of = ? AND i.person_id = ? ORDER BY s.score DESC""", [as_of, person_id])
    history = _rows(store, "SELECT as_of, score, tier FROM person_scores WHERE person_id = ? ORDER BY as_of",
                    [person_id])
    timeline = _rows(store, """
        SELECT i.ts, i.platform, i.account, i.direction, i.kind, i.text FROM interactions i
        JOIN identities id ON id.platform = i.platform AND id.handle = i.person
        WHERE id.person_id = ? ORDER BY i.ts DESC NULLS LAST LIMIT ?""", [person_id, timeline_limit])
    return PersonProfile(person_id, label, display, identities, as_of, score, tier, connections, reasons,
                         history, timeline)


__all__ = ["current_as_of", "list_connections", "person_profile", "resolve_as_of", "tier_meaning"]
