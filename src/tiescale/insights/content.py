"""Content balance: is selling outweighing everything else in the brand's own feed?

``content_report(store)`` classifies the account's own posts (the feed: posts, quotes, shares)
and its outbound messages (replies, comments, DMs, mentions) as promotional, relational or value
(:mod:`tiescale.classify`), then shows:

- the mix per week or month, and the sell ratio over the window, with a warning above 20%;
- how far the feed is from 80/20 (at most one post in five sells) and from 4-1-1 (of six posts:
  four value, one relational, one promotional);
- what each kind earns in the 7 days after a post: replies, mentions, reposts, likes (tied to the
  post by its id or thread; a mention that answers no post is credited to the account's latest
  post before it on that platform), two-way conversations started (someone responded and the brand
  answered them within 7 days), and the relationship change of the people who responded (their
  connection's 0-10 score 30 days after the post minus on the day, on the relationship scale);
- the posts that started the most conversations, and the most salesy posts and messages.

Verdicts are cached in ``content_labels`` (by a hash of the text and the model) when the store is
writable; a read-only store is classified in memory.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from tiescale.classify.model import LABELS, Model, load_model
from tiescale.records import UsageError
from tiescale.store.db import Store
from .derived_state import derived_watermark, set_derived_watermark
from .shadow import is_read_only
from .content_data import (
    FEED_SQL, LOOSE_MENTIONS_SQL, MESSAGES_SQL, RESPONSES_SQL, account_filter, relationship_changes,
)

SELL_LIMIT = 0.20
RULE_4_1_1 = {"value": 4 / 6, "relational": 1 / 6, "promotional": 1 / 6}
WINDOW_DAYS = 7
PERIODS = ("week", "month")


@dataclass
class PeriodMix:
    period: str  # 2026-03 (month) or 2026-03-02 (the Monday of the week)
    posts: int
    promotional: int
    relational: int
    value: int
    promotional_share: float | None
    over_limit: bool
    messages: int
    messages_promotional: int


@dataclass
class KindEarnings:
    """What the feed posts of one kind earned in the 7 days after each post."""

    label: str
    posts: int
    replies: int = 0
    mentions: int = 0
    reposts: int = 0
    likes: int = 0
    conversations: int = 0
    responders: int = 0
    per_post: dict[str, float] = field(default_factory=dict)
    relationship_change: float | None = None  # mean change of responders' scores, 0-10 points
    responders_rising: float | None = None  # share of responders whose score rose


@dataclass
class ContentPost:
    platform: str
    account: str
    item_id: str
    ts: datetime | None
    scope: str  # feed | message
    kind: str
    label: str
    confidence: float
    p_promotional: float
    cues: list[str]
    text: str
    url: str | None = None
    replies: int = 0
    conversations: int = 0
    likes: int = 0
    reposts: int = 0
    mentions: int = 0


@dataclass
class ContentReport:
    account: str | None
    by: str
    start: datetime | None
    end: datetime | None
    posts: int
    messages: int
    totals: dict[str, int]
    message_totals: dict[str, int]
    sell_ratio: float | None
    warning: str | None
    rule_80_20: dict[str, Any]
    rule_4_1_1: dict[str, Any]
    mix: list[PeriodMix]
    earnings: list[KindEarnings]
    top_conversation_posts: list[ContentPost]
    most_salesy: list[ContentPost]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end"):
            data[key] = data[key].isoformat() if data[key] else None
        for key in ("top_conversation_posts", "most_salesy"):
            for row in data[key]:
                row["ts"] = row["ts"].isoformat() if row["ts"] else None
        return data


# -- classification with a cache ---------------------------------------------------------------------
def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def classify_cached(store: Store, texts: list[str], model: Model | None = None) -> list[dict[str, Any]]:
    """``label, confidence, p_promotional, cues`` per text; cached in ``content_labels`` when writable."""
    model = model or load_model()
    hashes = [_text_hash(t) for t in texts]
    known: dict[str, dict[str, Any]] = {}
    has_table = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'content_labels'").fetchall()[0][0]
    if has_table and hashes:
        rows = store.con.execute(
            "SELECT text_hash, label, confidence, p_promotional, cues FROM content_labels "
            "WHERE model = ? AND text_hash IN (SELECT unnest(?))", [model.model_id, sorted(set(hashes))]).fetchall()
        known = {h: {"label": lb, "confidence": c, "p_promotional": p, "cues": json.loads(q)}
                 for h, lb, c, p, q in rows}
    new: dict[str, dict[str, Any]] = {}
    for text, h in zip(texts, hashes):
        if h in known or h in new:
            continue
        verdict = model.verdict(text) if text.strip() else None
        new[h] = ({"label": verdict.label, "confidence": verdict.confidence,
                   "p_promotional": verdict.probabilities["promotional"], "cues": verdict.cues}
                  if verdict else {"label": "value", "confidence": 0.0, "p_promotional": 0.0, "cues": []})
    if new and has_table and not is_read_only(store):  # a read-only store: the verdicts are used, not kept
        table = pa.table({
            "text_hash": list(new), "model": [model.model_id] * len(new),
            "label": [v["label"] for v in new.values()], "confidence": [float(v["confidence"]) for v in new.values()],
            "p_promotional": [float(v["p_promotional"]) for v in new.values()],
            "cues": [json.dumps(v["cues"]) for v in new.values()]})
        store.con.register("content_new_labels", table)
        try:
            store.con.execute(
                "INSERT OR IGNORE INTO content_labels (text_hash, model, label, confidence, p_promotional, cues) "
                "SELECT text_hash, model, label, confidence, p_promotional, cues FROM content_new_labels").fetchall()
        finally:
            store.con.unregister("content_new_labels")
    known.update(new)
    return [known[h] for h in hashes]


def refresh_content_labels(store: Store) -> None:
    """Classify (and keep) every own post and message the content report reads that has no verdict
    yet: the report then finds every verdict stored, on a read-only store too. Which texts lack one
    is found in SQL (by the text's hash), so a refresh after a small import reads only the new texts."""
    model = load_model()
    if not store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'content_labels'"):
        return
    # only the texts of imports since the last refresh with this model (every text after a new model)
    since = derived_watermark(store, "content_labels", model.model_id)
    watermark = store.watermark()
    if since == watermark:
        return
    newer = "" if since is None else f"AND import_id > {int(since)}"
    texts = [r["text"] for r in store.rows(f"""
        SELECT DISTINCT text FROM (SELECT text FROM ({FEED_SQL.format(where=newer)})
                                   UNION ALL SELECT text FROM ({MESSAGES_SQL.format(where=newer)}))
        WHERE left(sha256(text), 32) NOT IN (SELECT text_hash FROM content_labels WHERE model = ?)""",
        [model.model_id])]
    if texts:
        classify_cached(store, texts, model)
    set_derived_watermark(store, "content_labels", model.model_id, watermark)


# -- outbound messages, counted in SQL ------------------------------------------------------------------
@dataclass
class MessageSummary:
    count: int
    totals: dict[str, int]  # per label
    periods: dict[str, tuple[int, int]]  # period -> (messages, promotional ones)
    salesy: list[dict[str, Any]]  # the most promotional, most promotional first


#: The SQL period of a row: the month (2026-03) or the Monday of its week, as ``_period`` writes them.
_PERIOD_SQL = {"month": "strftime(ts, '%Y-%m')", "week": "strftime(date_trunc('week', ts), '%Y-%m-%d')"}


class OutboundMessages:
    """The account's outbound messages in TEMP ``content_messages``, each with its verdict: there can
    be millions, so they are counted in SQL and only the most salesy reach Python. The verdicts come
    from ``content_labels`` (``refresh_content_labels`` keeps them); texts it lacks are classified
    here (kept when the store is writable, held in TEMP ``content_extra_labels`` otherwise)."""

    def __init__(self, store: Store, view_sql: str | None = None, params: list[Any] | None = None) -> None:
        self.store = store
        self.view_sql, self.params = view_sql, params or []

    def restrict(self, start: datetime) -> None:
        """Only the messages from ``start`` on."""
        if self.view_sql is None:
            self.store.con.execute("DELETE FROM content_messages WHERE ts < ?", [start])
        else:
            self.view_sql += f" AND m.ts >= TIMESTAMPTZ '{start.isoformat()}'"
            _create_view(self.store, self.view_sql, self.params)

    def summary(self, by: str, cap: int | None) -> MessageSummary:
        rows = self.store.rows(f"""SELECT {_PERIOD_SQL[by]} AS period, count(*) AS n,
                                          count(*) FILTER (WHERE label = 'promotional') AS promotional
                                   FROM content_messages GROUP BY 1""")
        totals = dict.fromkeys(LABELS, 0)
        for r in self.store.rows("SELECT label, count(*) AS n FROM content_messages GROUP BY 1"):
            totals[r["label"]] = int(r["n"])
        salesy = self.store.rows(f"""
            SELECT platform, account, item_id, ts, kind, text, url, label, confidence, p_promotional, cues
            FROM content_messages WHERE label = 'promotional' ORDER BY p_promotional DESC, item_id
            {f'LIMIT {int(cap)}' if cap else ''}""")
        for r in salesy:
            r["cues"] = json.loads(r["cues"])
        return MessageSummary(sum(totals.values()), totals, {r["period"]: (int(r["n"]), int(r["promotional"]))
                                                             for r in rows}, salesy)


#: What ``content_message_index`` holds: MESSAGES_SQL's rows and the hash of the text (a new
#: version rebuilds it).
INDEX_VERSION = "1"
_INDEX_COLUMNS = "platform, account, item_id, ts, kind, text, url, thread, text_hash"


def refresh_message_index(store: Store) -> None:
    """Keep ``content_message_index`` (the account's outbound messages, one row per message, as
    MESSAGES_SQL reads them) up to date from the imports since its last refresh, so the content
    report counts them without re-reading every interaction. ``forget`` empties it (rebuilt here)."""
    if not _has_table(store, "content_message_index") or is_read_only(store):
        return
    since = derived_watermark(store, "content_message_index", INDEX_VERSION)
    watermark = store.watermark()
    if since == watermark:
        return
    with store.transaction() as con:
        if since is None:
            con.execute("DELETE FROM content_message_index")
            con.execute(f"""INSERT INTO content_message_index ({_INDEX_COLUMNS})
                            SELECT *, left(sha256(text), 32) FROM ({MESSAGES_SQL.format(where='')})""")
        else:
            newer = f"AND import_id > {int(since)}"
            con.execute(f"""CREATE OR REPLACE TEMP TABLE cm_new AS SELECT *, left(sha256(text), 32) AS text_hash
                            FROM ({MESSAGES_SQL.format(where=newer)})""")
            # a new own post stands for the message with its id (MESSAGES_SQL prefers posts)
            con.execute(f"""DELETE FROM content_message_index c USING posts p
                            WHERE p.import_id > {int(since)} AND p.platform = c.platform AND p.post_id = c.item_id
                              AND p.kind IN ('reply', 'comment')""")
            # one row per message: the earliest (an older copy imported late replaces the stored one)
            con.execute("""DELETE FROM content_message_index c USING cm_new n
                           WHERE c.platform = n.platform AND c.account = n.account AND c.item_id = n.item_id
                             AND n.ts < c.ts""")
            con.execute(f"""INSERT INTO content_message_index ({_INDEX_COLUMNS}) SELECT {_INDEX_COLUMNS} FROM cm_new n
                            ANTI JOIN content_message_index c USING (platform, account, item_id)""")
            con.execute("DROP TABLE IF EXISTS temp.main.cm_new")
    set_derived_watermark(store, "content_message_index", INDEX_VERSION, watermark)


def _has_table(store: Store, name: str) -> bool:
    return bool(store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))


def _create_view(store: Store, sql: str, params: list[Any]) -> None:
    # a view cannot take parameters: the account handles are written as literals
    pieces = sql.split("?")
    literals = ["'" + str(value).replace("'", "''") + "'" for value in params]
    literal = pieces[0] + "".join(value + piece for value, piece in zip(literals, pieces[1:]))
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW content_messages AS {literal}")


def _outbound_messages(store: Store, where: str, params: list[Any], model: Model) -> OutboundMessages:
    con = store.con
    indexed = (_has_table(store, "content_message_index")
               and derived_watermark(store, "content_message_index", INDEX_VERSION) == store.watermark())
    if indexed:  # the refresh keeps them: counted in place, with the stored verdicts
        missing = [r["text"] for r in store.rows(f"""
            SELECT DISTINCT m.text FROM content_message_index m
            ANTI JOIN (SELECT text_hash FROM content_labels WHERE model = ?) l USING (text_hash)
            WHERE true {where.replace('account', 'm.account')}""", [model.model_id, *params])]
        if not missing:
            view = f"""SELECT m.*, l.label, l.confidence, l.p_promotional, l.cues
                       FROM content_message_index m JOIN content_labels l
                         ON l.text_hash = m.text_hash AND l.model = '{model.model_id}'
                       WHERE true {where.replace('account', 'm.account')}"""
            _create_view(store, view, params)
            return OutboundMessages(store, view, params)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE content_messages_read AS
                    SELECT *, left(sha256(text), 32) AS text_hash FROM ({MESSAGES_SQL.format(where=where)})""",
                params * 2)  # {where} appears twice
    has_table = bool(store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'content_labels'"))
    known = "SELECT text_hash, label, confidence, p_promotional, cues FROM content_labels WHERE model = ?"
    missing = [r["text"] for r in store.rows(
        f"SELECT DISTINCT text FROM content_messages_read m ANTI JOIN ({known}) l USING (text_hash)",
        [model.model_id])] if has_table else [r["text"] for r in store.rows("SELECT DISTINCT text FROM content_messages_read")]
    verdicts = classify_cached(store, missing, model)
    kept = has_table and not is_read_only(store)
    extra = pa.table({
        "text_hash": pa.array([] if kept else [_text_hash(t) for t in missing], pa.string()),
        "label": pa.array([] if kept else [v["label"] for v in verdicts], pa.string()),
        "confidence": pa.array([] if kept else [float(v["confidence"]) for v in verdicts], pa.float64()),
        "p_promotional": pa.array([] if kept else [float(v["p_promotional"]) for v in verdicts], pa.float64()),
        "cues": pa.array([] if kept else [json.dumps(v["cues"]) for v in verdicts], pa.string())})
    con.register("content_extra_labels", extra)
    try:
        labels = (f"{known} UNION ALL " if has_table else "") + "SELECT * FROM content_extra_labels"
        con.execute(f"""CREATE OR REPLACE TEMP TABLE content_messages AS
                        SELECT m.*, l.label, l.confidence, l.p_promotional, l.cues
                        FROM content_messages_read m JOIN ({labels}) l USING (text_hash)""",
                    [model.model_id] if has_table else [])
    finally:
        con.unregister("content_extra_labels")
        con.execute("DROP TABLE IF EXISTS temp.main.content_messages_read")
    return OutboundMessages(store)


# -- the report ----------------------------------------------------------------------------------------


def _period(ts: datetime, by: str) -> str:
    if by == "month":
        return f"{ts:%Y-%m}"
    monday = ts.date() - timedelta(days=ts.weekday())
    return monday.isoformat()


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _rule_80_20(totals: dict[str, int]) -> dict[str, Any]:
    posts = sum(totals.values())
    promo = totals["promotional"]
    if not posts:
        return {"target_promotional_share": SELL_LIMIT, "promotional_share": None, "over_by": None,
                "fewer_promotional_needed": 0, "meets": None}
    share = promo / posts
    fewer = max(0, promo - int(SELL_LIMIT * posts))
    return {"target_promotional_share": SELL_LIMIT, "promotional_share": round(share, 3),
            "over_by": round(max(0.0, share - SELL_LIMIT), 3), "fewer_promotional_needed": fewer,
            "meets": share <= SELL_LIMIT}


def _rule_4_1_1(totals: dict[str, int]) -> dict[str, Any]:
    posts = sum(totals.values())
    actual = {label: round(totals[label] / posts, 3) if posts else None for label in LABELS}
    distance = (round(sum(abs(totals[k] / posts - t) for k, t in RULE_4_1_1.items()) / 2, 3) if posts else None)
    return {"target": {k: round(v, 3) for k, v in RULE_4_1_1.items()}, "actual": actual,
            "distance": distance}  # the share of posts that would have to change kind to match


def _warning(sell_ratio: float | None, totals: dict[str, int], mix: list[PeriodMix]) -> str | None:
    if sell_ratio is None or sell_ratio <= SELL_LIMIT:
        return None
    posts = sum(totals.values())
    text = (f"Promotional posts are {sell_ratio:.0%} of the feed ({totals['promotional']} of {posts}), more than "
            f"one in five: audiences tune out brands that mostly sell.")
    recent = [m for m in mix if m.posts][-1:]
    if recent and recent[0].promotional_share is not None:
        text += f" Latest period ({recent[0].period}): {recent[0].promotional_share:.0%}."
    return text


def content_report(store: Store, account: str | None = None, by: str = "month",
                   window_days: int | None = None, limit: int = 10) -> ContentReport:
    """The content balance of the account's own posts and messages (every account when ``None``).

    ``limit`` caps the lists of conversation starters and most salesy posts (0: all).
    """
    if by not in PERIODS:
        raise UsageError(f"--by {by!r}: choose week or month")
    if window_days is not None and window_days <= 0:
        raise UsageError(f"window_days {window_days}: must be a positive number of days")
    cap = limit or None  # 0 means all
    where, params = account_filter(store, account)
    feed = store.rows(FEED_SQL.format(where=where), params)
    model = load_model()
    messages = _outbound_messages(store, where, params, model)
    try:
        bounds = store.row("SELECT min(ts) AS first, max(ts) AS last FROM content_messages") or {}
        end = max([r["ts"] for r in feed] + ([bounds["last"]] if bounds.get("last") else []), default=None)
        start = min([r["ts"] for r in feed] + ([bounds["first"]] if bounds.get("first") else []), default=None)
        if window_days is not None and end is not None:
            start = end - timedelta(days=window_days)
            feed = [r for r in feed if r["ts"] >= start]
            messages.restrict(start)
        verdicts = classify_cached(store, [r["text"] for r in feed], model)
        for row, verdict in zip(feed, verdicts):
            row.update(verdict)
        summary = messages.summary(by, cap)
    finally:
        store.con.execute("DROP VIEW IF EXISTS temp.main.content_messages" if messages.view_sql is not None
                          else "DROP TABLE IF EXISTS temp.main.content_messages")

    engagement = _engagement(store, feed)
    totals = {label: sum(r["label"] == label for r in feed) for label in LABELS}
    message_totals = summary.totals
    mix = _mix(feed, summary.periods, by)
    sell_ratio = _share(totals["promotional"], len(feed))
    earnings = _earnings(store, feed, engagement)
    posts = [_post(r, "feed", engagement.get(_key(r), {})) for r in feed]
    top = sorted((p for p in posts if p.conversations or p.replies),
                 key=lambda p: (-p.conversations, -p.replies, -p.likes, p.item_id))[:cap]
    salesy = [_post(r, "message", {}) for r in summary.salesy]
    salesy = sorted((p for p in posts + salesy if p.label == "promotional"),
                    key=lambda p: (-p.p_promotional, p.item_id))[:cap]
    notes = []
    if not feed:
        notes.append("no own posts with text in this window (only replies and messages were classified)")
    if feed and not any(e["likes"] or e["reposts"] or e["replies"] for e in engagement.values()):
        notes.append("no reaction in the store is tied to a post (reactions need the post's id or thread)")
    return ContentReport(account, by, start, end, len(feed), summary.count, totals, message_totals, sell_ratio,
                         _warning(sell_ratio, totals, mix), _rule_80_20(totals), _rule_4_1_1(totals), mix, earnings,
                         top, salesy, notes)


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["platform"], row["account"], row["item_id"])


def _mix(feed: list[dict[str, Any]], message_periods: dict[str, tuple[int, int]], by: str) -> list[PeriodMix]:
    periods: dict[str, dict[str, int]] = {}
    for row in feed:
        counts = periods.setdefault(_period(row["ts"], by), dict.fromkeys((*LABELS, "m", "mp"), 0))
        counts[row["label"]] += 1
    for period, (n, promotional) in message_periods.items():
        counts = periods.setdefault(period, dict.fromkeys((*LABELS, "m", "mp"), 0))
        counts["m"] += n
        counts["mp"] += promotional
    out = []
    for period in sorted(periods):
        c = periods[period]
        n = c["promotional"] + c["relational"] + c["value"]
        share = _share(c["promotional"], n)
        out.append(PeriodMix(period, n, c["promotional"], c["relational"], c["value"], share,
                             share is not None and share > SELL_LIMIT, c["m"], c["mp"]))
    return out


def _engagement(store: Store, feed: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Per feed post: reactions tied to it in the 7 days after, responders, conversations."""
    out = {_key(r): {"replies": 0, "mentions": 0, "reposts": 0, "likes": 0, "conversations": 0,
                     "responders": [], "ts": r["ts"]} for r in feed}
    if not feed:
        return out
    keys = [{"platform": r["platform"], "account": r["account"], "item_id": r["item_id"], "ts": r["ts"],
             "thread": r.get("thread")} for r in feed]
    store.con.register("content_feed_keys", _arrow(keys))
    try:
        rows = store.con.execute(RESPONSES_SQL.format(days=WINDOW_DAYS)).fetchall()
        loose = store.con.execute(LOOSE_MENTIONS_SQL.format(days=WINDOW_DAYS)).fetchall()
    finally:
        store.con.unregister("content_feed_keys")
    for platform, account, item_id, kind, count, people, answered in rows:
        entry = out[(platform, account, item_id)]
        field_name = {"reply": "replies", "comment": "replies", "quote": "replies", "mention": "mentions",
                      "repost": "reposts", "like": "likes"}[kind]
        entry[field_name] += count
        if kind in ("reply", "comment", "quote", "mention"):
            entry["responders"] += list(people or [])
            entry["conversations"] += answered
    for platform, account, item_id, count in loose:
        out[(platform, account, item_id)]["mentions"] += count
    for row in feed:
        entry = out[_key(row)]
        entry["likes"] = max(entry["likes"], int(row.get("likes") or 0))  # the export's own count, undated
        entry["reposts"] = max(entry["reposts"], int(row.get("reposts") or 0))
        entry["responders"] = sorted(set(entry["responders"]))
        entry["conversations"] = min(entry["conversations"], len(entry["responders"]))
    return out


def _arrow(rows: list[dict[str, Any]]) -> pa.Table:

    schema = pa.schema([("platform", pa.string()), ("account", pa.string()), ("item_id", pa.string()),
                        ("ts", pa.timestamp("us", tz="UTC")), ("thread", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def _earnings(store: Store, feed: list[dict[str, Any]],
              engagement: dict[tuple[str, str, str], dict[str, Any]]) -> list[KindEarnings]:
    changes = relationship_changes(
        store, [(r["platform"], r["account"], r["ts"], engagement[_key(r)]["responders"]) for r in feed])
    out = []
    for label in LABELS:
        rows = [r for r in feed if r["label"] == label]
        e = KindEarnings(label, len(rows))
        deltas: list[float] = []
        for row, change in zip(feed, changes):
            if row["label"] != label:
                continue
            got = engagement[_key(row)]
            e.replies += got["replies"]
            e.mentions += got["mentions"]
            e.reposts += got["reposts"]
            e.likes += got["likes"]
            e.conversations += got["conversations"]
            e.responders += len(got["responders"])
            deltas += change
        if rows:
            e.per_post = {k: round(getattr(e, k) / len(rows), 2)
                          for k in ("replies", "mentions", "reposts", "likes", "conversations", "responders")}
        if deltas:
            e.relationship_change = round(sum(deltas) / len(deltas), 2)
            e.responders_rising = round(sum(d > 0 for d in deltas) / len(deltas), 3)
        out.append(e)
    return out


def _post(row: dict[str, Any], scope: str, got: dict[str, Any]) -> ContentPost:
    return ContentPost(row["platform"], row["account"], row["item_id"], row["ts"], scope, row["kind"], row["label"],
                       row["confidence"], row["p_promotional"], row["cues"], row["text"], row.get("url"),
                       got.get("replies", 0), got.get("conversations", 0), got.get("likes", 0),
                       got.get("reposts", 0), got.get("mentions", 0))
