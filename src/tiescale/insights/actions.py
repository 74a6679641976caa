"""What the user did about a person: ``done`` (with a note) and ``snooze`` (for N days), kept as history.

The queue reads them: a person marked done leaves the queue (their messages up to that moment
count as handled; relationship reasons stay quiet for ``QueueConfig.done_quiet_days``); a snoozed
person is hidden until the snooze ends, unless they write again after it was set. Times are the
wall clock (UTC) unless ``at`` is given.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, UTC
from typing import Any

from tiescale.store.identity import find_person
from tiescale.records import UsageError
from tiescale.store.db import Store


@dataclass
class Action:
    action_id: int
    person_id: int
    person: str
    action: str  # done | snooze
    note: str | None
    created_at: datetime
    until: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _utc(value: datetime | None) -> datetime:
    value = value or datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _record(store: Store, person_ref: str, action: str, note: str | None, at: datetime | None,
            until: datetime | None) -> Action:
    person_id = find_person(store, person_ref)
    action_id = int(store.scalar("SELECT nextval('nurture_action_seq')"))
    created = _utc(at)
    store.con.execute("INSERT INTO nurture_actions (action_id, person_id, action, note, created_at, until) "
                      "VALUES (?, ?, ?, ?, ?, ?)", [action_id, person_id, action, note, created, until])
    label = store.scalar("SELECT label FROM people WHERE person_id = ?", [person_id])
    return Action(action_id, person_id, label, action, note, created, until)


def mark_done(store: Store, person_ref: str, note: str | None = None, at: datetime | None = None) -> Action:
    """Record that the user engaged with this person (replied, thanked, checked in...)."""
    if note is not None and len(note) > 2000:
        raise UsageError("--note: at most 2,000 characters")
    return _record(store, person_ref, "done", note, at, None)


def snooze(store: Store, person_ref: str, days: float, at: datetime | None = None) -> Action:
    """Hide this person from the queue for ``days`` days."""
    if not 0 < days <= 3650:
        raise UsageError(f"--days: must be more than 0 and at most 3650, not {days:g}")
    created = _utc(at)
    return _record(store, person_ref, "snooze", None, created, created + timedelta(days=days))


def action_history(store: Store, person_ref: str) -> list[Action]:
    """Every action recorded for this person (and for people merged into them), oldest first."""
    person_id = find_person(store, person_ref)
    rows = store.con.execute("""
        SELECT a.action_id, a.person_id, p.label, a.action, a.note, a.created_at, a.until
        FROM nurture_actions a JOIN people p USING (person_id)
        WHERE a.person_id = ? OR a.person_id IN (SELECT person_id FROM people WHERE merged_into = ?)
        ORDER BY a.created_at, a.action_id""", [person_id, person_id]).fetchall()
    return [Action(*r) for r in rows]


ACTIVE_ACTIONS_SQL = """
    SELECT coalesce(p.merged_into, a.person_id) AS person_id,
           max(a.created_at) FILTER (WHERE a.action = 'done') AS done_at,
           max(a.until) FILTER (WHERE a.action = 'snooze' AND a.until > $clock) AS snoozed_until,
           max(a.created_at) FILTER (WHERE a.action = 'snooze' AND a.until > $clock) AS snoozed_at
    FROM nurture_actions a JOIN people p ON p.person_id = a.person_id
    WHERE a.created_at <= $clock
    GROUP BY 1
"""
