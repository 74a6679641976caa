"""Person-time by tier: how many days people spent at each tier, and the orders placed on those days.

Why person-time: a buyer judged on the day before the order and a non-buyer judged on some other
day are observed at different times, so orders that cluster (a sale, recent data) put people into
tiers they did not have when they could have bought. Here everyone is observed every day:

- **At risk**: a person is at risk on every day of the window from the day tiescale first knows them
  on the social side (their first touchpoint, follow or appearance in a follower list) to the end:
  for repeat orders every day; for the first order, until the day of their first order ever
  (inclusive). An order never starts the watch: only buyers can be first seen through an order, so
  counting them from it would fill their tier with buyers (a simulation showed "never talked" rise
  tenfold). Orders placed before a person was seen are counted apart, never in a tier.
- **The tier of a day**: the score the person had *on that day*: every touchpoint before the day
  (its midnight), nothing from the day itself or later. It is the state at the latest cut at or
  before the day (the first of the month, the midnight after the person's first conversation, or
  the midnight after any other day with a touchpoint: touch_states.py), rolled forward to the day
  and scored there, exactly as the score history composes a date (scoring/history.py). So a score
  that decays across a tier boundary in the middle of a month moves the days after the crossing to
  the lower tier, and a conversation on the 10th counts from the 11th. A day before the person's
  first conversation is "none" (never talked).
- Every order counts in the tier of its day, with the same rule, so the orders and the days they are
  divided by always agree.

Everything is DuckDB SQL over TEMP tables (no Python loop over people). Between two cuts no
touchpoint enters the state and silence never raises a score (scoring/scale.py), so each run between cuts is
scored on its first and last day only; the few runs whose two ends differ in tier are scored day by
day and split. The result is a few numbers per tier (:class:`GroupTime`), small enough to keep in the
store after a refresh.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from tiescale.scoring.config import TIER_NAMES, TIERS
from tiescale.scoring.stamp import scale_fingerprint
from tiescale.store.db import Store
from .orders import MATCH_SQL
from .shadow import is_read_only
from .tiers_before import NO_RELATIONSHIP, SILENT_KINDS
from .touch_states import TOUCH_TEMP_TABLES, add_touch_cuts

GROUPS = (NO_RELATIONSHIP, *TIER_NAMES)
MEANINGFUL = "meaningful"
#: People whose silence keeps them under this score are left out of the composition (their score
#: counts as 0: the lowest tier, where they are anyway); it must not be above the meaningful threshold.
LOWEST_TIER_ABOVE_ZERO = min(low for _name, low, _high, _ in TIERS if low > 0)
#: A run whose ends differ in tier is scored every STEP_DAYS days first, then day by day only between
#: two of those days in different tiers (a score only falls along a run, so the tier changes there).
STEP_DAYS = 4


@dataclass
class GroupTime:
    """A tier's (or the meaningful group's) person-time, orders and the sums robust intervals need.

    ``t``: days, ``o``: orders, ``v``: revenue, per person in the group; ``*_none``: the same person's
    figures in "none" (people who moved from never talked to the group are correlated with it)."""

    people: int = 0
    converted: int = 0  # people with an order on a day in the group
    person_days: float = 0.0
    orders: int = 0
    revenue: float = 0.0
    buyer_revenues: list[float] = field(default_factory=list)  # per person who bought in the group
    first_orders: int = 0
    first_person_days: float = 0.0
    t2: float = 0.0
    ot: float = 0.0
    o2: float = 0.0
    vt: float = 0.0
    v2: float = 0.0
    oo_none: float = 0.0
    ot_none: float = 0.0
    to_none: float = 0.0
    tt_none: float = 0.0
    vv_none: float = 0.0
    vt_none: float = 0.0
    tv_none: float = 0.0
    people_now: int = 0  # people in the group at the end of the window (their score as of its end)
    #: per calendar month (YYYY-MM-01): [days, orders, days before a first order, first orders]; the
    #: lift compares days of the same month (Mantel-Haenszel), so a sale or recent-only data cannot tilt it
    by_month: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class PersonTime:
    start: datetime
    end: datetime
    currency: str
    meaningful_min: float
    groups: dict[str, GroupTime]
    orders_outside: int = 0  # matched orders on no day at risk: placed before the buyer was seen

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PersonTime:
        groups = {k: GroupTime(**v) for k, v in data["groups"].items()}
        return cls(datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"]), data["currency"],
                   float(data["meaningful_min"]), groups, int(data.get("orders_outside", 0)))


def tier_sql(score: str) -> str:
    """SQL of tier_of(score): the first tier whose upper bound is above it."""
    cases = " ".join(f"WHEN {score} < {high!r} THEN '{name}'" for name, _low, high, _ in TIERS)
    return f"CASE {cases} ELSE '{TIER_NAMES[-1]}' END"


def month_grid(start: datetime, end: datetime) -> list[datetime]:
    """The first of the month at or before ``start``, then every first of a month before ``end``."""
    grid = [datetime(start.year, start.month, 1)]
    while True:
        last = grid[-1]
        following = datetime(last.year + 1, 1, 1) if last.month == 12 else datetime(last.year, last.month + 1, 1)
        if following >= end:
            return grid
        grid.append(following)


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _register(store: Store, name: str, table: pa.Table) -> None:
    con = store.con
    con.execute("SELECT 1").fetchall()  # closes a caller's half-read result: register() refuses to run after one
    con.register(f"{name}_arrow", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    finally:
        con.unregister(f"{name}_arrow")


def _people(store: Store, account: str | None, end: datetime, only: str | None = None) -> None:
    """TEMP pt_people(person_id, known, talk): the midnight of the first day tiescale saw each person
    on the social side (a touchpoint, a follow, a follower list), and the midnight after their first
    conversation (NULL: never talked before ``end``).

    An order never opens the watch: only people who buy can be first seen that way (those who did
    not buy stay unseen), so counting from an order would fill whichever tier they entered with
    buyers. Orders placed before a person was seen are counted apart, never in a tier.

    ``only``: a TEMP table of person ids; the people outside it are left out (their touchpoints are
    found through their connections' integer ids, not read)."""
    acc = "AND account = ?" if account else ""
    facc = "AND f.account = ?" if account else ""
    params: list[Any] = [account] if account else []
    if only is not None:
        acc += f""" AND connection_id IN (SELECT c.connection_id FROM connections c
                    JOIN identities d ON d.platform = c.platform AND d.handle = c.person
                    SEMI JOIN {only} o ON o.person_id = d.person_id)"""
        facc += f" AND id.person_id IN (SELECT person_id FROM {only})"
    store.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_people AS
        WITH handles AS (  -- per handle first (the touchpoints view joins every row to its person)
            SELECT platform, handle, min(ts) AS first_any,
                   min(ts) FILTER (WHERE kind NOT IN {SILENT_KINDS}) AS first_talk
            FROM interactions WHERE ts IS NOT NULL {acc} GROUP BY ALL),
        seen AS (
            SELECT d.person_id, min(h.first_any) AT TIME ZONE 'UTC' AS first_any,
                   min(h.first_talk) AT TIME ZONE 'UTC' AS first_talk
            FROM handles h JOIN identities d USING (platform, handle) GROUP BY 1
            UNION ALL SELECT id.person_id, min(f.snapshot_at) AT TIME ZONE 'UTC', NULL
            FROM follower_snapshots f JOIN identities id ON id.platform = f.platform AND id.handle = f.person
            WHERE f.relation = 'follower' {facc} GROUP BY 1)
        SELECT s.person_id, date_trunc('day', min(s.first_any)) AS known,
               date_trunc('day', min(s.first_talk)) + INTERVAL 1 DAY AS talk
        FROM seen s JOIN people p ON p.person_id = s.person_id AND p.merged_into IS NULL
        GROUP BY 1 HAVING min(s.first_any) < {_ts(end)}""", params + params)


def _spans(store: Store, grid: list[datetime], start: datetime, end: datetime, touch_cuts: bool = False) -> None:
    """TEMP pt_span(person_id, c, lo, hi): each talking person's days in [start, end) from their
    first conversation on, cut at the month starts and at the midnight after the first
    conversation (and, with ``touch_cuts``, at the midnights of TEMP pt_touch_cuts: after each other
    day with a touchpoint). ``c`` is the cut a run starts from: its days are scored from the state at ``c``
    (the touchpoints before it) rolled forward to each day, and since nothing enters that state
    between two cuts, the score can only fall along a run (scoring/scale.py).

    The cuts are dates every store has (not the dates some refresh happened to score), so the
    figures do not depend on when the store was refreshed."""
    grid_sql = " UNION ALL ".join(f"SELECT {_ts(g)} AS g" for g in grid)
    grid_list = ", ".join(_ts(g) for g in grid)
    first, last = _ts(grid[0]), _ts(end)
    store.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_span AS
        WITH p AS (SELECT person_id, greatest(known, {_ts(start)}) AS a, talk FROM pt_people WHERE talk < {last}),
        cuts AS (SELECT p.person_id, g.g AS c FROM p CROSS JOIN ({grid_sql}) g WHERE g.g >= p.talk
                 UNION ALL SELECT person_id, talk FROM p WHERE talk > {first} AND talk NOT IN ({grid_list})
                 {"UNION ALL SELECT person_id, c FROM pt_touch_cuts" if touch_cuts else ""}),
        runs AS (SELECT person_id, c, lead(c, 1, {last}) OVER (PARTITION BY person_id ORDER BY c) AS c_next FROM cuts)
        SELECT r.person_id, r.c, greatest(r.c, p.a, p.talk) AS lo, r.c_next AS hi
        FROM runs r JOIN p USING (person_id) WHERE r.c_next > greatest(r.c, p.a, p.talk)""")


def _states(store: Store, account: str | None, composed: set[datetime]) -> None:
    """TEMP pt_states(person_id, c, as_of, raw dimensions): the state each run of pt_span starts
    from. At a month start the score history composes exactly (``composed``: scored with today's
    scale, no later import before it) it is the person's history row at or before it; at any other
    cut (the midnight after a first conversation, a month start scored before a late import, an account's view) it
    is scored from the touchpoints before it (tiers_before.pair_states), the first conversation's
    kept between refreshes (first_talk_scores)."""
    from tiescale.scoring.config import RAW_DIMENSIONS
    from tiescale.scoring.history import RAW_TYPES
    from .tiers_before import pair_states

    con = store.con
    dims = ", ".join(RAW_DIMENSIONS)
    types = {"timestamp": "TIMESTAMP", "int64": "BIGINT", "float64": "DOUBLE"}
    columns = ", ".join(f"{c} {types[RAW_TYPES[c]]}" for c in RAW_DIMENSIONS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE pt_states (person_id BIGINT, c TIMESTAMP, as_of TIMESTAMP, {columns})")
    con.execute("CREATE OR REPLACE TEMP TABLE pt_need AS SELECT DISTINCT person_id, c FROM pt_span")
    if account is None and composed:
        # a list parameter, not registered Arrow data (which would load pandas)
        con.execute("CREATE OR REPLACE TEMP TABLE pt_composed AS SELECT unnest(?::TIMESTAMP[]) AS c", [sorted(composed)])
        con.execute(f"""
            INSERT INTO pt_states SELECT n.person_id, n.c, h.as_of, {', '.join(f'h.{c}' for c in RAW_DIMENSIONS)}
            FROM (SELECT * FROM pt_need SEMI JOIN pt_composed USING (c)) n
            ASOF JOIN (SELECT * FROM person_history_all SEMI JOIN pt_need USING (person_id)) h
              ON h.person_id = n.person_id AND n.c >= h.as_of
            WHERE NOT h.removed""")
        con.execute("DELETE FROM pt_need WHERE c IN (SELECT c FROM pt_composed)")
        con.execute("DROP TABLE IF EXISTS pt_composed")
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_firsts AS SELECT n.person_id, n.c AS talk FROM pt_need n
                   SEMI JOIN pt_people p ON p.person_id = n.person_id AND p.talk = n.c""")
    if account is None:
        _first_states_kept(store)
    pairs = [(int(p), c) for p, c in con.execute("SELECT person_id, c FROM pt_need").fetchall()]
    if pairs:
        scored = pair_states(store, pairs, account=account)
        _register(store, "pt_states_new", scored)
        con.execute(f"INSERT INTO pt_states SELECT person_id, c, c, {dims} FROM pt_states_new")
        if account is None:
            _keep_first_states(store)
        con.execute("DROP TABLE IF EXISTS pt_states_new")
    for name in ("pt_need", "pt_firsts", "pt_first_keys"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _first_states_kept(store: Store) -> None:
    """Move the first conversations of TEMP ``pt_firsts`` whose state is kept (``first_talk_scores``:
    same touchpoints before that midnight, same scale) into ``pt_states`` and out of ``pt_need``;
    the key of every one of them is left in TEMP ``pt_first_keys``."""
    from tiescale.scoring.config import RAW_DIMENSIONS

    con = store.con
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_first_keys AS
                   SELECT f.person_id, f.talk, count(*) AS touchpoints, max(i.import_id) AS newest_import
                   FROM pt_firsts f
                   JOIN identities d ON d.person_id = f.person_id
                   JOIN interactions i ON i.platform = d.platform AND i.handle = d.handle
                    AND i.ts < timezone('UTC', f.talk)
                   GROUP BY ALL""")
    if not _has_first_states(store):
        return
    kept = """FROM pt_first_keys k JOIN first_talk_scores c ON c.person_id = k.person_id AND c.talk = k.talk
              AND c.scale = ? AND c.touchpoints = k.touchpoints AND c.newest_import = k.newest_import
              AND c.first_contact IS NOT NULL"""
    con.execute(f"INSERT INTO pt_states SELECT k.person_id, k.talk, k.talk, "
                f"{', '.join(f'c.{c}' for c in RAW_DIMENSIONS)} {kept}", [scale_fingerprint()])
    con.execute("""DELETE FROM pt_need WHERE EXISTS (
                       SELECT 1 FROM pt_states s WHERE s.person_id = pt_need.person_id AND s.c = pt_need.c)""")


def _has_first_states(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'first_talk_scores' "
                             "AND column_name = 'first_contact'"))


def _keep_first_states(store: Store) -> None:
    """Keep the first conversations' states just scored (TEMP pt_states_new), not on a read-only
    store: a read computes and writes nothing."""
    from tiescale.scoring.config import RAW_DIMENSIONS

    if is_read_only(store) or not _has_first_states(store):
        return
    dims = ", ".join(RAW_DIMENSIONS)
    with store.transaction() as con:
        con.execute("""CREATE OR REPLACE TEMP TABLE pt_first_new AS SELECT n.* FROM pt_states_new n
                       JOIN pt_firsts f ON f.person_id = n.person_id AND f.talk = n.c""")
        con.execute("DELETE FROM first_talk_scores WHERE person_id IN (SELECT person_id FROM pt_first_new)")
        con.execute(f"""INSERT INTO first_talk_scores (person_id, talk, scale, touchpoints, newest_import, score, {dims})
                        SELECT k.person_id, k.talk, ?, k.touchpoints, k.newest_import, n.score,
                               {', '.join(f'n.{c}' for c in RAW_DIMENSIONS)}
                        FROM pt_first_new n JOIN pt_first_keys k ON k.person_id = n.person_id AND k.talk = n.c""",
                    [scale_fingerprint()])
    store.con.execute("DROP TABLE IF EXISTS pt_first_new")


def _now(store: Store, end: datetime, account: str | None, fresh: set[datetime], prune: float | None) -> None:
    """TEMP pt_now(person_id, score): everyone's score at the end of the window (the people in each
    tier now: the forecast's base)."""
    from .tiers_before import score_pairs

    con = store.con
    con.execute("CREATE OR REPLACE TEMP TABLE pt_now (person_id BIGINT, score DOUBLE)")
    if account is None and end in fresh and store.scalar(
            "SELECT count(*) FROM (SELECT 1 FROM person_scores WHERE as_of = ? LIMIT 1)", [end]):
        # the newest date's scores, materialised: the history's composition at ``end``, read
        con.execute(f"""
            INSERT INTO pt_now SELECT s.person_id, s.score FROM person_scores s
            SEMI JOIN pt_people p ON p.person_id = s.person_id AND p.talk <= {_ts(end)}
            WHERE s.as_of = {_ts(end)}""")
    elif account is None and end in fresh:
        from tiescale.scoring.history import scores_over_sql

        con.execute(f"""
            INSERT INTO pt_now SELECT s.person_id, s.score
            FROM ({scores_over_sql(f'SELECT {_ts(end)} AS at', 'person', min_score=prune)}) s
            SEMI JOIN pt_people p ON p.person_id = s.person_id AND p.talk <= {_ts(end)}""")
    else:
        pairs = [(int(p), end) for (p,) in con.execute(
            "SELECT person_id FROM pt_people WHERE talk <= ?", [end]).fetchall()]
        _insert_scores(store, "pt_now", score_pairs(store, pairs, account=account), with_date=False)


def _insert_scores(store: Store, table: str, scores: dict[tuple[int, datetime], Any], with_date: bool) -> None:
    keys = list(scores)
    columns: dict[str, pa.Array] = {"person_id": pa.array([p for p, _ in keys], pa.int64())}
    if with_date:
        columns["g"] = pa.array([d for _, d in keys], pa.timestamp("us"))
    columns["score"] = pa.array([scores[k].score for k in keys], pa.float64())
    _register(store, "pt_scores_in", pa.table(columns))
    try:
        store.con.execute(f"INSERT INTO {table} SELECT * FROM pt_scores_in")
    finally:
        store.con.execute("DROP TABLE IF EXISTS pt_scores_in")


def _segments(store: Store, start: datetime, end: datetime, meaningful_min: float, prune: float | None) -> None:
    """TEMP pt_seg(person_id, lo, hi, grp, strong): each person's days in [start, end) with the tier
    of each day: "none" before the first conversation, then the state of the run's cut rolled
    forward to that day and scored there (tiers_before.rolled_scores_sql: what the score history
    composes on that date).

    Between two cuts a score only falls, so a run whose first and last days are in the same tier
    (and on the same side of the meaningful threshold) is in it every day: only the other runs are
    scored day by day, and split where the tier changes. A state whose silence at the run's first
    day keeps it under ``prune`` scores 0 (the lowest tier, where it is anyway) without scoring."""
    from tiescale.scoring.history import silence_bound
    from .tiers_before import rolled_scores_sql

    con = store.con
    day = "INTERVAL 1 DAY"
    quiet = ""
    if prune is not None and silence_bound(prune) != float("inf"):
        quiet = f"""SEMI JOIN pt_states st ON st.person_id = s.person_id AND st.c = s.c
                    AND (epoch(s.lo) - epoch(st.last_contact)) / 86400.0 <= {silence_bound(prune)!r}"""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_days AS
                    SELECT s.person_id, s.c, s.lo AS at FROM pt_span s {quiet}""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE pt_day_scores AS {rolled_scores_sql('pt_states', 'pt_days')}")
    mm = float(meaningful_min)
    # a run that starts under the lowest tier above 0 and under the threshold stays there: its last
    # day needs no score (most runs of a big store: people who talked a little, long ago)
    floor = 0.0 if prune is None else float(prune)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pt_starts AS
        SELECT s.person_id, s.c, s.lo, s.hi, coalesce(a.score, 0.0) AS first_score
        FROM pt_span s LEFT JOIN pt_day_scores a ON a.person_id = s.person_id AND a.c = s.c AND a.at = s.lo""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_days AS SELECT person_id, c, hi - {day} AS at FROM pt_starts
                    WHERE first_score >= {floor!r} AND hi - {day} > lo""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE pt_day_scores AS {rolled_scores_sql('pt_states', 'pt_days')}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_ends AS
        SELECT s.*, CASE WHEN s.first_score < {floor!r} OR s.hi - {day} <= s.lo THEN s.first_score
                         ELSE coalesce(b.score, 0.0) END AS last_score
        FROM pt_starts s LEFT JOIN pt_day_scores b ON b.person_id = s.person_id AND b.c = s.c AND b.at = s.hi - {day}""")
    con.execute("DROP TABLE IF EXISTS pt_starts")
    changing = f"""{tier_sql('first_score')} <> {tier_sql('last_score')}
                   OR (first_score >= {mm!r}) <> (last_score >= {mm!r})"""
    # the runs whose ends differ: every STEP-th day and the last, then every day between two of
    # those in different tiers (the score falls, so the tier changes only there)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_days AS
                    SELECT person_id, c, unnest(generate_series(lo, hi - {day}, INTERVAL {STEP_DAYS} DAY)) AS at
                    FROM pt_ends WHERE {changing}
                    UNION SELECT person_id, c, hi - {day} FROM pt_ends WHERE {changing}""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE pt_points AS {rolled_scores_sql('pt_states', 'pt_days')}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_days AS
        WITH k AS (SELECT x.person_id, x.c, x.at AS day_at, lead(x.at) OVER w AS at_next,
                          {tier_sql('x.score')} AS grp, lead({tier_sql('x.score')}) OVER w AS grp_next,
                          x.score >= {mm!r} AS strong, lead(x.score >= {mm!r}) OVER w AS strong_next
                   FROM pt_points x WINDOW w AS (PARTITION BY x.person_id, x.c ORDER BY x.at))
        SELECT person_id, c, unnest(generate_series(day_at + {day}, at_next - {day}, {day})) AS "at" FROM k
        WHERE at_next - day_at > {day} AND (grp <> grp_next OR strong <> strong_next)""")
    con.execute(f"INSERT INTO pt_points {rolled_scores_sql('pt_states', 'pt_days')}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_seg AS
        WITH p AS (SELECT person_id, greatest(known, {_ts(start)}) AS a,
                          least(coalesce(talk, {_ts(end)}), {_ts(end)}) AS talk FROM pt_people),
        tiers AS (SELECT x.person_id, x.c, min(x.at) AS lo, {tier_sql('x.score')} AS grp, x.score >= {mm!r} AS strong
                  FROM pt_points x GROUP BY x.person_id, x.c, grp, strong),
        runs AS (SELECT t.person_id, t.lo, lead(t.lo, 1, e.hi) OVER (PARTITION BY t.person_id, t.c ORDER BY t.lo) AS hi,
                        t.grp, t.strong
                 FROM tiers t JOIN pt_ends e ON e.person_id = t.person_id AND e.c = t.c)
        SELECT person_id, a AS lo, talk AS hi, '{NO_RELATIONSHIP}' AS grp, false AS strong FROM p WHERE talk > a
        UNION ALL SELECT person_id, lo, hi, {tier_sql('first_score')}, first_score >= {mm!r}
        FROM pt_ends WHERE NOT ({changing})
        UNION ALL SELECT person_id, lo, hi, grp, strong FROM runs""")
    for name in ("pt_days", "pt_day_scores", "pt_ends", "pt_points"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _orders(store: Store, start: datetime, end: datetime, account: str | None, matched: str) -> str:
    """TEMP pt_orders(person_id, day, value, currency) of matched orders in the window (an account's
    view: of its people), and pt_first_order(person_id, day): each person's first order ever.
    Returns the main currency."""
    con = store.con
    people = "SEMI JOIN pt_people p ON p.person_id = m.person_id" if account else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_orders AS
        SELECT m.person_id, date_trunc('day', m.ts AT TIME ZONE 'UTC') AS day, m.value, m.currency
        FROM {matched} m {people}
        WHERE m.person_id IS NOT NULL AND m.ts >= {_ts(start)}::TIMESTAMP AT TIME ZONE 'UTC' AND m.ts < {_ts(end)}::TIMESTAMP AT TIME ZONE 'UTC'""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_first_order AS
        SELECT person_id, date_trunc('day', min(ts AT TIME ZONE 'UTC')) AS day FROM {matched}
        WHERE person_id IS NOT NULL GROUP BY 1""")
    found = con.execute(f"""
        SELECT currency FROM {matched} WHERE ts >= {_ts(start)}::TIMESTAMP AT TIME ZONE 'UTC'
        AND ts < {_ts(end)}::TIMESTAMP AT TIME ZONE 'UTC' GROUP BY 1 ORDER BY sum(value) DESC, 1 LIMIT 1""").fetchone()
    return str(found[0]) if found else "USD"


def _aggregate(store: Store, currency: str, end: datetime, meaningful_min: float, grid: list[datetime]
               ) -> tuple[dict[str, GroupTime], int]:
    """Per group: the sums of :class:`GroupTime`, from pt_seg, pt_orders and pt_first_order."""
    con = store.con
    day = "INTERVAL 1 DAY"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_pg AS
        WITH segs AS (
            SELECT person_id, lo, hi, grp FROM pt_seg
            UNION ALL SELECT person_id, lo, hi, '{MEANINGFUL}' FROM pt_seg WHERE strong),
        days AS (SELECT person_id, grp, sum(date_diff('day', lo, hi))::DOUBLE AS t FROM segs GROUP BY 1, 2),
        -- a buyer's days after their first order (t1 counts the days before it) and their first
        -- orders: from the buyers' runs only
        firsts AS (
            SELECT s.person_id, s.grp,
                   sum(CASE WHEN f.day >= s.hi THEN 0 WHEN f.day < s.lo THEN date_diff('day', s.lo, s.hi)
                            ELSE date_diff('day', f.day + {day}, s.hi) END)::DOUBLE AS after_first,
                   count(*) FILTER (WHERE f.day >= s.lo AND f.day < s.hi) AS o1
            FROM segs s JOIN pt_first_order f ON f.person_id = s.person_id GROUP BY 1, 2),
        bought AS (
            SELECT s.person_id, s.grp, count(*) AS o, sum(o.value) AS v FROM segs s
            JOIN pt_orders o ON o.person_id = s.person_id AND o.day >= s.lo AND o.day < s.hi
            WHERE o.currency = ? GROUP BY 1, 2)
        SELECT d.person_id, d.grp, d.t, d.t - coalesce(x.after_first, 0.0) AS t1, coalesce(x.o1, 0) AS o1,
               coalesce(b.o, 0)::DOUBLE AS o, coalesce(b.v, 0.0) AS v
        FROM days d LEFT JOIN firsts x USING (person_id, grp) LEFT JOIN bought b USING (person_id, grp)""", [currency])
    groups = {g: GroupTime() for g in (*GROUPS, MEANINGFUL)}
    for row in store.rows("""
        SELECT x.grp, count(*) FILTER (WHERE x.t > 0) AS people, count(*) FILTER (WHERE x.o > 0) AS converted,
               sum(x.t) AS person_days, sum(x.o) AS orders, sum(x.v) AS revenue, sum(x.o1) AS first_orders,
               sum(x.t1) AS first_person_days, sum(x.t * x.t) AS t2, sum(x.o * x.t) AS ot, sum(x.o * x.o) AS o2,
               sum(x.v * x.t) AS vt, sum(x.v * x.v) AS v2,
               coalesce(sum(x.o * n.o), 0) AS oo_none, coalesce(sum(x.o * n.t), 0) AS ot_none,
               coalesce(sum(x.t * n.o), 0) AS to_none, coalesce(sum(x.t * n.t), 0) AS tt_none,
               coalesce(sum(x.v * n.v), 0) AS vv_none, coalesce(sum(x.v * n.t), 0) AS vt_none,
               coalesce(sum(x.t * n.v), 0) AS tv_none,
               list(x.v) FILTER (WHERE x.o > 0) AS buyer_revenues
        FROM pt_pg x LEFT JOIN pt_pg n ON n.person_id = x.person_id AND n.grp = 'none' AND x.grp <> 'none'
        GROUP BY 1"""):
        name = row.pop("grp")
        revenues = row.pop("buyer_revenues") or []
        counts = ("people", "converted", "orders", "first_orders")
        group = GroupTime()
        for key, value in row.items():
            setattr(group, key, int(value or 0) if key in counts else float(value or 0))
        group.buyer_revenues = sorted(float(v) for v in revenues)
        groups[name] = group
    # the same per calendar month. The days come from how many people are in each group on each day
    # (+1 where a run starts, -1 where it ends, added up day by day: a pass over the runs, not a row per
    # run and month); t1 leaves out the days after a buyer's first order, from those buyers' runs only
    for row in store.rows(f"""
        WITH runs AS (SELECT person_id, lo, hi, grp FROM pt_seg
                      UNION ALL SELECT person_id, lo, hi, '{MEANINGFUL}' FROM pt_seg WHERE strong),
        after AS (SELECT r.grp, greatest(r.lo, f.day + {day}) AS lo, r.hi FROM runs r
                  JOIN pt_first_order f ON f.person_id = r.person_id AND f.day + {day} < r.hi),
        edges AS (SELECT grp, d, sum(n) AS n, sum(n1) AS n1 FROM (
                      SELECT grp, lo AS d, 1 AS n, 0 AS n1 FROM runs UNION ALL SELECT grp, hi, -1, 0 FROM runs
                      UNION ALL SELECT grp, lo, 0, 1 FROM after UNION ALL SELECT grp, hi, 0, -1 FROM after)
                  GROUP BY 1, 2),
        days AS (SELECT unnest(generate_series({_ts(grid[0])}, {_ts(end)} - {day}, {day})) AS d),
        daily AS (SELECT g.grp, x.d, sum(coalesce(e.n, 0)) OVER w AS active, sum(coalesce(e.n1, 0)) OVER w AS after_first
                  FROM (SELECT DISTINCT grp FROM edges) g CROSS JOIN days x
                  LEFT JOIN edges e ON e.grp = g.grp AND e.d = x.d
                  WINDOW w AS (PARTITION BY g.grp ORDER BY x.d ROWS UNBOUNDED PRECEDING)),
        month_days AS (SELECT grp, date_trunc('month', d) AS m, sum(active)::DOUBLE AS t,
                              sum(active - after_first)::DOUBLE AS t1
                       FROM daily GROUP BY 1, 2 HAVING sum(active) > 0),
        firsts AS (SELECT r.grp, date_trunc('month', f.day) AS m, count(*)::DOUBLE AS o1 FROM runs r
                   JOIN pt_first_order f ON f.person_id = r.person_id AND f.day >= r.lo AND f.day < r.hi GROUP BY 1, 2),
        bought AS (SELECT r.grp, date_trunc('month', o.day) AS m, count(*)::DOUBLE AS o FROM runs r
                   JOIN pt_orders o ON o.person_id = r.person_id AND o.day >= r.lo AND o.day < r.hi
                   WHERE o.currency = ? GROUP BY 1, 2)
        SELECT d.grp, strftime(d.m, '%Y-%m-%d') AS m, d.t, coalesce(b.o, 0.0) AS o, d.t1, coalesce(f.o1, 0.0) AS o1
        FROM month_days d LEFT JOIN bought b USING (grp, m) LEFT JOIN firsts f USING (grp, m) ORDER BY 1, 2""",
            [currency]):
        groups[row["grp"]].by_month[row["m"]] = [row["t"], row["o"], row["t1"], row["o1"]]
    # people in each group at the end of the window (their score as of its last midnight)
    for row in store.rows(f"""
        WITH now AS (SELECT p.person_id, CASE WHEN p.talk <= ? THEN {tier_sql('coalesce(n.score, 0.0)')}
                                              ELSE '{NO_RELATIONSHIP}' END AS grp,
                            p.talk <= ? AND coalesce(n.score, 0.0) >= ? AS strong
                     FROM pt_people p LEFT JOIN pt_now n USING (person_id))
        SELECT grp, count(*) AS n FROM now GROUP BY 1
        UNION ALL SELECT '{MEANINGFUL}', count(*) FROM now WHERE strong""", [end, end, meaningful_min]):
        groups[row["grp"]].people_now = int(row["n"])
    outside = int(store.scalar("""
        SELECT count(*) FROM pt_orders o ANTI JOIN pt_seg s ON s.person_id = o.person_id AND o.day >= s.lo
        AND o.day < s.hi WHERE o.currency = ?""", [currency]) or 0)
    return groups, outside


TEMP_TABLES = ("pt_people", "pt_span", "pt_states", "pt_now", "pt_seg", "pt_orders", "pt_first_order", "pt_pg",
               "pt_need", "pt_firsts", "pt_first_keys", "pt_days", "pt_day_scores", "pt_ends", "pt_starts", "pt_composed",
               "pt_states_new", "pt_first_new", "pt_points", *TOUCH_TEMP_TABLES)


def _prune(meaningful_min: float) -> float | None:
    return min(LOWEST_TIER_ABOVE_ZERO, meaningful_min) if meaningful_min > 0 else None


def _exposure(store: Store, grid: list[datetime], start: datetime, end: datetime, meaningful_min: float,
              account: str | None, fresh: set[datetime]) -> None:
    """TEMP pt_people, pt_now and pt_seg: who is watched, their tier now, and the tier of every day."""
    _people(store, account, end)
    _spans(store, grid, start, end)
    _states(store, account, {g for g in grid if g in fresh} if account is None else set())
    if add_touch_cuts(store, account, grid[0], end):  # the midnight after every other day with a touchpoint
        _spans(store, grid, start, end, touch_cuts=True)
    _now(store, end, account, fresh, _prune(meaningful_min))
    _segments(store, start, end, meaningful_min, _prune(meaningful_min))


def person_time(store: Store, start: datetime, end: datetime, meaningful_min: float, account: str | None = None,
                fresh: set[datetime] | None = None, matched: str | None = None,
                exposure: Callable[..., object] | None = None) -> PersonTime:
    """Person-time and orders by tier in [start, end) (naive UTC midnights). ``fresh``: the grid
    dates (and ``end``) the score history composes exactly (insights.snapshots.fresh_dates); the
    other cuts are scored from the touchpoints. ``matched``: a table holding the orders as MATCH_SQL
    gives them. ``exposure`` (the whole store's refresh: person_days_kept.exposure_kept) leaves the
    TEMP tables :func:`_exposure` would, its own way (from the days by tier it keeps)."""
    grid = month_grid(start, end)
    if fresh is None:
        from .snapshots import fresh_dates

        fresh = fresh_dates(store, [*grid, end])
    try:
        if exposure is not None and account is None:
            exposure(store, grid, start, end, meaningful_min, fresh)
        else:
            _exposure(store, grid, start, end, meaningful_min, account, fresh)
        currency = _orders(store, start, end, account, matched or f"({MATCH_SQL})")
        groups, outside = _aggregate(store, currency, end, meaningful_min, grid)
    finally:
        for name in TEMP_TABLES:
            store.con.execute(f"DROP TABLE IF EXISTS {name}")
    return PersonTime(start, end, currency, meaningful_min, groups, outside)


def exposure_segments(store: Store, start: datetime, end: datetime, meaningful_min: float,
                      fresh: set[datetime] | None = None, account: str | None = None
                      ) -> list[tuple[int, datetime, datetime, str, bool]]:
    """Every person's days in [start, end) as (person_id, from, to, tier, meaningful) runs: what each
    person-day counts as. The simulation harness plants orders on them (tests/revenue)."""
    grid = month_grid(start, end)
    if fresh is None:
        from .snapshots import fresh_dates

        fresh = fresh_dates(store, [*grid, end])
    try:
        _exposure(store, grid, start, end, meaningful_min, account, fresh)
        return [(int(r[0]), r[1], r[2], str(r[3]), bool(r[4])) for r in store.con.execute(
            "SELECT person_id, lo, hi, grp, strong FROM pt_seg ORDER BY person_id, lo").fetchall()]
    finally:
        for name in TEMP_TABLES:
            store.con.execute(f"DROP TABLE IF EXISTS {name}")
