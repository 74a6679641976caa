"""What the user did about a person: ``done`` (with a note), ``snooze`` (for N days), a ``note`` alone,
and ``undo`` of a done or snooze, kept as history.

The queue reads them: a person marked done leaves the queue (their messages up to that moment
count as handled; relationship reasons stay quiet for ``QueueConfig.done_quiet_days``); a snoozed
person is hidden until the snooze ends, unless they write again after it was set. A note changes
nothing in the queue. An undo is a row of its own naming the action it takes back (nothing is
deleted: the count of actions is part of the pages' cache key, so it must only grow). Times are
the wall clock (UTC) unless ``at`` is given.
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
    action: str  # done | snooze | note | undo
    note: str | None
    created_at: datetime
    until: datetime | None
    undoes: int | None = None  # undo: the action it takes back
    undone: bool = False  # a done or snooze taken back by a later undo
    name: str | None = None  # the name people know them by (the dashboard's "Done: Ana Lima")

    @property
    def shown(self) -> str:
        return self.name or self.person

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _utc(value: datetime | None) -> datetime:
    value = value or datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


#: The snooze lengths the dashboard offers, in days, with their words.
SNOOZE_CHOICES: tuple[tuple[int, str], ...] = ((1, "1 day"), (3, "3 days"), (7, "a week"), (30, "a month"))


def snooze_words(days: float) -> str:
    """'a week' for 7, '3 days' for 3: how a snooze's length reads in a message."""
    return next((words for d, words in SNOOZE_CHOICES if d == days), f"{days:g} day{'s' if days != 1 else ''}")


def _record(store: Store, person_ref: str, action: str, note: str | None, at: datetime | None,
            until: datetime | None, undoes: int | None = None) -> Action:
    person_id = find_person(store, person_ref)
    action_id = int(store.scalar("SELECT nextval('nurture_action_seq')"))
    created = _utc(at)
    store.con.execute("INSERT INTO nurture_actions (action_id, person_id, action, note, created_at, until, undoes) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)", [action_id, person_id, action, note, created, until, undoes])
    label, name = store.con.execute("SELECT label, display_name FROM people WHERE person_id = ?",
                                    [person_id]).fetchone() or (None, None)
    return Action(action_id, person_id, label, action, note, created, until, undoes, name=name)


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


def add_note(store: Store, person_ref: str, note: str, at: datetime | None = None) -> Action:
    """Keep a note about this person without marking anything done (the queue is unchanged)."""
    if not note.strip():
        raise UsageError("--note: empty")
    if len(note) > 2000:
        raise UsageError("--note: at most 2,000 characters")
    return _record(store, person_ref, "note", note, at, None)


def undo(store: Store, action_id: int, at: datetime | None = None) -> Action:
    """Take back a done or a snooze: the person is in the queue again as if it had not happened."""
    row = store.row("SELECT person_id, action FROM nurture_actions WHERE action_id = ?", [action_id])
    if row is None or row["action"] not in ("done", "snooze"):
        raise UsageError(f"action {action_id}: no done or snooze with this number in the store")
    if store.scalar("SELECT count(*) FROM nurture_actions WHERE action = 'undo' AND undoes = ?", [action_id]):
        raise UsageError(f"action {action_id}: already undone")
    return _record(store, f"#{row['person_id']}", "undo", None, at, None, undoes=action_id)


def find_action(store: Store, action_id: int) -> Action | None:
    """One action by its number (the dashboard's message after a Done or Snooze without JavaScript)."""
    row = store.con.execute(_ACTION_SQL + " WHERE a.action_id = ?", [action_id]).fetchone()
    return Action(*row) if row else None


_ACTION_SQL = """
    SELECT a.action_id, a.person_id, p.label, a.action, a.note, a.created_at, a.until, a.undoes,
           a.action_id IN (SELECT undoes FROM nurture_actions WHERE action = 'undo' AND undoes IS NOT NULL),
           p.display_name
    FROM nurture_actions a JOIN people p USING (person_id)"""


def action_history(store: Store, person_ref: str) -> list[Action]:
    """Every action recorded for this person (and for people merged into them), oldest first."""
    person_id = find_person(store, person_ref)
    rows = store.con.execute(_ACTION_SQL + """
        WHERE a.person_id = ? OR a.person_id IN (SELECT person_id FROM people WHERE merged_into = ?)
        ORDER BY a.created_at, a.action_id""", [person_id, person_id]).fetchall()
    return [Action(*r) for r in rows]


ACTIVE_ACTIONS_SQL = """
    SELECT coalesce(p.merged_into, a.person_id) AS person_id,
           max(a.created_at) FILTER (WHERE a.action = 'done') AS done_at,
           max(a.until) FILTER (WHERE a.action = 'snooze' AND a.until > $clock) AS snoozed_until,
           max(a.created_at) FILTER (WHERE a.action = 'snooze' AND a.until > $clock) AS snoozed_at
    FROM nurture_actions a JOIN people p ON p.person_id = a.person_id
    WHERE a.created_at <= $clock AND a.action IN ('done', 'snooze')
      AND a.action_id NOT IN (SELECT undoes FROM nurture_actions WHERE action = 'undo' AND undoes IS NOT NULL)
    GROUP BY 1
"""
