"""Activity now, read apart from the score: active, cooling, or dormant since the last contact.

The 0-10 score is the strength of a relationship, with a memory of months to years; whether the
two of you are in touch *now* is this second reading. It compares the silence since the last
contact with the person's own rhythm: the mean gap between their active days (first to last
contact over active days - 1), at least a day and at most a month, a week when there is only one
day to go by. A relationship is

- **active** while the silence is at most twice the rhythm (and at least two weeks count as active);
- **cooling** after that, until the silence reaches three times the rhythm, at least 60 days;
- **dormant** after that: quiet since the last contact.

So a weekly chat cools after two quiet weeks and is dormant after two months; a monthly one is
dormant after three. It reads three columns every score row already holds (``days_since``,
``duration_days``, ``active_days``): one CASE expression on read, no extra table or scan.

Both readings come from the stored scores, so :func:`rescore_if_scale_changed` also lives here:
when the newest snapshot was scored with another scale (its fingerprint, scoring.run), the
materialised scores of that date are recomputed once, with one message saying so. The history
rows are raw dimensions, which a new scale reads as they are: only the newest date's score
tables hold points and tiers.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..scoring.stamp import scale_fingerprint
from ..store.db import Store
from .shadow import writable_tables
from .snapshots import SCORE_TABLES

log = logging.getLogger("tiescale")

ACTIVITY_STATES = ("active", "cooling", "dormant")
#: The rhythm when a relationship has a single active day, and its bounds (days).
DEFAULT_RHYTHM_DAYS = 7.0
MIN_RHYTHM_DAYS, MAX_RHYTHM_DAYS = 1.0, 30.0
ACTIVE_RHYTHMS, ACTIVE_MIN_DAYS = 2.0, 14.0
DORMANT_RHYTHMS, DORMANT_MIN_DAYS = 3.0, 60.0


def rhythm_days(duration_days: float, active_days: int) -> float:
    """The mean gap between active days, within [MIN_RHYTHM_DAYS, MAX_RHYTHM_DAYS]."""
    gap = duration_days / (active_days - 1) if active_days > 1 else DEFAULT_RHYTHM_DAYS
    return min(MAX_RHYTHM_DAYS, max(MIN_RHYTHM_DAYS, gap))


def activity_of(days_since: float, duration_days: float, active_days: int) -> str:
    """active, cooling or dormant (the rule :func:`activity_sql` writes in SQL)."""
    rhythm = rhythm_days(duration_days, active_days)
    if days_since <= max(ACTIVE_MIN_DAYS, ACTIVE_RHYTHMS * rhythm):
        return "active"
    if days_since < max(DORMANT_MIN_DAYS, DORMANT_RHYTHMS * rhythm):
        return "cooling"
    return "dormant"


def activity_sql(alias: str = "s") -> str:
    """The activity state of the score row ``alias`` as a DuckDB expression (same rule as :func:`activity_of`)."""
    a = f"{alias}." if alias else ""
    rhythm = (f"least({MAX_RHYTHM_DAYS}, greatest({MIN_RHYTHM_DAYS}, CASE WHEN {a}active_days > 1 "
              f"THEN {a}duration_days / ({a}active_days - 1) ELSE {DEFAULT_RHYTHM_DAYS} END))")
    return (f"(CASE WHEN {a}days_since IS NULL THEN NULL "
            f"WHEN {a}days_since <= greatest({ACTIVE_MIN_DAYS}, {ACTIVE_RHYTHMS} * {rhythm}) THEN 'active' "
            f"WHEN {a}days_since < greatest({DORMANT_MIN_DAYS}, {DORMANT_RHYTHMS} * {rhythm}) THEN 'cooling' "
            "ELSE 'dormant' END)")


@dataclass(frozen=True)
class Activity:
    """A relationship's activity now: its state and the last contact it dates from."""

    state: str
    last_contact: datetime | None

    def __str__(self) -> str:
        if self.state == "active" or self.last_contact is None:
            return self.state
        return f"{self.state} since {self.last_contact:%Y-%m-%d}"


def activity_from_row(row: dict[str, Any]) -> Activity | None:
    """The activity of a score row (a dict with days_since, duration_days, active_days, last_contact)."""
    if row.get("days_since") is None:
        return None
    state = activity_of(float(row["days_since"]), float(row.get("duration_days") or 0.0),
                        int(row.get("active_days") or 1))
    return Activity(state, row.get("last_contact"))


def activity_text(state: str | None, last_contact: datetime | None) -> str:
    """How a listing shows the state: ``active``, ``cooling since 2023-06-01``, ``dormant since ...``."""
    if state is None:
        return ""
    return str(Activity(state, last_contact))


def rescore_if_scale_changed(store: Store) -> str | None:
    """Recompute the newest snapshot when it was scored with another scale; returns (and logs as a
    warning) the one message that says so, else None. On a read-only store the new scores land in
    TEMP copies (insights.shadow) and the file is untouched."""
    newest = store.row("SELECT as_of, scale FROM score_runs ORDER BY as_of DESC, computed_at DESC LIMIT 1")
    current = scale_fingerprint()
    if newest is None or newest["scale"] == current:
        return None
    writable_tables(store, *SCORE_TABLES)
    from ..scoring.run import score_store  # imported when needed: it loads the scoring engine

    run = score_store(store, newest["as_of"], force=True)
    message = (f"scores were computed with another version of the relationship scale ({newest['scale']}); "
               f"recomputed {run.connections:,} connections and {run.people:,} people as of "
               f"{run.as_of:%Y-%m-%d} with the current scale ({current}): see docs/scale.md")
    log.warning(message)
    return message
