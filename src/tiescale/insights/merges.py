"""A person's merges (people joined into them, undoable) and the people who look like the same human.

"Merge" here means joining two people; bringing an import's staging tables into the store is the
store's business (:mod:`tiescale.store.merge`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from ..results import Records
from ..store.db import Store


@dataclass(frozen=True)
class MergeRecord:
    """One merge into a person that has not been undone."""

    merge_id: int
    from_person: int
    from_label: str
    identities: str  # JSON list of [platform, handle] moved
    created_at: datetime


@dataclass(frozen=True)
class MergeCandidate:
    """Another person who may be the same human, and how sure the match is (0..1)."""

    person_id: int
    label: str
    display_name: str | None
    confidence: float  # the SQL answers a decimal; the record holds a float, as the API always showed it


def merges_into(store: Store, person_id: int) -> Records[MergeRecord]:
    """The merges into ``person_id`` still in effect, newest first."""
    found = store.rows("""SELECT merge_id, from_person, from_label, identities, created_at FROM merges
                          WHERE into_person = ? AND undone_at IS NULL ORDER BY merge_id DESC""", [person_id])
    return Records((MergeRecord(**r) for r in found), MergeRecord.__dataclass_fields__)


def merge_candidates(store: Store, person_id: int, limit: int = 5) -> Records[MergeCandidate]:
    """Other people who look like the same human: same e-mail, linked URL, handle elsewhere or full name."""
    found = store.rows("""
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
    return Records((MergeCandidate(r["person_id"], r["label"], r["display_name"], float(r["confidence"]))
                    for r in found), MergeCandidate.__dataclass_fields__)
