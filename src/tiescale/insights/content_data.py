"""What the content report reads: own posts and messages, reactions tied to posts, and the
relationship change of the people who responded (on the 0-10 relationship scale)."""
from __future__ import annotations

from datetime import datetime, timedelta, UTC
from typing import Any
from collections.abc import Sequence

from tiescale.records import UsageError
from tiescale.store.db import Store

_HAS_TEXT = "text IS NOT NULL AND length(trim(text)) > 0 AND ts IS NOT NULL"

#: The feed: what the account published for everyone (not replies, comments or reposts of others).
FEED_SQL = f"""
    SELECT platform, account, post_id AS item_id, ts, kind, text, url, likes, reposts, thread
    FROM posts
    WHERE kind NOT IN ('reply', 'comment', 'repost') AND {_HAS_TEXT} {{where}}
    ORDER BY ts, platform, post_id
"""

#: Conversation: own replies and comments, and outbound messages not already stored as posts
#: (one row per message even when it mentions several people).
MESSAGES_SQL = f"""
    SELECT platform, account, post_id AS item_id, ts, kind, text, url, thread
    FROM posts
    WHERE kind IN ('reply', 'comment') AND {_HAS_TEXT} {{where}}
    UNION ALL
    SELECT platform, account, coalesce(item_id, dedupe_key) AS item_id, ts, kind, text, NULL AS url, thread
    FROM interactions i
    WHERE direction = 'out' AND kind IN ('reply', 'comment', 'dm', 'mention', 'quote') AND {_HAS_TEXT} {{where}}
      AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = i.platform AND p.post_id = i.item_id)
    QUALIFY row_number() OVER (PARTITION BY platform, account, item_id ORDER BY ts) = 1
    ORDER BY ts, platform, item_id
"""

_TIED = """
    SELECT f.platform, f.account, f.item_id, f.ts AS post_ts, i.kind, i.handle AS person, i.ts, i.direction, i.dedupe_key
    FROM content_feed_keys f JOIN interactions i ON i.platform = f.platform AND i.account = f.account
"""
#: Reactions in the days after each post, tied to it by its id (what they answer) or its thread.
RESPONSES_SQL = f"""
    WITH tied AS (
        {_TIED} AND i.in_reply_to = f.item_id
        UNION {_TIED} AND i.thread = f.item_id
        UNION {_TIED} AND f.thread IS NOT NULL AND i.thread = f.thread
    ),
    reactions AS (
        SELECT * FROM tied
        WHERE direction = 'in' AND kind IN ('reply', 'comment', 'quote', 'mention', 'repost', 'like')
          AND ts >= post_ts AND ts < post_ts + INTERVAL {{days}} DAY
    ),
    responders AS (
        SELECT platform, account, item_id, person, min(ts) AS first_ts FROM reactions
        WHERE kind IN ('reply', 'comment', 'quote', 'mention') GROUP BY ALL
    ),
    answered AS (
        SELECT r.platform, r.account, r.item_id, count(*) AS conversations FROM responders r
        WHERE EXISTS (
            SELECT 1 FROM interactions o
            WHERE o.platform = r.platform AND o.account = r.account AND o.handle = r.person AND o.direction = 'out'
              AND o.kind IN ('reply', 'comment', 'dm', 'mention', 'quote')
              AND o.ts > r.first_ts AND o.ts < r.first_ts + INTERVAL {{days}} DAY)
        GROUP BY ALL
    )
    SELECT x.platform, x.account, x.item_id, x.kind, count(*) AS n, list(DISTINCT x.person) AS people,
           coalesce(any_value(a.conversations), 0) AS conversations
    FROM reactions x LEFT JOIN answered a USING (platform, account, item_id)
    GROUP BY x.platform, x.account, x.item_id, x.kind
"""

#: Mentions of the account that answer no post, credited to the latest feed post of the same
#: account less than {days} days before them (last touch).
LOOSE_MENTIONS_SQL = """
    WITH m AS (
        SELECT platform, account, ts, in_reply_to, thread FROM interactions i
        WHERE direction = 'in' AND kind = 'mention' AND ts IS NOT NULL AND in_reply_to IS NULL
          AND EXISTS (SELECT 1 FROM content_feed_keys f WHERE f.platform = i.platform AND f.account = i.account)
          AND NOT EXISTS (SELECT 1 FROM content_feed_keys f WHERE f.platform = i.platform AND f.account = i.account
                          AND (i.thread = f.item_id OR (f.thread IS NOT NULL AND i.thread = f.thread)))
    )
    SELECT f.platform, f.account, f.item_id, count(*) AS n
    FROM m ASOF JOIN content_feed_keys f ON m.platform = f.platform AND m.account = f.account AND m.ts >= f.ts
    WHERE m.ts < f.ts + INTERVAL {days} DAY
    GROUP BY ALL
"""


def account_filter(store: Store, account: str | None) -> tuple[str, list[Any]]:
    """SQL (``AND account IN (...)``) for an account given by handle, id or display name."""
    if account is None:
        return "", []
    handles = [r[0] for r in store.con.execute(
        "SELECT DISTINCT handle FROM accounts WHERE handle = ? OR account_id = ? OR display_name = ? "
        "OR platform || ':' || handle = ? OR username = ?", [*[account] * 4, account.removeprefix("@")]).fetchall()]
    if not handles:
        handles = [r[0] for r in store.con.execute(
            "SELECT DISTINCT account FROM posts WHERE account = ? UNION "
            "SELECT DISTINCT account FROM interactions WHERE account = ?", [account, account]).fetchall()]
    if not handles:
        known = [r[0] for r in store.con.execute(
            "SELECT platform || ':' || handle FROM accounts ORDER BY 1 LIMIT 20").fetchall()]
        raise UsageError(f"no own account {account!r} in the store; accounts: {', '.join(known) or 'none'}")
    return f"AND account IN ({', '.join('?' for _ in handles)})", handles


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _week_start(value: datetime) -> datetime:
    day = _naive_utc(value)
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day)


CHANGE_WEEKS = 5  # score from the Monday before the post to five weeks later


def relationship_changes(
    store: Store, posts: Sequence[tuple[str, str, datetime, list[str]]],
) -> list[list[float]]:
    """For each (platform, account, post time, responders): each responder's score change.

    The responder's connection is scored on the relationship scale as of the Monday before the
    post and five weeks later (posts whose later date is past the end of the data are skipped:
    silence after the data ends is not a loss). All dates are scored in one in-memory run: the
    touchpoints before each date are shifted by whole weeks so that every date lands on the last
    one, which the scale (relative times, day buckets) cannot tell apart.
    """
    out: list[list[float]] = [[] for _ in posts]
    newest = store.con.execute("SELECT max(ts) FROM interactions WHERE ts IS NOT NULL").fetchall()[0][0]
    if newest is None:
        return out
    end = _naive_utc(newest) + timedelta(days=1)
    needed: set[tuple[datetime, str, str, str]] = set()
    plan: list[tuple[int, datetime, datetime, str, str, str]] = []
    for index, (platform, account, ts, responders) in enumerate(posts):
        before = _week_start(ts)
        after = before + timedelta(weeks=CHANGE_WEEKS)
        if after > end:
            continue
        for person in responders:
            needed.update({(before, platform, account, person), (after, platform, account, person)})
            plan.append((index, before, after, platform, account, person))
    if not needed:
        return out
    last = max(n[0] for n in needed)
    import pyarrow as pa

    from tiescale.scoring.run import score_records  # imported when needed: it loads the scoring engine

    wanted = pa.Table.from_pylist(
        [{"as_of": t, "platform": p, "account": a, "person": x, "shift_days": (last - t).days} for t, p, a, x in needed],
        schema=pa.schema([("as_of", pa.timestamp("us")), ("platform", pa.string()), ("account", pa.string()),
                          ("person", pa.string()), ("shift_days", pa.int64())]))
    store.con.register("content_wanted", wanted)
    try:
        records = store.rows("""
            SELECT i.account, i.platform, i.handle || chr(31) || strftime(w.as_of, '%Y-%m-%d') AS person,
                   (i.ts AT TIME ZONE 'UTC') + to_days(w.shift_days) AS ts, i.direction, i.kind, i.text
            FROM content_wanted w JOIN interactions i
              ON i.platform = w.platform AND i.account = w.account AND i.handle = w.person
            WHERE i.ts IS NOT NULL AND (i.ts AT TIME ZONE 'UTC') < w.as_of
        """)
    finally:
        store.con.unregister("content_wanted")
    scores: dict[tuple[str, str, str], float] = {}
    if records:
        table = score_records(records, last)
        for account, platform, person, score in zip(*(table.column(c).to_pylist()
                                                      for c in ("account", "platform", "person", "score"))):
            scores[(platform, account, person)] = float(score)
    for index, before, after, platform, account, person in plan:
        then = scores.get((platform, account, f"{person}\x1f{before:%Y-%m-%d}"), 0.0)
        later = scores.get((platform, account, f"{person}\x1f{after:%Y-%m-%d}"), 0.0)
        out[index].append(round(later - then, 3))
    return out
