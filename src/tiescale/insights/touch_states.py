"""A person's state at the midnight after each day they had a touchpoint, cheaply (issue 17).

Person-time (person_time.py) counts each day in the tier of the person's state at the latest cut,
rolled forward to that day. The month starts and the midnight after the first conversation are cuts
whose states come from the score history or the touchpoints (tiers_before.pair_states). This module
adds a cut at the midnight after every other day with a touchpoint, so a day's tier uses every
touchpoint before it and nothing from it or later: the score the person had that day.

Its state is computed the way the scorer's incremental runs add new days (scoring/incremental.py):
every dimension is a sum over days (decayed by each day's age) or a first/last time, so the state at
the midnight ``c`` after an active day is the state at the run's cut ``b`` rolled forward to ``c``
plus the dimensions, as of ``c``, of the person's days in [b, c) alone (sums add, first/last widen).
Only the month's own days are read, never the whole history, and each of them once: the day rows are
the scale's own (scoring.dimensions.daily keyed by person, which equals rolling up the connections'
days); each day's dimensions at the midnight after it are the scale's own expression
(scoring.dimensions.dimensions, every day at once, each moved forward by whole days to one reference
date as tiers_before.score_pairs does); and the dimensions of [b, c) are those added up in order, a
decayed one times its decay from the midnight after its day to ``c`` (the factor rolled_forward
applies), in a running sum per person and month. So the cost grows with the days that had a
touchpoint, not with their square. tests/revenue/test_day_tiers.py checks every day's tier against
scoring every day from the touchpoints.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tiescale.store.db import Store

#: TEMP tables this module leaves or may leave on an error (person_time drops them).
TOUCH_TEMP_TABLES = ("pt_touch_conns", "pt_touch_days", "pt_touch_cuts", "pt_touch_delta",
                     "pt_touch_base")


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def add_touch_cuts(store: Store, account: str | None, first: datetime, end: datetime) -> int:
    """From TEMP pt_people, pt_span (the runs between the month-start and first-conversation cuts)
    and pt_states (their states): TEMP pt_touch_cuts(person_id, c), the midnight after each day with
    a touchpoint inside a run that is not already a cut, and their states added to pt_states.
    Returns how many cuts were added. ``first``: the first month start of the grid; with
    ``account``, that account's touchpoints only."""
    from tiescale.scoring.compiled import compiled_sql
    from tiescale.scoring.config import DEFAULT, RAW_DIMENSIONS
    from tiescale.scoring.dimensions import HALF_LIVES, daily, dimensions
    from tiescale.scoring.history import RAW_TYPES, rolled_forward
    from tiescale.scoring.incremental import Backend, added_columns_sql
    from tiescale.scoring.warmth import scoring_inputs

    con = store.con
    quoted = (account or "").replace("'", "''")
    acc = f"AND t.account = '{quoted}'" if account else ""  # a literal: a view takes no parameters
    # the touchpoints of the people who talked, from the first conversation's midnight (or the
    # earliest run's cut) to the end: the days inside their runs
    # connections to people first (a small table), then the touchpoints by their integer connection
    # id, as the scorer reads them: no join of every touchpoint with the identities on strings
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_touch_conns AS
        SELECT c.connection_id, d.person_id, greatest(p.talk, {_ts(first)}) AT TIME ZONE 'UTC' AS since FROM connections c
        JOIN identities d ON d.platform = c.platform AND d.handle = c.person
        JOIN pt_people p ON p.person_id = d.person_id AND p.talk < {_ts(end)}
        WHERE TRUE {acc.replace('t.account', 'c.account')}""")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW pt_touch_events AS
        SELECT k.person_id, make_timestamp(epoch_us(t.ts)) AS ts, t.direction, t.kind, t.words, t.warmth
        FROM interactions t JOIN pt_touch_conns k USING (connection_id)
        WHERE t.ts >= {_ts(first)}::TIMESTAMP AT TIME ZONE 'UTC' AND t.ts < {_ts(end)}::TIMESTAMP AT TIME ZONE 'UTC'
          AND t.ts >= k.since""")
    try:
        backend = Backend(con)  # Ibis loads only if the SQL was not compiled before
        days_sql = compiled_sql(("person_time touch days",),
                                lambda as_of: daily(scoring_inputs(backend.table("pt_touch_events")), ["person_id"],
                                                    as_of), as_of=end)
        # each day in the run it falls in: its cut (the month start, or the first conversation's
        # midnight when later: the cuts of pt_span) and the next cut (the next month start)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE pt_touch_days AS
            SELECT d.*, greatest(date_trunc('month', d.day), p.talk) AS base,
                   least(date_trunc('month', d.day) + INTERVAL 1 MONTH, {_ts(end)}) AS base_next
            FROM ({days_sql}) d JOIN pt_people p USING (person_id)""")
    finally:
        con.execute("DROP VIEW IF EXISTS pt_touch_events")
        con.execute("DROP TABLE IF EXISTS pt_touch_conns")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pt_touch_cuts AS
        SELECT person_id, day + INTERVAL 1 DAY AS c FROM pt_touch_days WHERE day + INTERVAL 1 DAY < base_next""")
    added = int(store.scalar("SELECT count(*) FROM pt_touch_cuts") or 0)
    if not added:
        con.execute("DROP TABLE IF EXISTS pt_touch_days")
        return 0
    reference: datetime = store.scalar("SELECT max(day) FROM pt_touch_days") + timedelta(days=1)
    ref = _ts(reference)
    # each day's own dimensions at the midnight after it (moved to the day before the reference date)
    shifted = ", ".join(f"{c} + ({ref} - (day + INTERVAL 1 DAY)) AS {c}"
                        for c in ("day", "first_ts", "last_ts", "first_in_ts"))
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW pt_touch_pairs AS
        SELECT person_id, base, day + INTERVAL 1 DAY AS c, w_in, w_out, n_in, n_out, n_dm, words, warm, {shifted}
        FROM pt_touch_days WHERE day + INTERVAL 1 DAY < base_next""")
    try:
        dims_sql = compiled_sql(("person_time touch day dims", ("person_id", "base", "c"), DEFAULT),
                                lambda as_of: dimensions(backend.table("pt_touch_pairs"), ["person_id", "base", "c"],
                                                         as_of, DEFAULT),
                                as_of=reference)
        # the days of a run so far, added up (a run is a person's days of one month from its cut): a
        # decayed dimension of a day at the cut c is its value at the midnight after the day times
        # decay(c - that midnight); written relative to the run's cut (at most a month before c) so the
        # running sum keeps its precision
        window = "OVER (PARTITION BY person_id, base ORDER BY c ROWS UNBOUNDED PRECEDING)"
        age = "(epoch(c) - epoch(base)) / 86400.0"
        sums = []
        for c in RAW_DIMENSIONS:
            if c == "first_contact":
                sums.append(f"min({c} - ({ref} - c)) {window} AS {c}")
            elif c == "last_contact":
                sums.append(f"max({c} - ({ref} - c)) {window} AS {c}")
            elif c in HALF_LIVES:
                half_life = float(getattr(DEFAULT, HALF_LIVES[c]))
                sums.append(f"pow(0.5, {age} / {half_life!r}) * sum({c} * pow(2.0, {age} / {half_life!r})) {window} "
                            f"AS {c}")
            else:
                sums.append(f"sum({c}) {window} AS {c}")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE pt_touch_delta AS
            SELECT person_id, base, c, {', '.join(sums)} FROM ({dims_sql})""")
    finally:
        con.execute("DROP VIEW IF EXISTS pt_touch_pairs")
    con.execute("DROP TABLE IF EXISTS pt_touch_days")
    # the run's state rolled forward to each new cut, as the score history composes it
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pt_touch_base AS
        SELECT k.person_id, k.c, s.as_of, {', '.join(f's.{c}' for c in RAW_DIMENSIONS)}
        FROM pt_touch_delta k JOIN pt_states s ON s.person_id = k.person_id AND s.c = k.base""")
    def rolled() -> Any:  # built only when not compiled before
        import ibis

        base = ibis.table({"person_id": "int64", "c": "timestamp", "as_of": "timestamp", **RAW_TYPES},
                          name="pt_touch_base")
        return rolled_forward(base, base.c, DEFAULT).select("person_id", "c", *RAW_DIMENSIONS)

    rolled_sql = compiled_sql(("person_time touch rolled", DEFAULT), rolled)
    columns = added_columns_sql("o", "n")  # as the incremental scorer adds new days to a state
    # every new cut has a day in its delta (the day before it); the run's state may be missing
    con.execute(f"""
        INSERT INTO pt_states SELECT n.person_id, n.c, n.c, {', '.join(columns)}
        FROM pt_touch_delta n LEFT JOIN ({rolled_sql}) o ON o.person_id = n.person_id AND o.c = n.c""")
    for name in ("pt_touch_delta", "pt_touch_base"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return added
