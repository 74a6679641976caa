"""Score history as change rows: a state is stored when it changes, a date's score is composed.

``connection_history`` / ``person_history`` hold, per key, the raw dimensions from the date they took
effect (the decayed ones referenced to that date), or a tombstone (``removed``) from the date the key
had no touchpoints left. A key with no new touchpoint needs no row: its decayed dimensions only
shrink by a known factor (dimensions.decay_factors), so the score on any date D is a pure function
of the latest row at or before D and D itself (:func:`compose`), the same Ibis expression on DuckDB
and Spark. A run at D writes a row only for a key whose state at D differs from that composition
(:func:`write_history`); time passing writes nothing.

The newest scored date stays materialised in connection_scores / person_scores / connection_top for
the listings; readers of any other date use :func:`scores_sql`.

A full run at the newest date would write every key's state twice, as history rows and as the score
tables. Its history rows stay *pending* instead: the score tables hold them and ``history_pending``
lists the date. Readers read the views ``connection_history_all`` / ``person_history_all`` (the
stored rows of ``connection_history`` / ``person_history`` and the pending ones, :data:`HISTORY`),
so every reader sees one history. The next run that
rewrites the score tables, or writes history at or after that date, writes them out first
(:func:`settle_pending`): only the rows that differ from the composition before, as any run would.
"""
from __future__ import annotations

from datetime import UTC, datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import duckdb

from tiescale.lazymodules import lazy_module
from tiescale.sqlcache import SQL_CACHE
from tiescale.store.db import Store
from tiescale.timeparse import parse_ts
from .compiled import compiled_sql
from .config import DEFAULT, RAW_DIMENSIONS, SCORED_COLUMNS, ScaleConfig
from .dimensions import DAY_SECONDS, INTEGER_DIMENSIONS, decay_factors
from .scale import scored

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir
else:
    ibis = lazy_module("ibis")  # imported on first use: readers get their SQL from the cache

Level = Literal["connection", "person"]

#: The history of each level as readers see it (a view: the stored rows and any pending ones), and its key.
HISTORY: dict[str, tuple[str, str]] = {
    "connection": ("connection_history_all", "connection_id"),
    "person": ("person_history_all", "person_id"),
}
#: The table of each level's stored history rows (what writers write).
HISTORY_ROWS: dict[str, str] = {"connection": "connection_history", "person": "person_history"}
#: Both levels, connections first.
LEVELS: tuple[Level, Level] = ("connection", "person")
#: The materialised newest date of each level.
CURRENT: dict[str, str] = {"connection": "connection_scores", "person": "person_scores"}

_TIMES = ("first_contact", "last_contact")
RAW_TYPES: dict[str, str] = {
    c: "timestamp" if c in _TIMES else "int64" if c in INTEGER_DIMENSIONS else "float64" for c in RAW_DIMENSIONS}
#: Relative difference under which a recomputed dimension equals the composed one (float noise of
#: rolling forward in one step or several).
TOLERANCE = 1e-9


def history_table(level: Level) -> ir.Table:
    """The history table of ``level`` as an unbound Ibis table (compiled to SQL by name)."""
    table, key = HISTORY[level]
    return ibis.table({key: "int64", "as_of": "timestamp", **RAW_TYPES, "removed": "boolean"}, name=table)


def _timestamp(value: datetime) -> ir.TimestampValue:
    return ibis.literal(value, type="timestamp")


def with_validity(history: ir.Table, key: str) -> ir.Table:
    """Each row with ``valid_until``: the key's next row date (null: still its latest)."""
    window = ibis.window(group_by=history[key], order_by=history.as_of)
    return history.mutate(valid_until=history.as_of.lead().over(window))


def rolled_forward(rows: ir.Table, at: ir.TimestampValue, config: ScaleConfig) -> ir.Table:
    """``rows`` (history rows) with their decayed dimensions rolled forward from their date to ``at``."""
    age = (at.epoch_seconds() - rows.as_of.epoch_seconds()).cast("float64") / DAY_SECONDS
    factors = decay_factors(age, config)
    return rows.mutate(**{c: rows[c] * factor for c, factor in factors.items()})


def _latest(rows: ir.Table, key: str) -> ir.Table:
    """Each key's latest row of ``rows``."""
    latest = rows.group_by(key).aggregate(effective=rows.as_of.max())
    return rows.join(latest, [rows[key] == latest[key], rows.as_of == latest.effective]).select(rows)


def state(history: ir.Table, key: str, upto: datetime, at: datetime | None = None,
          config: ScaleConfig = DEFAULT) -> ir.Table:
    """Raw dimensions per key at ``at`` (default ``upto``): the latest row at or before ``upto``,
    unless a tombstone, rolled forward to ``at`` (no rows after ``upto`` count)."""
    rows = history.filter(history.as_of <= _timestamp(upto))
    rows = _latest(rows, key)
    rows = rows.filter(~rows.removed)
    return rolled_forward(rows, _timestamp(at or upto), config).select(key, *RAW_DIMENSIONS)


def state_after(history: ir.Table, key: str, materialised: ir.Table, since: datetime, upto: datetime,
                at: datetime, config: ScaleConfig = DEFAULT) -> ir.Table:
    """:func:`state` from the states at ``since`` given whole in ``materialised`` (key, as_of = ``since``,
    raw dimensions: the newest date's score table) and the history rows after it: a key's latest row
    in (``since``, ``upto``] if it has one (a tombstone removes it), else its materialised row. Equal
    to :func:`state` when ``materialised`` is the composition at ``since`` of the same history."""
    rows = history.filter(history.as_of > _timestamp(since), history.as_of <= _timestamp(upto))
    rows = _latest(rows, key)
    base = materialised.filter(materialised.as_of == _timestamp(since)).anti_join(rows, key)
    kept = rows.filter(~rows.removed).select(key, "as_of", *RAW_DIMENSIONS)
    both = kept.union(base.select(key, "as_of", *RAW_DIMENSIONS))
    return rolled_forward(both, _timestamp(at), config).select(key, *RAW_DIMENSIONS)


def compose(history: ir.Table, key: str, at: datetime, config: ScaleConfig = DEFAULT) -> ir.Table:
    """Every key's score row at ``at``: its state (:func:`state`) through scale.scored."""
    return scored(state(history, key, at, config=config), at, config)


def compose_dates(history: ir.Table, key: str, dates: ir.Table, config: ScaleConfig = DEFAULT,
                  max_silence_days: float | None = None) -> ir.Table:
    """Score rows of every key at every date of ``dates`` (column ``at``), with ``at`` on each row.

    Each row is valid from its date to the key's next one, so a (key, date) pair meets exactly one
    row: no regrouping. ``max_silence_days`` leaves out pairs whose last contact is older than that
    at the date (a score that freshness alone keeps below a threshold, see :func:`silence_bound`).
    """
    rows = with_validity(history, key)
    condition = [rows.as_of <= dates.at, rows.valid_until.isnull() | (dates.at < rows.valid_until)]
    pairs = rows.filter(~rows.removed).join(dates, condition)
    if max_silence_days is not None:
        silence = (pairs.at.epoch_seconds() - pairs.last_contact.epoch_seconds()).cast("float64") / DAY_SECONDS
        pairs = pairs.filter(silence <= max_silence_days)
    dims = rolled_forward(pairs, pairs.at, config).select(key, "at", *RAW_DIMENSIONS)
    return scored(dims, dims.at, config)


def silence_bound(min_score: float, config: ScaleConfig = DEFAULT) -> float:
    """Days of silence after which no score reaches ``min_score``: every point is multiplied by the
    freshness factor and they add up to at most 10 (scale.py)."""
    if min_score <= 0:
        return float("inf")
    return config.grace_days + config.freshness_days * max(10.0 / min_score - 1.0, 0.0)


# -- SQL for the readers ---------------------------------------------------------------------------
def _literal_sql(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def materialised_date(con: duckdb.DuckDBPyConnection, level: Level = "person") -> datetime | None:
    """The one date connection_scores / person_scores hold (the newest scored)."""
    found = con.execute(f"SELECT max(as_of) FROM {CURRENT[level]}").fetchone()
    return found[0] if found else None


def composed_sql(at: datetime, level: Level, config: ScaleConfig = DEFAULT) -> str:
    """SQL of the rows the score table of ``level`` would hold at ``at`` (same columns), composed."""
    table, key = HISTORY[level]
    history = history_table(level)
    body = compiled_sql(("compose", level, config), lambda at: compose(history, key, at, config), at=at)
    columns = ", ".join(f"s.{c}" for c in SCORED_COLUMNS)
    if level == "connection":  # named through connections (a forgotten connection has none)
        return f"""SELECT {_literal_sql(at)} AS as_of, c.account, c.platform, c.person, s.connection_id, {columns}
                   FROM ({body}) s JOIN connections c USING (connection_id)"""
    return f"""SELECT {_literal_sql(at)} AS as_of, s.person_id, {columns}
               FROM ({body}) s SEMI JOIN people p ON p.person_id = s.person_id"""


def naive_utc(value: datetime | str) -> datetime:
    """A date as the score tables store it: naive UTC (text in any form tiescale reads)."""
    if isinstance(value, str):
        value = parse_ts(value)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def scores_sql(store: Store, at: datetime | str, level: Level = "person", config: ScaleConfig = DEFAULT) -> str:
    """SQL (a SELECT) of the score rows of ``level`` at ``at``, with the score table's columns:
    the materialised table when it holds ``at``, else the composition of the history."""
    at = naive_utc(at)
    if materialised_date(store.con, level) == at:
        return f"SELECT * FROM {CURRENT[level]} WHERE as_of = {_literal_sql(at)}"
    return composed_sql(at, level, config)


#: The key compiled into :func:`scores_over_sql`'s text for ``only`` (no key is this number).
_ONLY_STAND_IN = -987_654_321_987


def scores_over_sql(dates_sql: str, level: Level = "person", config: ScaleConfig = DEFAULT,
                    min_score: float | None = None, only: int | Sequence[int] | str | None = None) -> str:
    """SQL of score rows at every date of ``dates_sql`` (a SELECT of one timestamp column ``at``),
    with ``as_of`` the date; ``min_score`` prunes pairs freshness keeps below it (rows below it may
    remain: filter on score too); ``only``: that key's rows, or those keys' (a page of people: the
    history is filtered before it is composed, so a page costs its rows, not the whole history), or
    the keys of a table named by a string (its column named as the key)."""
    table, key = HISTORY[level]
    bound = silence_bound(min_score, config) if min_score is not None else None

    def compile_body() -> str:
        dates = ibis.table({"at": "timestamp"}, name="score_history_dates")
        history = history_table(level)
        if only is not None:  # a stand-in key, replaced below: one compiled text serves every key
            history = history.filter(history[key] == _ONLY_STAND_IN)
        expr = compose_dates(history, key, dates, config,
                             max_silence_days=bound if bound != float("inf") else None)
        return str(ibis.to_sql(expr, dialect="duckdb"))

    body = SQL_CACHE.get_or_compile(f"over {level} {config!r} {bound!r} {only is not None}", compile_body)
    if only is not None:
        if body.count(str(_ONLY_STAND_IN)) != 1:
            raise AssertionError("the stand-in key is not in the compiled history filter once")
        if isinstance(only, int):
            body = body.replace(str(_ONLY_STAND_IN), str(int(only)))
        elif isinstance(only, str):
            compared = f"= {_ONLY_STAND_IN}"
            if body.count(compared) != 1:
                raise AssertionError("the stand-in key is not compared with = in the compiled history filter")
            body = body.replace(compared, f"IN (SELECT {key} FROM {only})")
        else:
            compared = f"= {_ONLY_STAND_IN}"
            if body.count(compared) != 1:
                raise AssertionError("the stand-in key is not compared with = in the compiled history filter")
            keys = ", ".join(str(int(k)) for k in only)
            body = body.replace(compared, f"IN ({keys})" if keys else "IN (NULL)")
    columns = ", ".join(f"s.{c}" for c in SCORED_COLUMNS)
    if level == "connection":
        return f"""WITH score_history_dates AS ({dates_sql})
                   SELECT s.at AS as_of, c.account, c.platform, c.person, s.connection_id, {columns}
                   FROM ({body}) s JOIN connections c USING (connection_id)"""
    return f"""WITH score_history_dates AS ({dates_sql})
               SELECT s.at AS as_of, s.person_id, {columns}
               FROM ({body}) s SEMI JOIN people p ON p.person_id = s.person_id"""


# -- writing --------------------------------------------------------------------------------------
def _equal_sql(column: str) -> str:
    new, old = f"n.{column}", f"b.{column}"
    if RAW_TYPES[column] == "float64":
        return f"(abs({new} - {old}) <= {TOLERANCE!r} * greatest(abs({new}), abs({old})))"
    return f"({new} IS NOT DISTINCT FROM {old})"


def _with_state_keys(sql: str, key: str, keys: str) -> str:
    """``sql`` (compiled against a table ``state_keys``) with that table defined as the keys of ``keys``."""
    keys_cte = f"state_keys AS (SELECT {key} FROM {keys})"
    return sql.replace("WITH ", f"WITH {keys_cte}, ", 1) if sql.lstrip().upper().startswith("WITH") \
        else f"WITH {keys_cte} {sql}"


def state_sql(level: Level, upto: datetime, at: datetime | None = None, config: ScaleConfig = DEFAULT,
              keys: str | None = None) -> str:
    """SQL of :func:`state` (raw dimensions per key at ``at``, from the rows at or before ``upto``),
    for every key or only the keys in table ``keys`` (its history filtered before it is composed)."""
    _table, key = HISTORY[level]
    dates = {"upto": upto, "at": at or upto}
    if keys is None:
        return compiled_sql(("state", level, config),
                            lambda upto, at: state(history_table(level), key, upto, at, config), **dates)

    def of_keys(upto: datetime, at: datetime) -> ir.Table:  # built only when not compiled before
        history, chosen = history_table(level), ibis.table({key: "int64"}, name="state_keys")
        return state(history.filter(history[key].isin(chosen[key])), key, upto, at, config)

    sql = compiled_sql(("state of keys", level, config), of_keys, **dates)
    return _with_state_keys(sql, key, keys)


def history_unchanged_since(con: duckdb.DuckDBPyConnection, level: Level, computed_at: datetime,
                            at: datetime) -> bool:
    """Whether the composition of ``level`` at ``at`` is still what it was at ``computed_at`` (the time
    a run stored it), as far as the runs since can tell: every run since at a date at or before ``at``
    was the first at its date, no merge was made or undone since, and every row those runs wrote is
    shadowed at ``at`` by a later row of its key at or before ``at``. A first run one window back
    writes rows between two scored dates; they change neither. A run again at a date (its old rows
    replaced, unknown now), or a row that is the latest of its key at ``at``, may: then False."""
    table, key = HISTORY[level]
    since = con.execute(
        """SELECT as_of, min(computed_at) > ? AS first FROM score_runs WHERE as_of <= ?
           GROUP BY as_of HAVING max(computed_at) > ?""", [computed_at, at, computed_at]).fetchall()
    if not all(first for _as_of, first in since):
        return False
    merged = con.execute("SELECT count(*) FROM merges WHERE greatest(created_at, coalesce(undone_at, created_at)) > ?",
                         [computed_at]).fetchone()
    if merged and merged[0]:
        return False
    dates = [as_of for as_of, _first in since]
    if not dates:
        return True
    found = con.execute(f"""
        SELECT count(*) FROM (
            SELECT n.{key} FROM {table} n WHERE n.as_of IN (SELECT unnest(?::TIMESTAMP[]))
            AND NOT EXISTS (SELECT 1 FROM {table} h WHERE h.{key} = n.{key} AND h.as_of > n.as_of AND h.as_of <= ?)
            LIMIT 1)""", [dates, at]).fetchone()
    return not (found and found[0])


def materialised_state_sql(con: duckdb.DuckDBPyConnection, level: Level, upto: datetime, at: datetime,
                           config: ScaleConfig = DEFAULT, keys: str | None = None) -> str | None:
    """SQL of :func:`state_sql` read from the newest date's score table and the history rows after
    it (:func:`state_after`), or None when that table is not the composition at its date (another
    scale, empty mid-run, the history changed under it: :func:`history_unchanged_since`) or is later
    than ``upto``. It reads a million materialised rows instead of composing every row of the history
    (0.85 s for the connections of the 10M heavy set, 0.2 s this way)."""
    from .stamp import scale_fingerprint

    table, key = HISTORY[level]
    newest = materialised_date(con, level)
    if newest is None or newest > upto:
        return None
    run = con.execute("SELECT arg_max(scale, computed_at), max(computed_at) FROM score_runs WHERE as_of = ?",
                      [newest]).fetchone()
    if not run or run[0] != scale_fingerprint(config) or not history_unchanged_since(con, level, run[1], newest):
        return None
    sql = _state_after_sql(level, config, keys is not None, newest, upto, at)
    if keys is None:
        return sql
    return _with_state_keys(sql, key, keys)


def _state_after_sql(level: Level, config: ScaleConfig, keyed: bool, since: datetime, upto: datetime,
                     at: datetime) -> str:
    """The compiled SQL of :func:`state_after` over the score table of ``level`` (of the keys in a
    table ``state_keys`` when ``keyed``)."""
    _table, key = HISTORY[level]
    columns = {key: "int64", "as_of": "timestamp", **RAW_TYPES}

    def build(since: datetime, upto: datetime, at: datetime) -> ir.Table:
        history, current = history_table(level), ibis.table(columns, name=CURRENT[level])
        if keyed:
            chosen = ibis.table({key: "int64"}, name="state_keys")
            history = history.filter(history[key].isin(chosen[key]))
            current = current.filter(current[key].isin(chosen[key]))
        return state_after(history, key, current, since, upto, at, config)

    return compiled_sql(("state after", level, config, keyed), build, since=since, upto=upto, at=at)


def compile_incremental_sql(config: ScaleConfig = DEFAULT) -> None:
    """Compile into the SQL cache what only an incremental run reads (a run's previous state from the
    newest date's score table), so that a full build leaves nothing for the first day to compile."""
    day = datetime(2000, 1, 1)  # any date: the cache keeps the text with stand-in dates
    for level in LEVELS:
        for keyed in (False, True):
            _state_after_sql(level, config, keyed, day, day, day)


def write_history(con: duckdb.DuckDBPyConnection, level: Level, at: datetime, dims: str,
                  config: ScaleConfig = DEFAULT, keys: str | None = None, since: datetime | None = None) -> int:
    """Store the states in ``dims`` (a table: key and raw dimensions of every scored key at ``at``)
    as change rows at ``at``: a row for each key whose state differs from the composition of the
    earlier rows, a tombstone for each composed key that ``dims`` lacks. Returns the rows written.

    ``keys`` (a table with the key column) and ``since`` (the run the rows of ``dims`` rolled
    forward from): only these keys can differ, because every other row of ``dims`` is the state at
    ``since`` rolled forward, which is the composition at ``at`` unless the key has history rows
    after ``since`` (compared too, whatever ``keys`` says). Then only their history is composed and
    compared: at a million keys with a day's worth touched, a fraction of composing them all.
    """
    _view, key = HISTORY[level]
    table = HISTORY_ROWS[level]
    cut = _literal_sql(at)
    con.execute(f"DELETE FROM {table} WHERE as_of = {cut}")
    if keys is None or since is None:
        before = state_sql(level, at, config=config)
        new_rows = dims
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE history_keys AS SELECT {key} FROM {keys} UNION "
                    f"SELECT {key} FROM {table} WHERE as_of > {_literal_sql(since)} AND as_of < {cut}")
        before = state_sql(level, at, config=config, keys="history_keys")
        new_rows = f"(SELECT * FROM {dims} SEMI JOIN history_keys USING ({key}))"
    raw = ", ".join(f"n.{c}" for c in RAW_DIMENSIONS)
    same = " AND ".join(_equal_sql(c) for c in RAW_DIMENSIONS)
    nulls = ", ".join(f"NULL AS {c}" for c in RAW_DIMENSIONS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE history_before AS {before}")
    try:
        found = con.execute(f"""
            INSERT INTO {table} BY NAME
            SELECT n.{key}, {cut} AS as_of, {raw}, false AS removed
            FROM {new_rows} n LEFT JOIN history_before b ON b.{key} = n.{key}
            WHERE b.{key} IS NULL OR NOT ({same})
            UNION ALL BY NAME
            SELECT b.{key}, {cut} AS as_of, {nulls}, true AS removed
            FROM history_before b ANTI JOIN {new_rows} n ON n.{key} = b.{key}""").fetchone()
    finally:
        con.execute("DROP TABLE IF EXISTS temp.main.history_before")
        con.execute("DROP TABLE IF EXISTS temp.main.history_keys")
    return int(found[0]) if found else 0


# -- pending rows: a full run's history kept in the score tables --------------------------------
def pending_dates(con: duckdb.DuckDBPyConnection) -> list[tuple[Level, datetime]]:
    """The (level, date) whose history rows wait in the score tables."""
    return [(level, as_of) for level, as_of in
            con.execute("SELECT level, as_of FROM history_pending ORDER BY as_of, level").fetchall()]


def settle_pending(con: duckdb.DuckDBPyConnection, upto: datetime, config: ScaleConfig = DEFAULT,
                   rewritten: datetime | None = None) -> None:
    """Write out the pending history rows of every date at or before ``upto`` (before a run at
    ``upto`` writes history there or rewrites the score tables): the rows of the score table at
    that date, as change rows against the stored history before it (:func:`write_history`). Rows of
    the date ``rewritten`` are not written: the caller writes every key's row there itself."""
    for level, as_of in pending_dates(con):
        if as_of > upto:
            continue
        con.execute("DELETE FROM history_pending WHERE level = ? AND as_of = ?", [level, as_of])
        if as_of == rewritten:
            continue
        _view, key = HISTORY[level]
        raw = ", ".join(RAW_DIMENSIONS)
        rows = (f"(SELECT {key}, {raw} FROM {CURRENT[level]} "
                f"WHERE as_of = {_literal_sql(as_of)} AND {key} IS NOT NULL)")
        write_history(con, level, as_of, rows, config)


def write_pending(con: duckdb.DuckDBPyConnection, level: Level, at: datetime, dims: str,
                  config: ScaleConfig = DEFAULT) -> None:
    """A full run's history at the newest date ``at``: the tombstones of the keys ``dims`` (every
    scored key) lacks, stored now; the other rows left pending in the score table that the caller
    fills with ``dims`` at ``at`` (:func:`mark_pending`, in that transaction). Call after
    :func:`settle_pending` (no pending rows at or before ``at``)."""
    _view, key = HISTORY[level]
    table = HISTORY_ROWS[level]
    cut = _literal_sql(at)
    con.execute(f"DELETE FROM {table} WHERE as_of = {cut}")
    # the keys with history and no state now: tombstones where their latest state is not one already
    con.execute(f"""CREATE OR REPLACE TEMP TABLE history_keys AS
        SELECT DISTINCT h.{key} FROM {table} h ANTI JOIN {dims} d ON d.{key} = h.{key} WHERE h.as_of < {cut}""")
    nulls = ", ".join(f"NULL AS {c}" for c in RAW_DIMENSIONS)
    try:
        con.execute(f"""INSERT INTO {table} BY NAME
            SELECT {key}, {cut} AS as_of, {nulls}, true AS removed
            FROM ({state_sql(level, at, config=config, keys="history_keys")})""")
    finally:
        con.execute("DROP TABLE IF EXISTS temp.main.history_keys")


def mark_pending(con: duckdb.DuckDBPyConnection, at: datetime) -> None:
    """Record that both levels' history rows at ``at`` are the score tables' rows (see
    :func:`write_pending`): in the transaction that writes those tables."""
    con.execute("DELETE FROM history_pending WHERE as_of = ?", [at])
    con.executemany("INSERT INTO history_pending VALUES (?, ?)", [[level, at] for level in LEVELS])
