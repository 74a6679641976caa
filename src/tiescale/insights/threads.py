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
        # the new replies are read first (``nm_replies``, a few rows): joined in the same query, the
        # planner built its hash table on every indexed message instead (0.2 s at 3.6M messages)
        replies = f"""
            SELECT platform, in_reply_to, ts FROM posts WHERE import_id > {since} AND in_reply_to IS NOT NULL
            UNION ALL SELECT platform, in_reply_to, ts FROM interactions
            WHERE import_id > {since} AND direction = 'out' AND in_reply_to IS NOT NULL"""
        touched = f"""
            SELECT person_id, coalesce(min(ts), TIMESTAMPTZ '1970-01-01') AS since_ts FROM (
                SELECT person_id, ts FROM touchpoints WHERE import_id > {since}
                UNION ALL SELECT m.person_id, r.ts FROM nm_replies r
                JOIN answer_messages m ON r.platform = m.platform AND r.in_reply_to = m.item_id)
            GROUP BY person_id"""
    else:
        touched = "SELECT person_id, TIMESTAMPTZ '1970-01-01' AS since_ts FROM identities"
    writable_tables(store, *INDEX_TABLES)
    try:
        with store.transaction():
            if mode == "incremental":
                con.execute(f"CREATE OR REPLACE TEMP TABLE nm_replies AS {replies}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE nm_people AS {touched}")
            if mode == "incremental":
                con.execute(f"CREATE OR REPLACE TEMP TABLE nm_since AS SELECT {since} AS since")
            people = int(store.scalar("SELECT count(*) FROM nm_people"))
            if mode == "full":
                con.execute("DELETE FROM answer_messages")
                con.execute("DELETE FROM answer_people")
            else:
                # kept: messages answered before the person's earliest new row (nothing new can answer earlier)
                # they are recomputed from these rows (with the new ones), not re-read from the touchpoints
                redo = "m.person_id = p.person_id AND (m.answered_at IS NULL OR m.answered_at > p.since_ts)"
                con.execute(f"""CREATE OR REPLACE TEMP TABLE nm_redo AS SELECT m.platform, m.account, m.person,
                                m.person_id, m.ts, m.kind, m.item_id, m.thread, m.text, m.import_id
                                FROM answer_messages m JOIN nm_people p ON {redo}""")
                con.execute(f"DELETE FROM answer_messages m USING nm_people p WHERE {redo}")
                con.execute("""CREATE OR REPLACE TEMP TABLE nm_kept_people AS
                               SELECT * FROM answer_people WHERE person_id IN (SELECT person_id FROM nm_people)""")
                con.execute("DELETE FROM answer_people WHERE person_id IN (SELECT person_id FROM nm_people)")

            messages = _index_people(store, full=mode == "full")
            # what ``_counted`` gives at the new watermark (nothing was deleted: the old count plus the new rows)
            counted = (int(state["interactions"]) + int(store.scalar(
                f"SELECT count(*) FROM interactions WHERE import_id > ? AND import_id <= ? AND kind IN {_in(ANSWER_KINDS)}",
                [since, watermark])) if mode == "incremental" and state is not None else _counted(store, watermark))
            con.execute("DELETE FROM answer_index_state")
            newest = store.scalar("SELECT max(ts) FROM interactions")
            con.execute("INSERT INTO answer_index_state (watermark, interactions, merges, refreshed_at, total, "
                        "newest_ts) VALUES (?, ?, ?, now(), ?, ?)",
                        [watermark, counted, merges, total, newest])
    finally:
        for name in ("nm_people", "nm_in", "nm_out", "nm_direct", "nm_days", "nm_kept_people", "nm_since", "nm_redo",
                     "nm_replies"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return RefreshResult(mode, people, messages, time.perf_counter() - started)


def _index_people(store: Store, full: bool) -> int:
    """(Re)compute the messages and rhythm of the people in ``nm_people``."""
    con = store.con
    people_filter = "" if full else "AND t.person_id IN (SELECT person_id FROM nm_people)"
    # the messages to (re)compute: every one in a full run; else the touched people's messages that
    # are not kept in answer_messages (see refresh_threads)
    # (incremental: the messages taken out of answer_messages, ``nm_redo``, and the new ones; the
    # touched people's other messages are kept as they were)
    new_rows = "" if full else "AND t.import_id > (SELECT since FROM nm_since)"
    redo = "" if full else "SELECT * FROM nm_redo UNION ALL"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_in AS {redo}
        SELECT t.platform, t.account, t.handle AS person, t.person_id, t.ts, t.kind, t.item_id, t.thread, t.text, t.import_id
        FROM touchpoints t
        WHERE t.direction = 'in' AND t.kind IN {_in(INBOUND_KINDS)} AND t.ts IS NOT NULL {people_filter} {new_rows}""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_out AS
        SELECT t.person_id, t.ts, t.platform, t.kind, t.thread
        FROM touchpoints t
        -- only what can answer a message being computed: after the person's oldest one
        JOIN (SELECT person_id, min(ts) AS from_ts FROM nm_in GROUP BY 1) f
          ON f.person_id = t.person_id AND t.ts > f.from_ts
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
    _index_rhythm(store, full)
    return int(store.scalar("SELECT count(*) FROM answer_messages")) - before


def _index_rhythm(store: Store, full: bool) -> None:
    """``answer_people`` of the people in ``nm_people``: last contact each way, their active days and
    the median gap between them (any direction). A full run reads every touchpoint; an incremental
    one reads only the rows imported since the index's watermark (``nm_since``) and merges them
    into the kept row: the days are a set and the last contacts a maximum, so the merge is exact."""
    con = store.con
    rows = "" if full else "AND t.import_id > (SELECT since FROM nm_since)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE nm_days AS
        SELECT t.person_id, date_trunc('day', t.ts) AS day,
               max(t.ts) FILTER (WHERE t.direction = 'in') AS last_in,
               max(t.ts) FILTER (WHERE t.direction = 'out' AND t.kind NOT IN {_in(ENGAGE_EXCLUDED)}) AS last_out,
               max(t.ts) AS last_contact
        FROM touchpoints t
        WHERE t.ts IS NOT NULL AND t.kind NOT IN {_in(ENGAGE_EXCLUDED)} {rows}
          {"" if full else "AND t.person_id IN (SELECT person_id FROM nm_people)"}
        GROUP BY ALL""")
    kept = "" if full else """UNION ALL
            SELECT person_id, unnest(days) AS day, last_in, last_out, last_contact FROM nm_kept_people"""
    con.execute(f"""
        INSERT INTO answer_people (person_id, last_in, last_out, last_contact, active_days, median_gap_days, days)
        WITH all_days AS (
            SELECT person_id, day, last_in, last_out, last_contact FROM nm_days {kept}
        ),
        days AS (
            SELECT person_id, day, max(last_in) AS last_in, max(last_out) AS last_out,
                   max(last_contact) AS last_contact FROM all_days GROUP BY ALL
        ),
        gaps AS (
            SELECT *, epoch(day - lag(day) OVER (PARTITION BY person_id ORDER BY day)) / 86400.0 AS gap FROM days
        )
        SELECT person_id, max(last_in), max(last_out), max(last_contact), count(*), median(gap),
               list(day ORDER BY day)
        FROM gaps GROUP BY person_id""")
