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

Ranking (``priority``, higher first): unanswered complaints (301 + days waited: above a question of
the same age, and of up to a day older), questions (300 + days waited), then other unanswered
messages (200 + days waited), then the relationship reasons by expected gain in
score points: cooling = points lost in the window, reengage = points below their champion peak,
rising = points gained in the window, thank = weeks since you last engaged them (at most 10).
A person appears once: unanswered first, else reengage, cooling, thank, rising (the first that
applies). Scores come from stored snapshots: now (T), T - ``window_days``, and the first of each of
the last ``history_months`` months; missing ones are scored with ``score_store`` and stored.
"""
from __future__ import annotations

from datetime import datetime, timedelta, UTC
from typing import Any

import hashlib

from tiescale.records import UsageError
from tiescale.store.db import Store
from tiescale.text.needs import COMPLAINT_RE, QUESTION_RE
from .actions import ACTIVE_ACTIONS_SQL
from .links import add_queue_links
from .queue_items import DEFAULT_QUEUE, QueueConfig, QueueItem
from .queue_reasons import fill_names, relationship_reasons
from .shadow import writable_tables
from .snapshots import ensure_snapshots
from tiescale.scoring.history import scores_sql
from .activity import activity_sql, activity_text
from .threads import refresh_threads

REASONS = ("unanswered", "cooling", "rising", "thank", "reengage")
#: The queue's cache: every candidate for one state of the data (``cache_key``), built once.
CACHE_TABLES = ("nurture_queue_cache", "nurture_queue_messages", "nurture_queue_people", "nurture_queue_waiting")
#: One row per person with messages waiting: the most urgent message (complaints, then questions,
#: then the oldest), how many, since when. ``{join}`` / ``{where}`` act on nurture_queue_messages m.
WAITING_SQL = """
    SELECT m.person_id, min(m.ts) AS waiting_since, count(*) AS n,
           arg_min(m.platform, (m.need IS NULL, m.need <> 'complaint', m.ts)) AS platform,
           arg_min(m.account, (m.need IS NULL, m.need <> 'complaint', m.ts)) AS account,
           arg_min(m.person, (m.need IS NULL, m.need <> 'complaint', m.ts)) AS person,
           arg_min(m.kind, (m.need IS NULL, m.need <> 'complaint', m.ts)) AS kind,
           arg_min(m.text, (m.need IS NULL, m.need <> 'complaint', m.ts)) AS text,
           arg_min(m.ts, (m.need IS NULL, m.need <> 'complaint', m.ts)) AS ts,
           arg_min(m.need, (m.need IS NULL, m.need <> 'complaint', m.ts)) AS need
    FROM nurture_queue_messages m {join}
    WHERE {where}
    GROUP BY m.person_id"""
#: Complaints 301 + days waited (a complaint comes before a question of the same age), questions
#: 300 + days waited, other messages 200 + days waited.
PRIORITY_SQL = """((CASE WHEN w.need = 'complaint' THEN 301 WHEN w.need IS NOT NULL THEN 300 ELSE 200 END)
                   + least(epoch($t_tz - w.waiting_since) / 86400.0, $max_wait))"""
#: Part of the cache key: a change of the ranking above rebuilds the cache.
RANKING_VERSION = "complaints first 1"
WITH_ACTIONS = """m.cache_key = $key AND m.person_id IN (SELECT person_id FROM q_actions)
    AND (a.done_at IS NULL OR m.ts > a.done_at) AND (a.snoozed_until IS NULL OR m.ts > a.snoozed_at)"""


#: The question / complaint patterns the queue's cache was built with: a change rebuilds it.
NEEDS_VERSION = hashlib.sha256(f"{QUESTION_RE}\n{COMPLAINT_RE}".encode()).hexdigest()[:8]


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
    """The ranked queue. It refreshes the answer index, the snapshots and its cache first; on a
    read-only store, in TEMP copies that last as long as the connection (see ``shadow``).

    ``now``: the moment the queue is for (default: the day after the newest touchpoint for the data,
    the wall clock for done / snooze); given, it is used for both.
    """
    config = config or DEFAULT_QUEUE
    if account is not None:  # by handle, or by the @name people know it by (the handle may be an id)
        found = store.scalar("""SELECT handle FROM accounts WHERE handle = ? OR username = ?
                                ORDER BY handle = ? DESC LIMIT 1""", [account, account.removeprefix("@"), account])
        if found is None:
            known = ", ".join(r["handle"] for r in store.rows("SELECT handle FROM accounts ORDER BY 1"))
            raise UsageError(f"--account: no account {account!r} in the store (known: {known or 'none'})")
        account = str(found)
    refresh_threads(store)
    t_now = _naive(now) if now is not None else store.data_end()
    if t_now is None:
        return []
    state = store.row("SELECT watermark, total, merges FROM answer_index_state") or {}
    key = (f"{state.get('watermark')}|{state.get('total')}|{state.get('merges')}|{t_now.isoformat()}|{account or ''}"
           f"|{config!r}|needs {NEEDS_VERSION}|{RANKING_VERSION}")
    if not store.scalar("SELECT count(*) FROM nurture_queue_cache WHERE cache_key = ?", [key]):
        if not _build_cache(store, key, t_now, account, config, default_date=now is None):
            return []
    clock = now or datetime.now(UTC)
    clock = clock if clock.tzinfo else clock.replace(tzinfo=UTC)
    return _with_activity(store, add_queue_links(store, _read(store, key, t_now, clock, limit, config)), t_now)


def _with_activity(store: Store, items: list[QueueItem], t_now: datetime) -> list[QueueItem]:
    """Each listed person's activity now (active, cooling or dormant since ...), read from their score
    row at the queue's date: the same reading as the people list and the person page."""
    ids = sorted({i.person_id for i in items})
    if not ids:
        return items
    found = {r["person_id"]: activity_text(r["state"], r["last_contact"]) for r in store.rows(f"""
        SELECT s.person_id, {activity_sql('s')} AS state, s.last_contact
        FROM ({scores_sql(store, t_now, 'person')}) s WHERE s.person_id IN (SELECT unnest(?))""", [ids])}
    for item in items:
        item.activity = found.get(item.person_id) or None
    return items


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _build_cache(store: Store, key: str, t_now: datetime, account: str | None, config: QueueConfig,
                 default_date: bool) -> bool:
    """Score what is missing, then store every candidate for this state of the data."""
    snaps = ensure_snapshots(store, None if default_date else t_now, config.window_days, config.history_months)
    if snaps is None:
        return False
    con = store.con
    params = {"t": t_now, "tprev": snaps.previous, "account": account,
              "history_from": t_now - timedelta(days=round(config.history_months * 30.5))}
    relationship = list(relationship_reasons(store, params, config).values())
    fill_names(store, relationship, t_now, account)
    t_tz = t_now.replace(tzinfo=UTC)
    writable_tables(store, *CACHE_TABLES)
    with store.transaction():
        # the needs the last build read with these patterns, by message (a need is a function of the
        # text): only the messages new to the queue go through the patterns (~2.7 s at 10M events)
        con.execute("""CREATE OR REPLACE TEMP TABLE q_known_needs AS
                       SELECT DISTINCT platform, account, person, ts, kind, hash(text) AS text_hash, need
                       FROM nurture_queue_messages WHERE contains(cache_key, ?)""", [f"|needs {NEEDS_VERSION}|"])
        for table in CACHE_TABLES:
            con.execute(f"DELETE FROM {table}")
        account_filter = "AND m.account = $account" if account is not None else ""
        query_params: dict[str, Any] = {"key": key, "t_tz": t_tz, "min_wait": config.min_wait_hours,
                                        "complaint": COMPLAINT_RE, "question": QUESTION_RE,
                                        "max_wait": config.max_wait_days}
        if account is not None:
            query_params["account"] = account
        con.execute(f"""
            INSERT INTO nurture_queue_messages (cache_key, person_id, platform, account, person, ts, kind, text, need)
            SELECT $key, m.person_id, m.platform, m.account, m.person, m.ts, m.kind, m.text,
                   -- question or complaint in eleven languages (text.needs): read here, for the messages
                   -- the queue lists only (the patterns cost ~17 us a message: millions in the index)
                   CASE WHEN k.text_hash IS NOT NULL THEN k.need
                        WHEN regexp_matches(lower(coalesce(m.text, '')), $complaint) THEN 'complaint'
                        WHEN regexp_matches(lower(coalesce(m.text, '')), $question) THEN 'question' END AS need
            FROM answer_messages m
            LEFT JOIN q_known_needs k ON k.platform = m.platform AND k.account = m.account AND k.person = m.person
                 AND k.ts = m.ts AND k.kind = m.kind AND k.text_hash = hash(m.text)
            WHERE (m.answered_at IS NULL OR m.answered_at > $t_tz)
              AND m.ts <= $t_tz - to_microseconds(($min_wait * 3600e6)::BIGINT)
              AND m.ts >= $t_tz - to_microseconds(($max_wait * 86400e6)::BIGINT) {account_filter}""", query_params)
        con.execute("DROP TABLE q_known_needs")
        if relationship:
            # the rows as one list per column, unnested side by side (registering Arrow data would load
            # pandas, 0.2 s of every refresh)
            columns = {"person_id": "BIGINT", "reason": "VARCHAR", "priority": "DOUBLE", "evidence": "VARCHAR",
                       "action": "VARCHAR", "score": "DOUBLE", "tier": "VARCHAR", "platform": "VARCHAR",
                       "account": "VARCHAR", "person": "VARCHAR", "name": "VARCHAR"}
            lists = ", ".join(f"unnest(${c}::{t}[]) AS {c}" for c, t in columns.items())
            con.execute(f"INSERT INTO nurture_queue_people (cache_key, {', '.join(columns)}) "
                        f"SELECT $key, {', '.join(columns)} FROM (SELECT {lists})",
                        {"key": key, **{c: [getattr(i, c) for i in relationship] for c in columns}})
        waiting = WAITING_SQL.format(join="", where="m.cache_key = $key")
        con.execute(f"""
            INSERT INTO nurture_queue_waiting (cache_key, person_id, waiting_since, n, platform, account, person,
                                               kind, text, ts, need, priority, name, score, tier)
            SELECT $key, w.*, {PRIORITY_SQL} AS priority, coalesce(p.display_name, p.label), s.score, s.tier
            FROM ({waiting}) w JOIN people p ON p.person_id = w.person_id
            LEFT JOIN ({scores_sql(store, t_now)}) s ON s.person_id = w.person_id AND s.as_of = $t""",
                    {"key": key, "t": t_now, "t_tz": t_tz, "max_wait": config.max_wait_days})
        con.execute("INSERT INTO nurture_queue_cache (cache_key, built_at) VALUES (?, now())", [key])
    return True


def _read(store: Store, key: str, t_now: datetime, clock: datetime, limit: int,
          config: QueueConfig) -> list[QueueItem]:
    """The cached candidates with done / snooze applied: who is waiting first, then the rest."""
    con = store.con
    t_tz = t_now.replace(tzinfo=UTC)
    con.execute(f"CREATE OR REPLACE TEMP TABLE q_actions AS {ACTIVE_ACTIONS_SQL}", {"clock": clock})
    try:
        # people with a done or snooze: their waiting messages again with the action applied (few);
        # everyone else: as cached
        acted = WAITING_SQL.format(join="JOIN q_actions a ON a.person_id = m.person_id", where=WITH_ACTIONS)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE q_acted AS
            SELECT w.*, {PRIORITY_SQL} AS priority, c.name, c.score, c.tier
            FROM ({acted}) w
            LEFT JOIN nurture_queue_waiting c ON c.cache_key = $key AND c.person_id = w.person_id""",
                    {"key": key, "t_tz": t_tz, "max_wait": config.max_wait_days})
        wanted = limit or 1 << 62
        rows = con.execute("""
            SELECT person_id, waiting_since, n, platform, account, person, kind, text, ts, need, priority,
                   name, score, tier
            FROM (SELECT * FROM q_acted
                  UNION ALL
                  SELECT * EXCLUDE (cache_key) FROM nurture_queue_waiting
                  WHERE cache_key = $key AND person_id NOT IN (SELECT person_id FROM q_actions))
            ORDER BY priority DESC, person_id LIMIT $limit""", {"key": key, "limit": wanted}).fetchall()
        items = [_unanswered_item(t_tz, *row) for row in rows]
        if len(items) < wanted:
            quiet = timedelta(days=config.done_quiet_days)
            others = con.execute("""
                SELECT r.person_id, r.person, r.name, r.platform, r.account, r.reason, r.priority, r.evidence,
                       r.action, r.score, r.tier
                FROM nurture_queue_people r LEFT JOIN q_actions a ON a.person_id = r.person_id
                WHERE r.cache_key = $key AND r.person_id NOT IN (SELECT person_id FROM q_acted)
                  AND r.person_id NOT IN (SELECT person_id FROM nurture_queue_waiting
                                          WHERE cache_key = $key AND person_id NOT IN (SELECT person_id FROM q_actions))
                  AND a.snoozed_until IS NULL AND (a.done_at IS NULL OR $clock >= a.done_at + $quiet)
                ORDER BY r.priority DESC, r.person_id LIMIT $limit""",
                                 {"key": key, "clock": clock, "quiet": quiet, "limit": wanted - len(items)}).fetchall()
            items += [_relationship_item(*row) for row in others]
    finally:
        con.execute("DROP TABLE IF EXISTS q_actions")
        con.execute("DROP TABLE IF EXISTS q_acted")
    return items


def _relationship_item(person_id: int, handle: str, name: str | None, platform: str | None, account: str | None,
                       reason: str, priority: float, evidence: str, action: str, score: float | None,
                       tier: str | None) -> QueueItem:
    return QueueItem(person_id, handle, name, platform, account, reason, priority, evidence, action, score, tier,
                     details={"expected_gain": priority})


def _unanswered_item(t_tz: datetime, person_id: int, since: datetime, n: int, platform: str, account: str,
                     handle: str, kind: str, text: str | None, ts: datetime, need: str | None, priority: float,
                     name: str | None, score: float | None, tier: str | None) -> QueueItem:
    waited_days = (t_tz - since).total_seconds() / 86400
    msg_days = (t_tz - ts).total_seconds() / 86400
    what = {"dm": "a DM", "reply": "a reply", "mention": "a mention", "comment": "a comment"}.get(kind, kind)
    label = {"question": "asked a question", "complaint": "raised a complaint"}.get(need or "", f"sent {what}")
    via = f" by DM on {platform}" if kind == "dm" and need else f" in {what} on {platform}" if need else \
        f" on {platform}"
    evidence = f"{label}{via} {_ago(msg_days)}, no answer yet: {_quote(text)}"
    if n > 1:
        evidence += f" ({n - 1} more message{'s' if n > 2 else ''} waiting since {_ago(waited_days)})"
    return QueueItem(person_id, handle, name, platform, account, "unanswered", round(priority, 2), evidence,
                     "reply by DM" if kind == "dm" else "reply", None if score is None else round(score, 1), tier,
                     since, round(waited_days * 24, 1), need, {"messages_waiting": n, "message_ts": ts})
