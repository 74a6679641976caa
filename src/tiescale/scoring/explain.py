"""Plain-words reasons for a score, and a person's history and timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from tiescale.store.identity import person_connections_filter

from .config import TIERS


@dataclass
class PersonProfile:
    person_id: int
    label: str
    display_name: str | None
    identities: list[dict[str, Any]]
    as_of: datetime | None
    score: float | None
    tier: str | None
    connections: list[dict[str, Any]]
    reasons: list[str]
    history: list[dict[str, Any]]
    timeline: list[dict[str, Any]] = field(default_factory=list)
    #: Activity now, apart from the score (insights.activity): active, cooling or dormant, and in words
    #: ("dormant since 2023-06-02", the last contact).
    activity_state: str | None = None
    activity: str | None = None


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def days_ago(days: float) -> str:
    """A time span in words, as every surface says it: today, yesterday, 12 days ago, 3 months ago."""
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    if days < 60:
        return f"{int(days)} days ago"
    if days < 730:
        return f"{int(days // 30)} months ago"
    return f"{int(days // 365)} years ago"


def reasons_for(con: duckdb.DuckDBPyConnection, person_id: int, dims: dict[str, Any], as_of: datetime) -> list[str]:
    """The top reasons behind a person's score, biggest contribution first."""
    # the person's connections by id, and the dates compared as stored (with their time zone): the
    # column's statistics then skip every older row group instead of converting 10M timestamps
    theirs = person_connections_filter(con, person_id, "i.connection_id")
    recent = con.execute(
        f"""SELECT direction, kind, count(*) FROM interactions i
           WHERE {theirs} AND i.ts < ? AND i.ts >= ? GROUP BY ALL""",
        [as_of.replace(tzinfo=UTC), (as_of - timedelta(days=30)).replace(tzinfo=UTC)],
    ).fetchall()
    inbound = {k: n for d, k, n in recent if d == "in"}
    outbound = sum(n for d, _k, n in recent if d == "out")
    parts: list[tuple[float, str]] = []
    if inbound:
        top_kind, top_n = max(inbound.items(), key=lambda kv: kv[1])
        verb = {"reply": "replied to you", "mention": "mentioned you", "dm": "sent you a DM", "comment": "commented",
                "like": "liked your posts", "repost": "reposted you", "quote": "quoted you"}.get(top_kind, f"{top_kind}")
        text = f"{verb} {_plural(top_n, 'time')} in the last 30 days"
        others = sum(inbound.values()) - top_n
        if others:
            text += f" (and {_plural(others, 'other touchpoint')})"
        text += f"; you answered {_plural(outbound, 'time')}" if outbound else "; you have not answered in that time"
        parts.append((dims["pts_intensity"], text))
    elif outbound:
        parts.append((dims["pts_intensity"], f"you reached out {_plural(outbound, 'time')} in the last 30 days; no answer yet"))
    parts.append((dims["pts_recency"], f"last contact {days_ago(dims['days_since'])}"))
    if dims["two_way_days"]:
        parts.append((dims["pts_reciprocity"],
                      f"{_plural(int(dims['two_way_days']), 'day')} with talk both ways "
                      f"({dims['touchpoints_in']:,} from them, {dims['touchpoints_out']:,} from you in all)"))
    else:
        one_way = "only from them" if dims["touchpoints_in"] else "only from you"
        parts.append((dims["pts_reciprocity"] + 0.01,
                      f"no two-way conversation yet ({one_way}); one-way contact counts less"))
    (weeks,) = con.execute(
        f"""SELECT count(DISTINCT date_trunc('week', i.ts AT TIME ZONE 'UTC')) FROM interactions i
           WHERE {theirs} AND i.ts < ? AND i.ts >= ?""",
        [as_of.replace(tzinfo=UTC), (as_of - timedelta(weeks=26)).replace(tzinfo=UTC)],
    ).fetchone() or (0,)
    active_days = int(dims.get("active_days") or 0)
    if weeks:
        parts.append((dims["pts_regularity"], f"active in {weeks} of the last 26 weeks"
                                              + (f" ({active_days:,} days of contact in all)" if active_days > weeks else "")))
    elif active_days > 1:  # a relationship gone quiet: what its history held
        parts.append((dims["pts_regularity"], f"{active_days:,} days of contact in all, none in the last 26 weeks"))
    if dims["duration_days"] >= 30:
        parts.append((dims["pts_duration"], f"in touch for {int(dims['duration_days'] // 30)} months "
                                            f"(since {dims['first_contact']:%Y-%m-%d})"))
    if dims["dms"] or dims["words"] >= 50:
        parts.append((dims["pts_intimacy"], f"{_plural(int(dims['dms']), 'private message')}, "
                                            f"{int(dims['words']):,} words exchanged"))
    if dims["warm"] >= 1:
        parts.append((dims["pts_warmth"], f"warm words in {_plural(int(round(dims['warm'])), 'message')}"))
    parts.sort(key=lambda p: -p[0])
    return [text for _, text in parts[:5]]


def tier_meaning(tier: str) -> str:
    return next(meaning for name, _l, _h, meaning in TIERS if name == tier)
