"""People and their identities: finding a person, merge suggestions, merge, unmerge, forget.

Interactions point at identities (platform, handle); a person is a set of identities.
Merging moves identities between people and never touches an interaction.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb

from .records import TiescaleError


class PersonNotFound(TiescaleError):
    pass


@dataclass(frozen=True)
class MergeSuggestion:
    into_person: int
    into_label: str
    from_person: int
    from_label: str
    confidence: float
    reason: str


def find_person(con: duckdb.DuckDBPyConnection, ref: str) -> int:
    """A person by ``#id``, ``platform:handle``, label, handle or @name (ambiguity is an error)."""
    ref = ref.strip()
    if re.fullmatch(r"#\d+", ref):
        row = con.execute("SELECT person_id FROM people WHERE person_id = ?", [int(ref[1:])]).fetchone()
        if row:
            return _active(con, row[0])
    candidates: set[int] = set()
    if ":" in ref:
        platform, handle = ref.split(":", 1)
        candidates |= {r[0] for r in con.execute(
            "SELECT person_id FROM identities WHERE platform = ? AND (handle = ? OR username = ?)",
            [platform, handle, handle]).fetchall()}
    if not candidates:
        bare = ref.lstrip("@")
        candidates |= {r[0] for r in con.execute(
            "SELECT person_id FROM people WHERE label = ? AND merged_into IS NULL "
            "UNION SELECT person_id FROM identities WHERE handle IN (?, ?) OR username IN (?, ?)",
            [ref, ref, bare, ref, bare]).fetchall()}
    active = {_active(con, p) for p in candidates}
    if not active:
        raise PersonNotFound(f"no person {ref!r} in the store")
    if len(active) > 1:
        options = ", ".join(f"#{p}" for p in sorted(active))
        raise PersonNotFound(f"{ref!r} names several people ({options}); use platform:handle or #id")
    return active.pop()


def _active(con: duckdb.DuckDBPyConnection, person_id: int) -> int:
    """Follow merges to the person that now holds the identities."""
    seen = set()
    while True:
        row = con.execute("SELECT merged_into FROM people WHERE person_id = ?", [person_id]).fetchone()
        if row is None or row[0] is None or person_id in seen:
            return person_id
        seen.add(person_id)
        person_id = row[0]


_NORMALIZE_SQL = """regexp_replace(lower(regexp_replace(regexp_replace(coalesce(i.username, i.handle),
    '^@', ''), '(@.*$)|(\\.bsky\\.social$)', '')), '[^a-z0-9]', '', 'g')"""


def suggest_merges(con: duckdb.DuckDBPyConnection, min_confidence: float = 0.0, limit: int = 100) -> list[MergeSuggestion]:
    """Pairs of people who are probably one human, with a confidence and the reason."""
    rows = con.execute(f"""
        WITH ids AS (
            SELECT i.person_id, i.platform, {_NORMALIZE_SQL} AS norm, lower(trim(i.display_name)) AS name,
                   lower(trim(i.email)) AS email, lower(trim(i.url)) AS url
            FROM identities i JOIN people p USING (person_id) WHERE p.merged_into IS NULL
        ),
        pairs AS (
            SELECT a.person_id AS pa, b.person_id AS pb,
                   CASE
                     WHEN a.email IS NOT NULL AND a.email = b.email THEN 0.95
                     WHEN a.url IS NOT NULL AND a.url = b.url THEN 0.9
                     WHEN length(a.norm) >= 3 AND a.norm = b.norm AND a.platform <> b.platform
                          AND a.name IS NOT NULL AND a.name = b.name THEN 0.9
                     WHEN length(a.norm) >= 3 AND a.norm = b.norm AND a.platform <> b.platform THEN 0.75
                     WHEN a.name IS NOT NULL AND a.name LIKE '% %' AND a.name = b.name THEN 0.6
                   END AS confidence,
                   CASE
                     WHEN a.email IS NOT NULL AND a.email = b.email THEN 'same e-mail'
                     WHEN a.url IS NOT NULL AND a.url = b.url THEN 'same linked URL'
                     WHEN length(a.norm) >= 3 AND a.norm = b.norm AND a.platform <> b.platform
                          AND a.name IS NOT NULL AND a.name = b.name THEN 'same handle and display name on ' || a.platform || ' and ' || b.platform
                     WHEN length(a.norm) >= 3 AND a.norm = b.norm AND a.platform <> b.platform THEN 'same handle on ' || a.platform || ' and ' || b.platform
                     WHEN a.name IS NOT NULL AND a.name LIKE '% %' AND a.name = b.name THEN 'same display name'
                   END AS reason
            FROM ids a JOIN ids b ON a.person_id < b.person_id
                 AND (a.email = b.email OR a.url = b.url OR a.norm = b.norm OR a.name = b.name)
        )
        SELECT pa, pl.label, pb, pr.label, max(confidence)::DOUBLE, arg_max(reason, confidence)
        FROM pairs JOIN people pl ON pl.person_id = pa JOIN people pr ON pr.person_id = pb
        WHERE confidence IS NOT NULL AND confidence >= ?
        GROUP BY ALL ORDER BY max(confidence) DESC, pa, pb LIMIT ?
    """, [min_confidence, limit]).fetchall()
    return [MergeSuggestion(*r) for r in rows]


def merge_people(con: duckdb.DuckDBPyConnection, into_ref: str, from_ref: str) -> int:
    """Move every identity of ``from`` to ``into``; returns the merge id (for unmerge)."""
    into_id, from_id = find_person(con, into_ref), find_person(con, from_ref)
    if into_id == from_id:
        raise TiescaleError(f"{into_ref!r} and {from_ref!r} are already the same person")
    con.execute("BEGIN TRANSACTION")
    try:
        moved = con.execute(
            "SELECT platform, handle FROM identities WHERE person_id = ? ORDER BY ALL", [from_id]
        ).fetchall()
        label = con.execute("SELECT label FROM people WHERE person_id = ?", [from_id]).fetchone()[0]
        merge_id = con.execute("SELECT nextval('merge_seq')").fetchone()[0]
        con.execute(
            "INSERT INTO merges (merge_id, into_person, from_person, from_label, identities) VALUES (?, ?, ?, ?, ?)",
            [merge_id, into_id, from_id, label, json.dumps([list(m) for m in moved])],
        )
        con.execute("UPDATE identities SET person_id = ? WHERE person_id = ?", [into_id, from_id])
        con.execute("UPDATE people SET merged_into = ? WHERE person_id = ?", [into_id, from_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return merge_id


def unmerge_person(con: duckdb.DuckDBPyConnection, ref: str) -> list[int]:
    """Undo merges: ``ref`` is a merge id (``merge:N``), or an identity or person whose merges to undo."""
    if re.fullmatch(r"merge:\d+", ref):
        merge_ids = [int(ref.split(":")[1])]
    else:
        if ":" in ref and not ref.startswith("#"):
            platform, handle = ref.split(":", 1)
            merge_ids = [
                mid for mid, ids in con.execute(
                    "SELECT merge_id, identities FROM merges WHERE undone_at IS NULL ORDER BY merge_id DESC"
                ).fetchall() if [platform, handle] in json.loads(ids)
            ][:1]
        else:
            merge_ids = []
        if not merge_ids:
            person = find_person(con, ref)
            merge_ids = [r[0] for r in con.execute(
                "SELECT merge_id FROM merges WHERE undone_at IS NULL AND into_person = ? ORDER BY merge_id DESC",
                [person]).fetchall()]
    if not merge_ids:
        raise TiescaleError(f"nothing merged into {ref!r}")
    con.execute("BEGIN TRANSACTION")
    try:
        for merge_id in merge_ids:
            row = con.execute(
                "SELECT from_person, identities FROM merges WHERE merge_id = ? AND undone_at IS NULL", [merge_id]
            ).fetchone()
            if row is None:
                raise TiescaleError(f"no open merge {merge_id}")
            from_person, identities = row
            for platform, handle in json.loads(identities):
                con.execute(
                    "UPDATE identities SET person_id = ? WHERE platform = ? AND handle = ?",
                    [from_person, platform, handle],
                )
            con.execute("UPDATE people SET merged_into = NULL WHERE person_id = ?", [from_person])
            con.execute("UPDATE merges SET undone_at = now() WHERE merge_id = ?", [merge_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return merge_ids


def forget_person(con: duckdb.DuckDBPyConnection, ref: str) -> dict[str, int]:
    """Delete a person, their identities and every interaction with them; re-imports skip them.

    Everything else that names them goes too: score snapshots, orders and coupon mappings, the
    nurture index (their messages) and the actions recorded about them.
    """
    from .store.conversions import forget_conversions

    person = find_person(con, ref)
    con.execute("BEGIN TRANSACTION")
    try:
        ids = con.execute("SELECT platform, handle FROM identities WHERE person_id = ?", [person]).fetchall()
        counts = {"identities": len(ids), "interactions": 0, "snapshot_rows": 0}
        for platform, handle in ids:
            for table in ("connection_scores", "connection_top", "connections", "scoring_dirty"):
                con.execute(f"DELETE FROM {table} WHERE platform = ? AND person = ?", [platform, handle])
            counts["interactions"] += con.execute(
                "DELETE FROM interactions WHERE platform = ? AND person = ?", [platform, handle]
            ).fetchone()[0]
            counts["snapshot_rows"] += con.execute(
                "DELETE FROM follower_snapshots WHERE platform = ? AND person = ?", [platform, handle]
            ).fetchone()[0]
            con.execute("INSERT INTO forgotten (platform, handle_hash) VALUES (?, sha256(?))", [platform, handle])
        for platform, handle in ids:
            con.execute("DELETE FROM nurture_messages WHERE platform = ? AND person = ?", [platform, handle])
        merged = [r[0] for r in con.execute(
            "SELECT person_id FROM people WHERE merged_into = ?", [person]).fetchall()]
        counts["orders"] = forget_conversions(con, person)  # finds orders through the identities: before they go
        for person_id in (person, *merged):
            for table in ("person_scores", "nurture_actions", "nurture_people", "nurture_messages",
                          "nurture_queue_messages", "nurture_queue_people", "nurture_queue_waiting"):
                con.execute(f"DELETE FROM {table} WHERE person_id = ?", [person_id])
        con.execute("DELETE FROM identities WHERE person_id = ?", [person])
        con.execute("DELETE FROM people WHERE person_id = ? OR merged_into = ?", [person, person])
        con.execute("DELETE FROM merges WHERE into_person = ? OR from_person = ?", [person, person])
        counts["people"] = 1 + len(merged)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
