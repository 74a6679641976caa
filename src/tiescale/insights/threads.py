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

Likes and reposts are not answers. (Whether a message is a question or a complaint is read by the
queue for the messages it lists, not here: the patterns of eleven languages are too costly for
millions of messages.) The index lives in ``answer_messages`` (one row per inbound
message) and ``answer_people`` (last contact each way and the usual rhythm, per person). It is
brought up to date after each write: for the people touched by imports since the last refresh, the
messages whose verdict a new row can change are recomputed (those unanswered, or answered after the
person's earliest new row: an answer is the *first* reply, so one already given before anything new
stays), so an answer that arrives in a later import closes the message by itself. A merge or
unmerge of people, or interactions deleted (``forget``), rebuilds it whole.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from tiescale.store.db import Store
from .shadow import writable_tables

INBOUND_KINDS = ("reply", "mention", "comment", "dm")
ANSWER_KINDS = ("reply", "mention", "comment", "quote", "dm")
#: Outbound kinds that count as engaging with someone (for "thank"): everything but follows.
ENGAGE_EXCLUDED = ("follow", "unfollow")
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
    """The merges the index reflects."""
    row = store.row("SELECT count(*) AS n, max(greatest(created_at, coalesce(undone_at, created_at))) AS newest "
                    "FROM merges") or {}
    return f"{row.get('n')}:{row.get('newest')}"


def _counted(store: Store, watermark: int) -> int:
    """Text interactions up to ``watermark``: if this number shrinks, something was deleted."""
    return int(store.scalar(
        f"SELECT count(*) FROM interactions WHERE import_id <= ? AND kind IN {_in(ANSWER_KINDS)}", [watermark]))


#: The tables of the answer index (``shadow`` copies them on a read-only store).
INDEX_TABLES = ("answer_messages", "answer_people", "answer_index_state")


def refresh_threads(store: Store, full: bool = False) -> RefreshResult:
    """Bring the answer index up to date with the store.

    On a read-only store the index is refreshed in TEMP copies of its tables (see ``shadow``):
    what this connection reads is current, and the file is not written.
    """
    started = time.perf_counter()
    con = store.con
    watermark = store.watermark()
    merges = _merges_signature(store)
    total = int(store.scalar("SELECT count(*) FROM interactions"))
    state = store.row("SELECT watermark, interactions, merges, total FROM answer_index_state")
    mode = "full"
    if state is not None and not full and state["merges"] == merges:
        if state["watermark"] == watermark and state["total"] == total:
            return RefreshResult("unchanged", 0, 0, time.perf_counter() - started)
        if state["watermark"] != watermark and state["interactions"] == _counted(store, state["watermark"]):
            mode = "incremental"  # new imports only, nothing deleted
    if mode == "incremental":
        since = int(state["watermark"]) if state else 0
        # each touched person with the time of their earliest new row (a new touchpoint, or a new
        # reply to one of their messages); an undated one recomputes all their messages
        touched = f"""
            SELECT person_id, coalesce(min(ts), TIMESTAMPTZ '1970-01-01') AS since_ts FROM (
                SELECT person_id, ts FROM touchpoints WHERE import_id > {since}
                UNION ALL SELECT m.person_id, r.ts FROM answer_messages m
                JOIN (SELECT platform, in_reply_to, ts FROM posts WHERE import_id > {since} AND in_reply_to IS NOT NULL
                      UNION ALL SELECT platform, in_reply_to, ts FROM interactions
                      WHERE import_id > {since} AND direction = 'out' AND in_reply_to IS NOT NULL) r
                  ON r.platform = m.platform AND r.in_reply_to = m.item_id)
            GROUP BY person_id"""
    else:
        touched = "SELECT person_id, TIMESTAMPTZ '1970-01-01' AS since_ts FROM identities"
    writable_tables(store, *INDEX_TABLES)
    try:
        with store.transaction():
            con.execute(f"CREATE OR REPLACE TEMP TABLE nm_people AS {touched}")
            people = int(store.scalar("SELECT count(*) FROM nm_people"))
            if mode == "full":
                con.execute("DELETE FROM answer_messages")
                con.execute("DELETE FROM answer_people")
            else:
                # kept: messages answered before the person's earliest new row (nothing new can answer earlier)
                con.execute("""DELETE FROM answer_messages m USING nm_people p WHERE m.person_id = p.person_id
                               AND (m.answered_at IS NULL OR m.answered_at > p.since_ts)""")
                con.execute("DELETE FROM answer_people WHERE person_id IN (SELECT person_id FROM nm_people)")
            messages = _index_people(store, full=mode == "full")
            con.execute("DELETE FROM answer_index_state")
            newest = store.scalar("SELECT max(ts) FROM interactions")
            con.execute("INSERT INTO answer_index_state (watermark, interactions, merges, refreshed_at, total, "
                        "newest_ts) VALUES (?, ?, ?, now(), ?, ?)",
                        [watermark, _counted(store, watermark), merges, total, newest])
    finally:
        for name in ("nm_people", "nm_in", "nm_out", "nm_direct"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return RefreshResult(mode, people, messages, time.perf_counter() - started)


def _index_people(store: Store, full: bool) -> int:
    """(Re)compute the messages and rhythm of the people in ``nm_people``."""
    con = store.con
    people_filter = "" if full else "AND t.person_id IN (SELECT person_id FROM nm_people)"
    # the messages to (re)compute: every one in a full run; else the touched people's messages that
    # are not kept in answer_messages (see refresh_threads)
    kept = "" if full else """ANTI JOIN answer_messages a ON a.person_id = t.person_id AND a.platform = t.platform
        AND a.account = t.account AND a.ts = t.ts AND a.kind = t.kind AND a.item_id IS NOT DISTINCT FROM t.item_id"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_in AS
        SELECT t.platform, t.account, t.handle AS person, t.person_id, t.ts, t.kind, t.item_id, t.thread, t.text, t.import_id
        FROM touchpoints t {kept}
        WHERE t.direction = 'in' AND t.kind IN {_in(INBOUND_KINDS)} AND t.ts IS NOT NULL {people_filter}""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_out AS
        SELECT t.person_id, t.ts, t.platform, t.kind, t.thread
        FROM touchpoints t
        WHERE t.direction = 'out' AND t.kind IN {_in(ANSWER_KINDS)} AND t.ts IS NOT NULL {people_filter}
        -- one outbound row per person and instant: the ASOF join below would pick among ties at random
        QUALIFY row_number() OVER (PARTITION BY t.person_id, t.ts
                                   ORDER BY t.platform, t.kind, t.thread NULLS LAST) = 1""")
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
    before = int(store.scalar("SELECT count(*) FROM answer_messages"))
    con.execute(f"""
        INSERT INTO answer_messages (platform, account, person, person_id, ts, kind, item_id, thread, text,
                                     answered_at, answer_platform, answer_kind, answer_how, need, import_id)
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
               NULL AS need,  -- set by the queue for the few messages it lists (insights/queue.py)
               import_id
        FROM joined""")
    # per person: last contact each way, and the median gap between their active days (any direction)
    con.execute(f"""
        INSERT INTO answer_people (person_id, last_in, last_out, last_contact, active_days, median_gap_days)
        WITH days AS (
            SELECT t.person_id, date_trunc('day', t.ts) AS day,
                   max(t.ts) FILTER (WHERE t.direction = 'in') AS last_in,
                   max(t.ts) FILTER (WHERE t.direction = 'out' AND t.kind NOT IN {_in(ENGAGE_EXCLUDED)}) AS last_out,
                   max(t.ts) AS last_contact
            FROM touchpoints t
            WHERE t.ts IS NOT NULL AND t.kind NOT IN {_in(ENGAGE_EXCLUDED)} {people_filter}
            GROUP BY ALL
        ),
        gaps AS (
            SELECT *, epoch(day - lag(day) OVER (PARTITION BY person_id ORDER BY day)) / 86400.0 AS gap FROM days
        )
        SELECT person_id, max(last_in), max(last_out), max(last_contact), count(*), median(gap)
        FROM gaps GROUP BY person_id""")
    return int(store.scalar("SELECT count(*) FROM answer_messages")) - before
