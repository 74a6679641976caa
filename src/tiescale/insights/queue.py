"""The morning queue: whom to engage today, why, and what to do, one row per person.

Reasons, each with evidence in words and a suggested action (never a sales pitch):

- ``unanswered``: their reply, mention, comment or DM has had no answer for ``min_wait_hours``
  (and at most ``max_wait_days``); action ``reply``.
- ``cooling``: a relationship at ``cooling_min_score`` or more that lost ``cooling_drop`` points in
  ``window_days`` days, or whose silence is ``rhythm_factor`` times their usual gap between
  active days (and at least ``cooling_min_silence_days``); action ``check in``.
- ``rising``: first contact in the last ``window_days`` days, score at least ``rising_min_score``;
  action ``welcome``.
- ``thank``: a champion (score >= ``thank_min_score``) you have not engaged with (any outbound
  touch) for ``thank_after_days`` days; action ``thank``.
- ``reengage``: a former champion (``reengage_peak`` in a snapshot of the last ``history_months``
  months) silent for ``dormant_days`` days or more; action ``check in``.

Ranking (``priority``, higher first): unanswered questions and complaints (300 + days waited), then
other unanswered messages (200 + days waited), then the relationship reasons by expected gain in
score points: cooling = points lost in the window, reengage = points below their champion peak,
rising = points gained in the window, thank = weeks since you last engaged them (at most 10).
A person appears once: unanswered first, else reengage, cooling, thank, rising (the first that
applies). Scores come from stored snapshots: now (T), T - ``window_days``, and the first of each of
the last ``history_months`` months; missing ones are scored with ``score_store`` and stored.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..records import UsageError
from ..store.db import Store
from .actions import ACTIVE_ACTIONS_SQL
from .snapshots import ensure_snapshots
from .threads import refresh_threads

REASONS = ("unanswered", "cooling", "rising", "thank", "reengage")
ACTIONS = {"unanswered": "reply", "cooling": "check in", "rising": "welcome", "thank": "thank",
           "reengage": "check in"}
QUESTION_RE = (r"(\?|\b(how|what|when|where|why|which) (do|does|did|is|are|can|could|should|would|will|to)\b|"
               r"\b(can|could|would|will) (you|i|we)\b|\bany (update|news|idea|tips?)\b|\bdo you\b|"
               r"\bis there\b|\bwie\b|\bpourquoi\b|\bcómo\b|\bdónde\b)")
COMPLAINT_RE = (r"\b(not working|doesn'?t work|isn'?t working|stopped working|broken|refund|still waiting|"
                r"never (arrived|came|got)|disappointed|terrible|awful|worst|cancel\w*|wrong|late|missing|"
                r"problem|issue|complain\w*|unacceptable|error|fail\w*|damaged|charged twice|no one|nobody|"
                r"ridiculous|frustrat\w*|angry|useless|horrible|bad service|poor service)\b")


@dataclass(frozen=True)
class QueueConfig:
    min_wait_hours: float = 24.0
    max_wait_days: float = 30.0
    window_days: int = 30
    cooling_min_score: float = 5.0
    cooling_drop: float = 1.5
    rhythm_factor: float = 3.0
    cooling_min_silence_days: float = 7.0
    rising_min_score: float = 4.0
    thank_min_score: float = 9.0
    thank_after_days: float = 14.0
    reengage_peak: float = 9.0
    dormant_days: float = 30.0
    history_months: int = 6
    done_quiet_days: float = 14.0


DEFAULT_QUEUE = QueueConfig()


@dataclass
class QueueItem:
    person_id: int
    person: str  # the handle the reason is about (as imported)
    name: str | None
    platform: str | None
    account: str | None
    reason: str
    priority: float
    evidence: str
    action: str
    score: float | None
    tier: str | None
    waiting_since: datetime | None = None
    waited_hours: float | None = None
    need: str | None = None  # unanswered: question | complaint | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("details"))
        return data


def _as_naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _ago(days: float) -> str:
    if days < 2:
        return f"{days * 24:.0f} hours ago"
    return f"{days:.0f} days ago"


def _quote(text: str | None, width: int = 90) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return "“" + (flat if len(flat) <= width else flat[: width - 1] + "…") + "”"


def build_queue(store: Store, account: str | None = None, limit: int = 50, now: datetime | None = None,
                config: QueueConfig | None = None) -> list[QueueItem]:
    """The ranked queue (needs a writable store: it refreshes the answer index and snapshots)."""
    config = config or DEFAULT_QUEUE
    con = store.con
    if account is not None and not con.execute("SELECT count(*) FROM accounts WHERE handle = ?",
                                               [account]).fetchone()[0]:
        known = ", ".join(r[0] for r in con.execute("SELECT handle FROM accounts ORDER BY 1").fetchall())
        raise UsageError(f"--account: no account {account!r} in the store (known: {known or 'none'})")
    refresh_threads(store)
    snaps = ensure_snapshots(store, now, config.window_days, config.history_months)
    if snaps is None:
        return []
    t_now, t_prev = snaps.now, snaps.previous
    clock = now or datetime.now(timezone.utc)
    clock = clock if clock.tzinfo else clock.replace(tzinfo=timezone.utc)
    params = {"t": t_now, "tprev": t_prev, "clock": clock, "account": account,
              "min_wait": config.min_wait_hours, "max_wait": config.max_wait_days,
              "history_from": t_now - timedelta(days=round(config.history_months * 30.5))}
    con.execute(f"CREATE OR REPLACE TEMP TABLE q_actions AS {ACTIVE_ACTIONS_SQL}", {"clock": clock})
    unanswered = _unanswered(store, params, config)
    relationship = _relationship(store, params, config)
    con.execute("DROP TABLE IF EXISTS q_actions")
    items = _merge(unanswered, relationship)
    items.sort(key=lambda i: (-i.priority, i.person_id))
    items = items[:limit] if limit else items
    _fill_names(store, items, t_now, account)
    return items


def _unanswered(store: Store, params: dict[str, Any], config: QueueConfig) -> dict[int, QueueItem]:
    con = store.con
    t = params["t"]
    t_tz = t.replace(tzinfo=timezone.utc)
    account_filter = "AND m.account = $account" if params["account"] is not None else ""
    rows = con.execute(f"""
        WITH pending AS (
            SELECT d.person_id, m.platform, m.account, m.person, m.ts, m.kind, m.text,
                   CASE WHEN regexp_matches(lower(coalesce(m.text, '')), $complaint) THEN 'complaint'
                        WHEN regexp_matches(lower(coalesce(m.text, '')), $question) THEN 'question' END AS need
            FROM nurture_messages m
            JOIN identities d ON d.platform = m.platform AND d.handle = m.person
            LEFT JOIN q_actions a ON a.person_id = d.person_id
            WHERE (m.answered_at IS NULL OR m.answered_at > $t_tz)
              AND m.ts <= $t_tz - to_microseconds(($min_wait * 3600e6)::BIGINT)
              AND m.ts >= $t_tz - to_microseconds(($max_wait * 86400e6)::BIGINT)
              AND (a.done_at IS NULL OR m.ts > a.done_at)
              AND (a.snoozed_until IS NULL OR m.ts > a.snoozed_at)
              {account_filter}
        )
        SELECT p.person_id, min(p.ts) AS waiting_since, count(*) AS n,
               arg_min(p.platform, (p.need IS NULL, p.ts)), arg_min(p.account, (p.need IS NULL, p.ts)),
               arg_min(p.person, (p.need IS NULL, p.ts)), arg_min(p.kind, (p.need IS NULL, p.ts)),
               arg_min(p.text, (p.need IS NULL, p.ts)), arg_min(p.ts, (p.need IS NULL, p.ts)),
               arg_min(p.need, (p.need IS NULL, p.ts))
        FROM pending p GROUP BY p.person_id
    """, {"t_tz": t_tz, "complaint": COMPLAINT_RE, "question": QUESTION_RE, "min_wait": params["min_wait"], "max_wait": params["max_wait"],
          **({"account": params["account"]} if params["account"] is not None else {})}).fetchall()
    items: dict[int, QueueItem] = {}
    for person_id, since, n, platform, account, handle, kind, text, ts, need in rows:
        waited_days = (t_tz - since).total_seconds() / 86400
        msg_days = (t_tz - ts).total_seconds() / 86400
        what = {"dm": "a DM", "reply": "a reply", "mention": "a mention", "comment": "a comment"}.get(kind, kind)
        label = {"question": "asked a question", "complaint": "raised a complaint"}.get(need or "", f"sent {what}")
        via = f" by DM on {platform}" if kind == "dm" and need else f" in {what} on {platform}" if need else \
            f" on {platform}"
        evidence = f"{label}{via} {_ago(msg_days)}, no answer yet: {_quote(text)}"
        if n > 1:
            evidence += f" ({n - 1} more message{'s' if n > 2 else ''} waiting since {_ago(waited_days)})"
        priority = (300 if need else 200) + min(waited_days, config.max_wait_days)
        items[person_id] = QueueItem(
            person_id, handle, None, platform, account, "unanswered", round(priority, 2), evidence,
            "reply by DM" if kind == "dm" else "reply", None, None, since, round(waited_days * 24, 1), need,
            {"messages_waiting": n})
    return items


def _relationship(store: Store, params: dict[str, Any], config: QueueConfig) -> dict[int, QueueItem]:
    """cooling, rising, thank, reengage from the snapshots at T, T - window and the history."""
    con = store.con
    if params["account"] is None:
        def scores(as_of: str) -> str:
            return f"SELECT person_id, score, tier, first_contact, last_contact FROM person_scores WHERE as_of = {as_of}"
        history = ("SELECT person_id, max(score) AS peak, arg_max(as_of, score) AS peak_at FROM person_scores "
                   "WHERE as_of >= $history_from AND as_of <= $t AND score >= $peak GROUP BY 1")
    else:
        def scores(as_of: str) -> str:
            return f"""SELECT d.person_id, max(s.score) AS score, arg_max(s.tier, s.score) AS tier,
                              min(s.first_contact) AS first_contact, max(s.last_contact) AS last_contact
                       FROM connection_scores s JOIN identities d ON d.platform = s.platform AND d.handle = s.person
                       WHERE s.as_of = {as_of} AND s.account = $account GROUP BY 1"""
        history = ("SELECT d.person_id, max(s.score) AS peak, arg_max(s.as_of, s.score) AS peak_at "
                   "FROM connection_scores s JOIN identities d ON d.platform = s.platform AND d.handle = s.person "
                   "WHERE s.as_of >= $history_from AND s.as_of <= $t AND s.account = $account AND s.score >= $peak "
                   "GROUP BY 1")
    c = config
    query_params = {"t": params["t"], "tprev": params["tprev"], "history_from": params["history_from"],
                    "peak": c.reengage_peak}
    if params["account"] is not None:
        query_params["account"] = params["account"]
    rows = con.execute(f"""
        WITH cur AS ({scores('$t')}), old AS ({scores('$tprev')}), hist AS ({history}),
        cand AS (
            SELECT coalesce(cur.person_id, old.person_id, hist.person_id) AS person_id,
                   cur.score AS score, cur.tier AS tier, old.score AS old_score, hist.peak, hist.peak_at,
                   cur.first_contact, coalesce(cur.last_contact, old.last_contact) AS last_contact
            FROM cur FULL JOIN old USING (person_id) FULL JOIN hist USING (person_id)
            WHERE cur.score >= {min(c.rising_min_score, c.cooling_min_score, c.thank_min_score)}
               OR old.score >= {c.cooling_min_score} OR hist.peak IS NOT NULL
        )
        SELECT cand.*, np.last_out, np.last_contact AS any_contact, np.median_gap_days,
               a.done_at, a.snoozed_until
        FROM cand JOIN people p ON p.person_id = cand.person_id AND p.merged_into IS NULL
        LEFT JOIN nurture_people np ON np.person_id = cand.person_id
        LEFT JOIN q_actions a ON a.person_id = cand.person_id
    """, query_params).fetchall()
    t = params["t"].replace(tzinfo=timezone.utc)
    clock = params["clock"]
    items: dict[int, QueueItem] = {}
    for (person_id, score, tier, old_score, peak, peak_at, first_contact, last_contact, last_out, any_contact,
         gap, done_at, snoozed_until) in rows:
        if snoozed_until is not None:
            continue
        if done_at is not None and clock < done_at + timedelta(days=c.done_quiet_days):
            continue
        score = score or 0.0
        contact = any_contact or (last_contact.replace(tzinfo=timezone.utc) if last_contact else None)
        silence = (t - contact).total_seconds() / 86400 if contact else None
        item = None
        if peak is not None and silence is not None and silence >= c.dormant_days:
            item = ("reengage", peak - score,
                    f"was a champion ({peak:.1f} on {peak_at:%Y-%m-%d}); silent for {silence:.0f} days, now {score:.1f}")
        elif old_score is not None and old_score >= c.cooling_min_score and old_score - score >= c.cooling_drop:
            item = ("cooling", old_score - score,
                    f"score fell from {old_score:.1f} to {score:.1f} in {c.window_days} days"
                    + (f"; silent for {silence:.0f} days" if silence is not None and silence >= 2 else ""))
        elif (score >= c.cooling_min_score and gap and silence is not None and silence >= c.cooling_min_silence_days
              and silence >= c.rhythm_factor * gap):
            item = ("cooling", max((old_score or score) - score, 0.0),
                    f"silent for {silence:.0f} days, {silence / gap:.0f}x their usual gap of {gap:.1f} days "
                    f"(score {score:.1f})")
        elif score >= c.thank_min_score:
            since_out = (t - last_out).total_seconds() / 86400 if last_out else None
            if since_out is None or since_out >= c.thank_after_days:
                weeks = 10.0 if since_out is None else min(10.0, since_out / 7)
                item = ("thank", weeks, f"a champion ({score:.1f}) who keeps showing up; "
                        + ("you have never written to them" if since_out is None
                           else f"you last engaged with them {since_out:.0f} days ago"))
        elif (first_contact is not None and score >= c.rising_min_score
              and first_contact >= params["tprev"]):
            new_days = (params["t"] - first_contact).total_seconds() / 86400
            item = ("rising", score - (old_score or 0.0),
                    f"new {new_days:.0f} days ago, already at {score:.1f} ({tier})")
        if item is None:
            continue
        reason, gain, evidence = item
        items[person_id] = QueueItem(person_id, "", None, None, None, reason, round(max(gain, 0.0), 2), evidence,
                                     ACTIONS[reason], round(score, 1), tier,
                                     details={"expected_gain": round(max(gain, 0.0), 2)})
    return items


def _merge(unanswered: dict[int, QueueItem], relationship: dict[int, QueueItem]) -> list[QueueItem]:
    merged = dict(relationship)
    merged.update(unanswered)  # someone waiting for an answer comes first
    return list(merged.values())


def _fill_names(store: Store, items: list[QueueItem], t_now: datetime, account: str | None) -> None:
    """Names, the connection to show, and the current score/tier, for the rows shown only."""
    if not items:
        return
    con = store.con
    ids = [i.person_id for i in items]
    names = {r[0]: r[1:] for r in con.execute("""
        SELECT p.person_id, p.label, p.display_name FROM people p WHERE p.person_id IN (SELECT unnest($ids))""",
        {"ids": ids}).fetchall()}
    account_filter = "AND s.account = $account" if account is not None else ""
    params: dict[str, Any] = {"ids": ids, "t": t_now}
    if account is not None:
        params["account"] = account
    main = {r[0]: r[1:] for r in con.execute(f"""
        SELECT d.person_id, arg_max(s.platform, (s.last_contact, s.score)), arg_max(s.account, (s.last_contact, s.score)),
               arg_max(s.person, (s.last_contact, s.score)), arg_max(d.username, (s.last_contact, s.score))
        FROM connection_scores s JOIN identities d ON d.platform = s.platform AND d.handle = s.person
        WHERE s.as_of = $t AND d.person_id IN (SELECT unnest($ids)) {account_filter}
        GROUP BY 1""", params).fetchall()}
    person_level = {r[0]: r[1:] for r in con.execute(
        "SELECT person_id, score, tier FROM person_scores WHERE as_of = $t AND person_id IN (SELECT unnest($ids))",
        {"ids": ids, "t": t_now}).fetchall()}
    usernames = {(r[0], r[1]): r[2] for r in con.execute(
        "SELECT platform, handle, username FROM identities WHERE person_id IN (SELECT unnest($ids))",
        {"ids": ids}).fetchall()}
    for item in items:
        label, display = names.get(item.person_id, (None, None))
        if item.reason != "unanswered" and item.person_id in main:
            item.platform, item.account, item.person, _ = main[item.person_id]
        if not item.person:
            item.person = label or f"#{item.person_id}"
        username = usernames.get((item.platform, item.person))
        item.name = display or (f"@{username}" if username else label)
        if item.score is None and item.person_id in person_level:
            score, tier = person_level[item.person_id]
            item.score, item.tier = round(score, 1), tier
