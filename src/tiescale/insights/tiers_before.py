"""Relationship scores of many (person, date) pairs at once, with no look-ahead.

``score_pairs(store, pairs)`` gives each pair the person's score *as of* its date: only
touchpoints strictly before that midnight count, i.e. the score the person had at the end of
the day before. It runs the scale's own expressions (``tiescale.scoring.run.score_expressions``)
once for every pair together: the scale is absolute (a score depends only on that relationship's
own history and how long ago each touchpoint was, in whole days), so each pair's touchpoints are
shifted forward by whole days to one common reference date and scored as a separate key. A test
checks the result against ``score_store`` snapshots at the same dates.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, UTC
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from tiescale.scoring.config import tier_of
from tiescale.store.db import Store

#: Kinds that are not a conversation: a follower who only followed "never talked with you".
SILENT_KINDS = ("follow", "unfollow")
NO_RELATIONSHIP = "none"


@dataclass(frozen=True, slots=True)
class PairScore:
    score: float  # 0 when the person had no touchpoint at all before the date
    tier: str  # a tier of the scale, or "none": never talked (at most followed) before the date
    talked: bool


def midnight(value: datetime | date) -> datetime:
    """The midnight (naive UTC) that starts the day of ``value``."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def _pair_people(store: Store, unique: list[tuple[int, datetime]], account: str | None
                 ) -> tuple[pa.Table | None, set[int], datetime]:
    """The scale's person rows of every pair (``pair_id`` in ``person_id``), computed with every
    pair's touchpoints before its midnight moved forward to one reference date; the pairs that had
    talked; the reference date."""
    for _, as_of in unique:
        if as_of != midnight(as_of):
            raise ValueError(f"as_of {as_of} is not a midnight")
    con = store.con
    table = pa.table({
        "pair_id": pa.array(range(len(unique)), pa.int64()),
        "person_id": pa.array([p for p, _ in unique], pa.int64()),
        "as_of": pa.array([d for _, d in unique], pa.timestamp("us")),
    })
    reference = max(d for _, d in unique)
    con.execute("SELECT 1").fetchall()  # closes a caller's half-read result: register() refuses to run after one
    con.register("tiescale_pairs_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE tiescale_pairs AS SELECT * FROM tiescale_pairs_arrow")
    finally:
        con.unregister("tiescale_pairs_arrow")
    account_sql = "AND i.account = ?" if account is not None else ""
    params: list[object] = [reference] + ([account] if account is not None else [])
    # Every touchpoint of the pair's person before the pair's date, moved forward by the whole
    # days between that date and the reference date; the pair id stands for the person.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE tiescale_pair_events AS
        SELECT i.account, i.platform, p.pair_id::VARCHAR || '|' || i.handle AS person, p.pair_id AS person_id,
               (i.ts AT TIME ZONE 'UTC') + (?::TIMESTAMP - p.as_of) AS ts, i.direction, i.kind, i.text
        FROM tiescale_pairs p JOIN touchpoints i ON i.person_id = p.person_id
        WHERE i.ts IS NOT NULL AND (i.ts AT TIME ZONE 'UTC') < p.as_of {account_sql}
    """, params)
    talked = {int(r["person_id"]) for r in store.rows(
        f"SELECT DISTINCT person_id FROM tiescale_pair_events WHERE kind NOT IN {SILENT_KINDS}")}
    result: pa.Table | None = None
    if store.scalar("SELECT count(*) FROM tiescale_pair_events"):
        import ibis

        from tiescale.scoring.run import score_expressions  # imported when needed: it loads the scoring engine

        backend = ibis.duckdb.from_connection(con)
        _connections, people = score_expressions(backend.table("tiescale_pair_events"), reference)
        result = people.to_pyarrow()
    con.execute("DROP TABLE IF EXISTS tiescale_pair_events")
    con.execute("DROP TABLE IF EXISTS tiescale_pairs")
    return result, talked, reference


def score_pairs(
    store: Store, pairs: Iterable[tuple[int, datetime]], account: str | None = None,
) -> dict[tuple[int, datetime], PairScore]:
    """``{(person_id, as_of): PairScore}`` for each pair; ``as_of`` must be a midnight (naive UTC).

    With ``account``, only that account's touchpoints count (the person's relationship with it).
    """
    unique = sorted(set(pairs))
    if not unique:
        return {}
    result, talked, _reference = _pair_people(store, unique, account)
    scores: dict[int, float] = {}
    if result is not None:
        scores = dict(zip(result.column("person_id").to_pylist(), result.column("score").to_pylist()))
    out: dict[tuple[int, datetime], PairScore] = {}
    for pair_id, key in enumerate(unique):
        score = float(scores.get(pair_id, 0.0))
        spoke = pair_id in talked
        out[key] = PairScore(score, tier_of(score) if spoke else NO_RELATIONSHIP, spoke)
    return out


def pair_states(store: Store, pairs: Iterable[tuple[int, datetime]], account: str | None = None) -> pa.Table:
    """Each pair's *state* at its midnight: ``person_id``, ``c`` (the midnight), the raw dimensions
    of the person's touchpoints strictly before it, referenced to it (the columns of a score
    history row, scoring/history.py), and ``score`` then. A pair with no touchpoint has no row.

    A state rolled forward to a later day (:func:`rolled_scores_sql`) is the score that day of the
    touchpoints before the midnight: what the score history composes between two stored dates."""
    from tiescale.scoring.config import RAW_DIMENSIONS

    unique = sorted(set(pairs))
    result = _pair_people(store, unique, account)[0] if unique else None
    if result is None:
        return pa.table({"person_id": pa.array([], pa.int64()), "c": pa.array([], pa.timestamp("us")),
                         **{c: pa.array([], _ARROW_TYPES[c]) for c in RAW_DIMENSIONS},
                         "score": pa.array([], pa.float64())})
    import pyarrow.compute as pc

    reference = max(d for _, d in unique)
    ids = result.column("person_id")  # the pair ids
    cuts = pc.take(pa.array([d for _, d in unique], pa.timestamp("us")), ids)
    shifts = pc.subtract(pa.scalar(reference, pa.timestamp("us")), cuts)
    columns: dict[str, Any] = {"person_id": pc.take(pa.array([p for p, _ in unique], pa.int64()), ids), "c": cuts}
    for name in RAW_DIMENSIONS:
        values = result.column(name).cast(_ARROW_TYPES[name])
        if name in ("first_contact", "last_contact"):  # back from the reference date to the pair's own
            values = pc.subtract(values, shifts)
        columns[name] = values
    columns["score"] = result.column("score").cast(pa.float64())
    return pa.table(columns)


_ARROW_TYPES: dict[str, pa.DataType] = {
    "first_contact": pa.timestamp("us"), "last_contact": pa.timestamp("us"),
    **{c: pa.int64() for c in ("two_way_days", "touchpoints_in", "touchpoints_out", "dms", "words",
                              "active_days", "started_by_them")}}
for _name in ("intensity", "weight_in", "weight_out", "turns", "warm", "regularity"):
    _ARROW_TYPES[_name] = pa.float64()


def rolled_scores_sql(states: str, days: str) -> str:
    """SQL of ``(person_id, c, at, score)``: for each row of the table ``days`` (person_id, c, at),
    the state of the table ``states`` (person_id, c, as_of, raw dimensions: a history row, or
    :func:`pair_states`) rolled forward from its ``as_of`` to ``at`` and scored there, exactly as
    scoring/history.py composes a date (rolled_forward, then scale.scored at that date). A day
    whose (person_id, c) has no state has no row (score 0: no touchpoint, or removed)."""
    from tiescale.scoring.history import RAW_TYPES
    from tiescale.sqlcache import SQL_CACHE

    def compile_body() -> str:
        import ibis

        from tiescale.scoring.config import DEFAULT, RAW_DIMENSIONS
        from tiescale.scoring.history import rolled_forward
        from tiescale.scoring.scale import scored

        kept = ibis.table({"person_id": "int64", "c": "timestamp", "as_of": "timestamp", **RAW_TYPES},
                          name="rolled_states")
        asked = ibis.table({"person_id": "int64", "c": "timestamp", "at": "timestamp"}, name="rolled_days")
        rows = asked.join(kept, [asked.person_id == kept.person_id, asked.c == kept.c]).select(
            asked.person_id, asked.c, asked.at, kept.as_of, *[kept[c] for c in RAW_DIMENSIONS])
        dims = rolled_forward(rows, rows.at, DEFAULT).select("person_id", "c", "at", *RAW_DIMENSIONS)
        return str(ibis.to_sql(scored(dims, dims.at, DEFAULT).select("person_id", "c", "at", "score"),
                               dialect="duckdb"))

    from tiescale.scoring.config import DEFAULT

    body = SQL_CACHE.get_or_compile(f"rolled states v1 {DEFAULT!r}", compile_body)
    return f"""WITH rolled_states AS (SELECT * FROM {states}), rolled_days AS (SELECT * FROM {days})
               SELECT r.person_id, r.c, r.at, r.score FROM ({body}) r"""


def days_between(start: datetime, end: datetime) -> list[datetime]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def tiers_at(store: Store, pairs: Iterable[tuple[int, datetime]], account: str | None = None,
             composable: Callable[[datetime], bool] | None = None) -> dict[tuple[int, datetime], PairScore]:
    """:func:`score_pairs`, reading the composed history (scoring/history.py) for the dates
    ``composable`` accepts (scored dates, whose composition equals what score_pairs computes: a test
    checks it) and scoring only the other pairs from the touchpoints."""
    unique = sorted(set(pairs))
    if account is not None or composable is None:
        return score_pairs(store, unique, account=account)
    dates = sorted({d for _, d in unique})
    covered = {d for d in dates if composable(d)}
    out = score_pairs(store, [(p, d) for p, d in unique if d not in covered])
    if not covered:
        return out
    from tiescale.scoring.history import scores_over_sql

    dates_sql = " UNION ALL ".join(f"SELECT TIMESTAMP '{d.isoformat(sep=' ')}' AS at" for d in sorted(covered))
    wanted = [(p, d) for p, d in unique if d in covered]
    con = store.con
    con.execute("SELECT 1").fetchall()  # closes a caller's half-read result: register() refuses to run after one
    con.register("tiers_at_pairs", pa.table({"person_id": pa.array([p for p, _ in wanted], pa.int64()),
                                              "at": pa.array([d for _, d in wanted], pa.timestamp("us"))}))
    try:  # every pair's composed score and tier, and whether they had talked before its date, in SQL
        found = con.execute(f"""
            WITH s AS ({scores_over_sql(dates_sql, 'person')}),
            f AS (SELECT person_id, min(ts AT TIME ZONE 'UTC') AS first FROM touchpoints
                  WHERE kind NOT IN {SILENT_KINDS} AND ts IS NOT NULL GROUP BY 1)
            SELECT p.person_id, p.at, coalesce(s.score, 0.0), s.tier, coalesce(f.first < p.at, false)
            FROM tiers_at_pairs p LEFT JOIN s ON s.person_id = p.person_id AND s.as_of = p.at
            LEFT JOIN f ON f.person_id = p.person_id""").fetchall()
    finally:
        con.unregister("tiers_at_pairs")
    for person_id, day, score, tier, spoke in found:
        if spoke:
            out[(person_id, day)] = PairScore(float(score), tier or tier_of(float(score)), True)
        else:
            out[(person_id, day)] = PairScore(0.0, NO_RELATIONSHIP, False)
    return out
