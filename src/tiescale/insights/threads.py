"""Threads: whether, when and how each inbound message was answered.

An *inbound message* is a reply, mention, comment or DM from a person to one of the brand's
accounts (``interactions`` with direction ``in`` and one of those kinds). It counts as
*answered* at the first of:

- an outbound interaction, or an own post, whose ``in_reply_to`` is the message's id
  (``replied to it``);
- a later outbound reply, mention, comment, quote or DM to the same person, on any platform
  and from any of the brand's accounts: in the same conversation (``in the conversation``, any
  time later), or elsewhere within ``INDIRECT_ANSWER_DAYS`` (7) days of the message: a DM
  answering a public message or the reverse (``by DM`` / ``in public``), or another platform
  when identities are merged into one person (``on <platform>``).

Likes and reposts are not answers. The index lives in ``answer_messages`` (one row per inbound
message) and ``answer_people`` (last contact each way and the usual rhythm, per person). It is
brought up to date before each read: only people touched by imports since the last refresh are
recomputed, so an answer that arrives in a later import closes the message by itself. A merge or
unmerge of people, or interactions deleted (``forget``), rebuilds it whole.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from ..store.db import Store

INBOUND_KINDS = ("reply", "mention", "comment", "dm")
ANSWER_KINDS = ("reply", "mention", "comment", "quote", "dm")
#: Outbound kinds that count as engaging with someone (for "thank"): everything but follows.
ENGAGE_EXCLUDED = ("follow", "unfollow")
#: What makes a message a question or a complaint (lower-cased text; English first, a few other words).
QUESTION_RE = (r"(\?|\b(how|what|when|where|why|which) (do|does|did|is|are|can|could|should|would|will|to)\b|"
               r"\b(can|could|would|will) (you|i|we)\b|\bany (update|news|idea|tips?)\b|\bdo you\b|"
               r"\bis there\b|\bwie\b|\bpourquoi\b|\bcómo\b|\bdónde\b)")
COMPLAINT_RE = (r"\b(not working|doesn'?t work|isn'?t working|stopped working|broken|refund|still waiting|"
                r"never (arrived|came|got)|disappointed|terrible|awful|worst|cancel\w*|wrong|late|missing|"
                r"problem|issue|complain\w*|unacceptable|error|fail\w*|damaged|charged twice|no one|nobody|"
                r"ridiculous|frustrat\w*|angry|useless|horrible|bad service|poor service)\b")
#: A later message to them on another thread or platform answers a message only this soon after it.
INDIRECT_ANSWER_DAYS = 7


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


@dataclass
class RefreshResult:
    mode: str  # unchanged | incremental | full
    people: int
    messages: int
    seconds: float


def _merges_signature(store: Store) -> str:
    row = store.con.execute(
        "SELECT count(*), max(greatest(created_at, coalesce(undone_at, created_at))) FROM merges").fetchone()
    return f"{row[0]}:{row[1]}"


def _counted(store: Store, watermark: int) -> int:
    """Text interactions up to ``watermark``: if this number shrinks, something was deleted."""
    return store.con.execute(
        f"SELECT count(*) FROM interactions WHERE import_id <= ? AND kind IN {_in(ANSWER_KINDS)}",
        [watermark]).fetchone()[0]


def data_end(store: Store) -> datetime | None:
    """The newest touchpoint as the index last saw it (call ``refresh_threads`` first)."""
    row = store.con.execute("SELECT newest_ts FROM answer_index_state").fetchone()
    return row[0] if row else None


def refresh_threads(store: Store, full: bool = False) -> RefreshResult:
    """Bring the answer index up to date with the store (needs a writable store)."""
    started = time.perf_counter()
    con = store.con
    watermark = con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchone()[0]
    merges = _merges_signature(store)
    total = con.execute("SELECT count(*) FROM interactions").fetchone()[0]
    state = con.execute("SELECT watermark, interactions, merges, total FROM answer_index_state").fetchone()
    mode = "full"
    if state is not None and not full and state[2] == merges:
        if state[0] == watermark and state[3] == total:
            return RefreshResult("unchanged", 0, 0, time.perf_counter() - started)
        if state[0] != watermark and state[1] == _counted(store, state[0]):
            mode = "incremental"  # new imports only, nothing deleted
    if mode == "incremental":
        touched = f"""
            SELECT DISTINCT d.person_id FROM interactions i
            JOIN identities d ON d.platform = i.platform AND d.handle = i.person
            WHERE i.import_id > {int(state[0])}
            UNION SELECT DISTINCT m.person_id FROM answer_messages m
            JOIN (SELECT platform, in_reply_to FROM posts WHERE import_id > {int(state[0])} AND in_reply_to IS NOT NULL
                  UNION SELECT platform, in_reply_to FROM interactions
                  WHERE import_id > {int(state[0])} AND direction = 'out' AND in_reply_to IS NOT NULL) r
              ON r.platform = m.platform AND r.in_reply_to = m.item_id"""
    else:
        touched = "SELECT person_id FROM identities"
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE nm_people AS SELECT DISTINCT person_id FROM ({touched})")
        people = con.execute("SELECT count(*) FROM nm_people").fetchone()[0]
        if mode == "full":
            con.execute("DELETE FROM answer_messages")
            con.execute("DELETE FROM answer_people")
        else:
            con.execute("DELETE FROM answer_messages WHERE person_id IN (SELECT person_id FROM nm_people)")
            con.execute("DELETE FROM answer_people WHERE person_id IN (SELECT person_id FROM nm_people)")
        messages = _index_people(store, full=mode == "full")
        con.execute("DELETE FROM answer_index_state")
        newest = con.execute("SELECT max(ts) FROM interactions").fetchone()[0]
        con.execute("INSERT INTO answer_index_state VALUES (?, ?, ?, now(), ?, ?)",
                    [watermark, _counted(store, watermark), merges, total, newest])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("nm_people", "nm_ids", "nm_in", "nm_out", "nm_direct"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return RefreshResult(mode, people, messages, time.perf_counter() - started)


def _index_people(store: Store, full: bool) -> int:
    """(Re)compute the messages and rhythm of the people in ``nm_people``."""
    con = store.con
    people_filter = "" if full else "WHERE person_id IN (SELECT person_id FROM nm_people)"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nm_ids AS
        SELECT platform, handle, person_id FROM identities {people_filter}""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_in AS
        SELECT i.platform, i.account, i.person, n.person_id, i.ts, i.kind, i.item_id, i.thread, i.text, i.import_id
        FROM interactions i JOIN nm_ids n ON n.platform = i.platform AND n.handle = i.person
        WHERE i.direction = 'in' AND i.kind IN {_in(INBOUND_KINDS)} AND i.ts IS NOT NULL""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_out AS
        SELECT n.person_id, i.ts, i.platform, i.kind, i.thread
        FROM interactions i JOIN nm_ids n ON n.platform = i.platform AND n.handle = i.person
        WHERE i.direction = 'out' AND i.kind IN {_in(ANSWER_KINDS)} AND i.ts IS NOT NULL""")
    # direct answers by id: outbound interactions or own posts whose in_reply_to is the message
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_direct AS
        SELECT platform, in_reply_to AS item_id, ts, kind FROM (
            SELECT platform, in_reply_to, ts, kind FROM interactions
            WHERE direction = 'out' AND kind IN {_in(ANSWER_KINDS)} AND in_reply_to IS NOT NULL AND ts IS NOT NULL
              AND in_reply_to IN (SELECT item_id FROM nm_in WHERE item_id IS NOT NULL)
            UNION ALL
            SELECT platform, in_reply_to, ts, kind FROM posts
            WHERE kind <> 'repost' AND in_reply_to IS NOT NULL AND ts IS NOT NULL
              AND in_reply_to IN (SELECT item_id FROM nm_in WHERE item_id IS NOT NULL))""")
    before = con.execute("SELECT count(*) FROM answer_messages").fetchone()[0]
    con.execute(f"""
        INSERT INTO answer_messages
        WITH later AS (
            SELECT m.*, o.ts AS later_ts, o.platform AS later_platform, o.kind AS later_kind,
                   o.thread AS later_thread
            FROM nm_in m ASOF LEFT JOIN nm_out o ON m.person_id = o.person_id AND m.ts < o.ts
        ),
        direct AS (
            SELECT m.platform, m.item_id, m.ts, min(d.ts) AS direct_ts, arg_min(d.kind, d.ts) AS direct_kind
            FROM (SELECT DISTINCT platform, item_id, ts FROM nm_in WHERE item_id IS NOT NULL) m
            JOIN nm_direct d ON d.platform = m.platform AND d.item_id = m.item_id AND d.ts >= m.ts
            GROUP BY ALL
        ),
        joined AS (
            SELECT l.* REPLACE (
                       CASE WHEN l.later_ts <= l.ts + INTERVAL {INDIRECT_ANSWER_DAYS} DAY
                                 OR (l.thread IS NOT NULL AND l.later_thread = l.thread) THEN l.later_ts END AS later_ts),
                   d.direct_ts, d.direct_kind FROM later l
            LEFT JOIN direct d ON d.platform = l.platform AND d.item_id = l.item_id AND d.ts = l.ts
        )
        SELECT platform, account, person, person_id, ts, kind, item_id, thread, text,
               least(direct_ts, later_ts) AS answered_at,
               CASE WHEN direct_ts IS NOT NULL AND (later_ts IS NULL OR direct_ts <= later_ts) THEN platform
                    ELSE later_platform END AS answer_platform,
               CASE WHEN direct_ts IS NOT NULL AND (later_ts IS NULL OR direct_ts <= later_ts) THEN direct_kind
                    ELSE later_kind END AS answer_kind,
               CASE WHEN direct_ts IS NOT NULL AND (later_ts IS NULL OR direct_ts <= later_ts) THEN 'replied to it'
                    WHEN later_ts IS NULL THEN NULL
                    WHEN later_platform <> platform THEN 'on ' || later_platform
                    WHEN thread IS NOT NULL AND later_thread = thread THEN 'in the conversation'
                    WHEN kind = 'dm' AND later_kind <> 'dm' THEN 'in public'
                    WHEN kind <> 'dm' AND later_kind = 'dm' THEN 'by DM'
                    ELSE 'a later message to them' END AS answer_how,
               CASE WHEN regexp_matches(lower(coalesce(text, '')), $complaint) THEN 'complaint'
                    WHEN regexp_matches(lower(coalesce(text, '')), $question) THEN 'question' END AS need,
               import_id
        FROM joined""", {"complaint": COMPLAINT_RE, "question": QUESTION_RE})
    # per person: last contact each way, and the median gap between their active days (any direction)
    con.execute(f"""
        INSERT INTO answer_people
        WITH days AS (
            SELECT n.person_id, date_trunc('day', i.ts) AS day,
                   max(i.ts) FILTER (WHERE i.direction = 'in') AS last_in,
                   max(i.ts) FILTER (WHERE i.direction = 'out' AND i.kind NOT IN {_in(ENGAGE_EXCLUDED)}) AS last_out,
                   max(i.ts) AS last_contact
            FROM interactions i JOIN nm_ids n ON n.platform = i.platform AND n.handle = i.person
            WHERE i.ts IS NOT NULL AND i.kind NOT IN {_in(ENGAGE_EXCLUDED)}
            GROUP BY ALL
        ),
        gaps AS (
            SELECT *, epoch(day - lag(day) OVER (PARTITION BY person_id ORDER BY day)) / 86400.0 AS gap FROM days
        )
        SELECT person_id, max(last_in), max(last_out), max(last_contact), count(*), median(gap)
        FROM gaps GROUP BY person_id""")
    return con.execute("SELECT count(*) FROM answer_messages").fetchone()[0] - before
