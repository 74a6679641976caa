"""Scoring on the DuckDB store, incremental where it can be.

A connection with no new touchpoint since the previous run is its state then (the composition of
the history, scoring/history.py) rolled forward in time: its decayed fields times
0.5^(days / half-life), everything else unchanged, which equals recomputing it. Only touched
connections (new imports since the run, touchpoints after its cut, or marked dirty) and their
people are recomputed from the touchpoints. A run writes history rows for the states that changed;
a run at the newest date also rewrites the materialised score tables.

Everything runs inside DuckDB: the Ibis expressions of dimensions.py / scale.py are compiled to
SQL and written straight into the snapshot tables, with no round trip through Python.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from tiescale.store.db import Store
from .compiled import compiled_sql
from .config import RAW_DIMENSIONS, SCORED_COLUMNS, ScaleConfig
from .dimensions import across, contact_dimensions, day_marks
from .history import (HISTORY, LEVELS, Level, history_unchanged_since, mark_pending, materialised_state_sql,
                      settle_pending, state_sql, write_history, write_pending)
from .scale import scored
from .top import write_top
from .warmth import scoring_inputs

if TYPE_CHECKING:
    import ibis.expr.types as ir

Connection = duckdb.DuckDBPyConnection

#: Connections are grouped by their integer id (store.schema's ``connections``), named only when written.
CONNECTION_KEY = ("connection_id",)


class Backend:
    """The connection's tables as Ibis expressions, the Ibis backend made on first use: a run whose
    SQL was all compiled before (scoring/compiled.py keeps it between processes) never loads Ibis."""

    def __init__(self, con: Connection) -> None:
        self._con = con
        self._backend: Any = None

    def table(self, name: str) -> ir.Table:
        if self._backend is None:
            import ibis

            self._backend = ibis.duckdb.from_connection(self._con)
        table: ir.Table = self._backend.table(name)
        return table



@dataclass
class Previous:
    as_of: datetime
    watermark: int
    computed_at: datetime
    connections: int | None = None  # the keys its composition held (None: not recorded)
    people: int | None = None


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def previous_snapshot(store: Store, as_of: datetime, fingerprint: str) -> Previous | None:
    row = store.row(
        """SELECT as_of, watermark, computed_at, connections, people FROM score_runs
           WHERE as_of < ? AND scale = ? AND as_of = date_trunc('day', as_of)
           ORDER BY as_of DESC, computed_at DESC LIMIT 1""", [as_of, fingerprint])
    return Previous(**row) if row else None


def _events_sql(where: str = "TRUE") -> str:
    return f"""SELECT i.connection_id, make_timestamp(epoch_us(i.ts)) AS ts, i.direction, i.kind, i.words, i.warmth
               FROM interactions i WHERE i.ts IS NOT NULL AND {where}"""


def _dirty_sql(prev: Previous) -> str:
    """The ids of connections whose touchpoints were deleted after ``prev`` was computed."""
    return f"""SELECT c.connection_id FROM connections c SEMI JOIN (
                   SELECT * FROM scoring_dirty WHERE marked_at > TIMESTAMPTZ '{prev.computed_at.isoformat()}') t
               ON t.account = c.account AND t.platform = c.platform AND t.person = c.person"""


def _connection_days(con: Connection, backend: Backend, view: str, as_of: datetime,
                     name: str = "conn_days") -> str:
    """Materialise the day marks of every connection in touchpoints ``view`` (one row per day), once."""
    _materialize(con, name, ("day marks", view),
                 lambda as_of: day_marks(backend.table(view), CONNECTION_KEY, as_of), as_of=as_of)
    return name


def _connection_dims(con: Connection, backend: Backend, view: str, days: str, as_of: datetime,
                     config: ScaleConfig, name: str) -> None:
    """``name`` := the dimensions of every connection in touchpoints ``view`` (``days``: their marks)."""
    _materialize(con, name, ("contact dimensions", view, days, config),
                 lambda as_of: contact_dimensions(scoring_inputs(backend.table(view)), backend.table(days),
                                                  CONNECTION_KEY, as_of, config), as_of=as_of)


def _materialize(con: Connection, name: str, key: tuple[object, ...], build: Callable[..., ir.Table],
                 **dates: datetime) -> None:
    """``name`` := ``build(**dates)``, compiled once per ``key`` (scoring.compiled)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {compiled_sql(key, build, **dates)}")


def previous_state_sql(con: Connection, level: Level, since: datetime, as_of: datetime, config: ScaleConfig,
                       keys: str | None = None) -> str:
    """Raw dimensions at ``as_of`` of every key (or of the keys in table ``keys``) as the history
    stood at ``since`` (rolled forward): from the newest date's score table and the rows after it
    when that table is the composition at its date, else composed from the whole history."""
    return materialised_state_sql(con, level, since, as_of, config, keys) or state_sql(level, since, as_of, config, keys)


def is_newest(store: Store, as_of: datetime) -> bool:
    """Whether no run is at a later date: a run at ``as_of`` then rewrites the materialised tables."""
    newest: datetime | None = store.scalar("SELECT max(as_of) FROM score_runs")
    return newest is None or as_of >= newest


def score_in_store(store: Store, as_of: datetime, config: ScaleConfig, fingerprint: str, watermark: int,
                   full: bool = False, materialise: bool = True) -> tuple[str, int, int, bool]:
    """Score midnight ``as_of``: history rows for what changed; when it is the newest date, the
    score tables are emptied and their new rows wait in ``conn_dims`` / ``person_dims`` for
    :func:`write_newest` (after the caller's commit and a checkpoint). Returns (mode, connections,
    people, newest). ``materialise=False``: history rows only, even at the newest date."""
    con = store.con
    backend = Backend(con)
    prev = None if full else previous_snapshot(store, as_of, fingerprint)
    cut = _ts(as_of)
    scope = False
    people_changed = prev is not None and store.scalar(
        "SELECT count(*) FROM merges WHERE greatest(created_at, coalesce(undone_at, created_at)) > ?",
        [prev.computed_at]) > 0
    if prev is None:
        con.execute(f"CREATE OR REPLACE TEMP VIEW score_events AS {_events_sql(f'i.ts < {cut}')}")
        days = _connection_days(con, backend, "score_events", as_of)
        _connection_dims(con, backend, "score_events", days, as_of, config, "conn_dims")
        _person_dims(store, backend, as_of, config, None, incremental=False)
    else:
        # a date whose score tables are not written (a month start, one window back) needs the states
        # of the touched people only: the others' rows would be the history's composition, unwritten
        scope = not people_changed and (not materialise or not is_newest(store, as_of))
        _touched_connections(store, backend, as_of, prev, config, people_changed, scope)
        _person_dims(store, backend, as_of, config, None if people_changed else prev, incremental=True,
                     scope=scope)
    # what an incremental run may have changed: the touched connections, and the touched people
    # unless people regrouped (then every person was recomputed)
    changed = None if prev is None else (prev.as_of, "touched_pairs", None if people_changed else "touched_people")
    newest = _write(store, as_of, config, materialise, changed)
    if prev is not None and scope:  # the keys the composition holds at as_of (the dims hold a few)
        connections, people = (_alive_after(store, level, as_of, prev) for level in LEVELS)
    else:
        connections = int(store.scalar("SELECT count(*) FROM conn_dims"))
        people = int(store.scalar("SELECT count(*) FROM person_dims"))
    if not newest:
        _drop_temporaries(con)
    return ("full" if prev is None else "incremental"), connections, people, newest


def _alive(store: Store, level: Level, as_of: datetime) -> int:
    """How many keys the history composes at ``as_of``: their latest row at or before it is no tombstone."""
    table, key = HISTORY[level]
    # the keys with a row by then, less those whose latest row is a tombstone (few keys have any)
    return int(store.scalar(f"""
        SELECT (SELECT count(*) FROM (SELECT {key} FROM {table} WHERE as_of <= {_ts(as_of)} GROUP BY {key}))
             - (SELECT count(*) FROM (SELECT arg_max(removed, as_of) AS removed FROM {table}
                                      WHERE as_of <= {_ts(as_of)} AND {key} IN (SELECT {key} FROM {table} WHERE removed)
                                      GROUP BY {key}) WHERE removed)"""))


def _alive_after(store: Store, level: Level, as_of: datetime, prev: Previous) -> int:
    """:func:`_alive` at ``as_of`` from the count ``prev`` recorded and this run's rows: the keys a
    row at ``as_of`` brought in or removed, against their state at ``prev``. Only when that count
    still holds (the composition at ``prev`` unchanged since it ran, nobody forgotten since) and no
    other rows lie between the two dates; else every key is counted again (0.6 s of a heavy day)."""
    table, key = HISTORY[level]
    counted = prev.connections if level == "connection" else prev.people
    cut, since = _ts(as_of), _ts(prev.as_of)
    if (counted is None or not history_unchanged_since(store.con, level, prev.computed_at, prev.as_of)
            or store.scalar("SELECT count(*) FROM forgotten WHERE forgotten_at > ?", [prev.computed_at])
            or store.scalar(f"SELECT count(*) FROM {table} WHERE as_of > {since} AND as_of < {cut}")):
        return _alive(store, level, as_of)
    change = store.scalar(f"""
        WITH written AS (SELECT {key}, removed FROM {table} WHERE as_of = {cut}),
             before AS (SELECT h.{key}, arg_max(h.removed, h.as_of) AS removed FROM {table} h
                        SEMI JOIN written w ON w.{key} = h.{key} WHERE h.as_of <= {since} GROUP BY h.{key})
        SELECT (SELECT count(*) FILTER (WHERE NOT removed) FROM written)
             - (SELECT count(*) FILTER (WHERE NOT removed) FROM before)""")
    return int(counted) + int(change or 0)


SCORING_TEMPORARIES = (
    # views first: they read the tables
    "score_events", "delta_events", "missing_events", "multi_days", "multi_conn_dims",
    "conn_days", "conn_dims", "touched_pairs", "backfill_pairs", "append_pairs", "fresh_conn", "delta_days",
    "delta_conn", "conn_people", "touched_people", "backfill_people", "multi_people", "multi_full", "multi_conns",
    "multi_dims", "missing_conns", "missing_days", "person_dims", "prev_conn", "prev_people", "scope_conns",
)


def _drop_temporaries(con: Connection) -> None:
    """Free the working tables (a long-lived process scores many times on one connection)."""
    kinds = dict(con.execute("""SELECT table_name, table_type FROM information_schema.tables
                                WHERE table_catalog = 'temp'""").fetchall())
    for name in SCORING_TEMPORARIES:
        if name in kinds:
            con.execute(f"DROP {'VIEW' if kinds[name] == 'VIEW' else 'TABLE'} temp.main.{name}")


def _touched_connections(store: Store, backend: Backend, as_of: datetime, prev: Previous,
                         config: ScaleConfig, people_changed: bool, scope: bool = False) -> None:
    """``conn_dims`` from the previous snapshot: untouched rows rolled forward, touched ones updated.

    A connection whose new touchpoints all fall on or after the previous cut (the usual case: a new
    day of data) is its previous row rolled forward plus the dimensions of its new days alone:
    every dimension is a sum over days (or a first/last time), and the new days are not among the
    old ones. Only a connection with new touchpoints from before the previous cut (an older export
    imported late), or marked dirty, is recomputed from its whole history.

    ``scope``: only the connections of the touched people get a row (every connection of theirs:
    a person's dimensions span them all), for a date whose score tables are not written.
    """
    con = store.con
    cut, since = _ts(as_of), _ts(prev.as_of)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE touched_pairs AS
        SELECT DISTINCT connection_id FROM interactions
        WHERE ts IS NOT NULL AND ts < {cut} AND (import_id > {int(prev.watermark)} OR ts >= {since})
        UNION {_dirty_sql(prev)}""")
    if people_changed:  # people regroup: every touched connection's whole history is needed anyway
        con.execute("CREATE OR REPLACE TEMP TABLE backfill_pairs AS SELECT * FROM touched_pairs")
    else:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE backfill_pairs AS
            SELECT DISTINCT connection_id FROM interactions
            WHERE ts IS NOT NULL AND ts < {since} AND import_id > {int(prev.watermark)}
            UNION {_dirty_sql(prev)}""")
    con.execute("""CREATE OR REPLACE TEMP TABLE append_pairs AS
                   SELECT * FROM touched_pairs EXCEPT SELECT * FROM backfill_pairs""")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW score_events AS
        SELECT e.* FROM ({_events_sql(f'i.ts < {cut}')}) e SEMI JOIN backfill_pairs USING (connection_id)""")
    days = _connection_days(con, backend, "score_events", as_of)
    _connection_dims(con, backend, "score_events", days, as_of, config, "fresh_conn")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW delta_events AS
        SELECT e.* FROM ({_events_sql(f'i.ts < {cut} AND i.ts >= {since}')}) e
        SEMI JOIN append_pairs USING (connection_id)""")
    delta_days = _connection_days(con, backend, "delta_events", as_of, name="delta_days")
    _connection_dims(con, backend, "delta_events", delta_days, as_of, config, "delta_conn")
    columns = ", ".join(RAW_DIMENSIONS)
    if scope:
        con.execute("""CREATE OR REPLACE TEMP TABLE scope_conns AS
            SELECT DISTINCT c2.connection_id FROM touched_pairs t JOIN connections c USING (connection_id)
            JOIN identities i ON i.platform = c.platform AND i.handle = c.person
            JOIN identities i2 ON i2.person_id = i.person_id
            JOIN connections c2 ON c2.platform = i2.platform AND c2.person = i2.handle""")
    prev_sql = previous_state_sql(con, 'connection', prev.as_of, as_of, config, keys="scope_conns" if scope else None)
    con.execute(f"CREATE OR REPLACE TEMP TABLE prev_conn AS {prev_sql}")
    appended_old = f"SELECT connection_id, {columns} FROM prev_conn s SEMI JOIN append_pairs USING (connection_id)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE conn_dims AS
        SELECT connection_id, {columns} FROM prev_conn s ANTI JOIN touched_pairs USING (connection_id)
        UNION ALL BY NAME SELECT * FROM fresh_conn
        UNION ALL BY NAME {_added_sql(appended_old, "delta_conn", CONNECTION_KEY)}""")


def added_columns_sql(old: str = "o", new: str = "n") -> list[str]:
    """Every raw dimension of a state (rows ``old``) plus the dimensions of new, disjoint days (rows
    ``new``), both at the same date: sums add, first/last contact widen (either side may be missing)."""
    columns = []
    for c in RAW_DIMENSIONS:
        if c == "first_contact":
            columns.append(f"least({old}.{c}, {new}.{c}) AS {c}")
        elif c == "last_contact":
            columns.append(f"greatest({old}.{c}, {new}.{c}) AS {c}")
        else:
            columns.append(f"coalesce({old}.{c}, 0) + coalesce({new}.{c}, 0) AS {c}")
    return columns


def _added_sql(old: str, new: str, keys: tuple[str, ...]) -> str:
    """Rows of ``old`` plus rows of ``new`` (same keys, disjoint days): sums add, first/last widen."""
    columns = added_columns_sql()
    key_columns = ", ".join(f"coalesce(o.{k}, n.{k}) AS {k}" for k in keys)
    on = " AND ".join(f"o.{k} = n.{k}" for k in keys)
    return f"SELECT {key_columns}, {', '.join(columns)} FROM ({old}) o FULL OUTER JOIN {new} n ON {on}"


def _person_dims(store: Store, backend: Backend, as_of: datetime, config: ScaleConfig,
                 prev: Previous | None, incremental: bool, scope: bool = False) -> None:
    """People: one connection -> its dimensions; several -> rolled up from their touchpoints.

    Full run (``incremental`` False): everyone from ``conn_days``. Incremental with people regrouped
    (``prev`` None): every person recomputed, touched connections' days from ``conn_days`` and the
    others' read again. Incremental (``prev`` given): only touched people; a person whose touched
    connections only gained new days is their previous row rolled forward plus those days.
    """
    con = store.con
    columns = ", ".join(RAW_DIMENSIONS)
    singles = f"""SELECT p.person_id, {columns} FROM conn_dims d JOIN conn_people p USING (connection_id)
                  WHERE p.n_connections = 1"""
    if not incremental or prev is None:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE conn_people AS
            SELECT d.connection_id, i.person_id, count(*) OVER (PARTITION BY i.person_id) AS n_connections
            FROM conn_dims d JOIN connections c USING (connection_id)
            JOIN identities i ON i.platform = c.platform AND i.handle = c.person""")
        # multi_people: recomputed from the days of all their connections
        con.execute("""CREATE OR REPLACE TEMP TABLE multi_people AS
                       SELECT DISTINCT person_id FROM conn_people WHERE n_connections > 1""")
        if incremental:
            _add_missing_days(con, backend, as_of, "backfill_pairs")
        multi_dims = _multi_dims(con, backend, as_of, config, "conn_days", "conn_dims")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE person_dims AS
            {singles} UNION ALL BY NAME SELECT * FROM {multi_dims}""")
        return
    con.execute("""CREATE OR REPLACE TEMP TABLE touched_people AS
        SELECT DISTINCT i.person_id FROM touched_pairs t JOIN connections c USING (connection_id)
        JOIN identities i ON i.platform = c.platform AND i.handle = c.person""")
    # every connection of the touched people (and only theirs): their identities first, a small table
    con.execute("""
        CREATE OR REPLACE TEMP TABLE conn_people AS
        SELECT c.connection_id, i.person_id, count(*) OVER (PARTITION BY i.person_id) AS n_connections
        FROM (SELECT i.platform, i.handle, i.person_id FROM identities i
              SEMI JOIN touched_people t ON t.person_id = i.person_id) i
        JOIN connections c ON i.platform = c.platform AND i.handle = c.person
        SEMI JOIN conn_dims d ON d.connection_id = c.connection_id""")
    con.execute("""CREATE OR REPLACE TEMP TABLE backfill_people AS
        SELECT DISTINCT i.person_id FROM backfill_pairs t JOIN connections c USING (connection_id)
        JOIN identities i ON i.platform = c.platform AND i.handle = c.person""")
    # several connections and a backfilled one: whole history of every connection, as in a full run
    con.execute("""CREATE OR REPLACE TEMP TABLE multi_people AS
        SELECT DISTINCT c.person_id FROM conn_people c SEMI JOIN backfill_people b ON b.person_id = c.person_id
        WHERE c.n_connections > 1""")
    _add_missing_days(con, backend, as_of, "backfill_pairs")
    full_dims = _multi_dims(con, backend, as_of, config, "conn_days", "conn_dims")
    # several connections, only new days: previous row rolled forward plus the new days, regrouped
    con.execute("""CREATE OR REPLACE TEMP TABLE multi_people AS
        SELECT DISTINCT c.person_id FROM conn_people c SEMI JOIN touched_people t ON t.person_id = c.person_id
        ANTI JOIN backfill_people b ON b.person_id = c.person_id WHERE c.n_connections > 1""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE multi_full AS SELECT * FROM {full_dims}")
    delta_dims = _multi_dims(con, backend, as_of, config, "delta_days", "delta_conn")
    prev_sql = previous_state_sql(con, 'person', prev.as_of, as_of, config, keys="touched_people" if scope else None)
    con.execute(f"CREATE OR REPLACE TEMP TABLE prev_people AS {prev_sql}")
    old_rows = f"""SELECT person_id, {columns} FROM prev_people s SEMI JOIN multi_people m ON m.person_id = s.person_id"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE person_dims AS
        SELECT person_id, {columns} FROM prev_people s
        WHERE s.person_id NOT IN (SELECT person_id FROM touched_people)
          AND s.person_id IN (SELECT person_id FROM people WHERE merged_into IS NULL)
        UNION ALL BY NAME {singles}
        UNION ALL BY NAME SELECT * FROM multi_full
        UNION ALL BY NAME {_added_sql(old_rows, delta_dims, ("person_id",))}""")


def _add_missing_days(con: Connection, backend: Backend, as_of: datetime, recomputed: str) -> None:
    """Add to conn_days the whole-history days of multi_people's connections not in ``recomputed``."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE missing_conns AS
        SELECT c.connection_id FROM conn_people c SEMI JOIN multi_people m ON m.person_id = c.person_id
        ANTI JOIN {recomputed} t ON t.connection_id = c.connection_id""")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW missing_events AS
        SELECT e.* FROM ({_events_sql(f'i.ts < {_ts(as_of)}')}) e SEMI JOIN missing_conns USING (connection_id)""")
    missing = _connection_days(con, backend, "missing_events", as_of, name="missing_days")
    con.execute(f"INSERT INTO conn_days BY NAME SELECT * FROM {missing}")


def _multi_dims(con: Connection, backend: Backend, as_of: datetime, config: ScaleConfig,
                days_table: str, dims_table: str) -> str:
    """Dimensions of multi_people across their connections, from ``dims_table`` and ``days_table``
    (the same connections' dimensions and days); returns the table name."""
    # their connections first (a small hash table), then their days: no join of every day with identities
    con.execute("""
        CREATE OR REPLACE TEMP TABLE multi_conns AS
        SELECT c.connection_id, c.person_id FROM conn_people c SEMI JOIN multi_people m
        ON m.person_id = c.person_id""")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW multi_days AS
        SELECT d.*, c.person_id FROM {days_table} d JOIN multi_conns c USING (connection_id)""")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW multi_conn_dims AS
        SELECT d.*, c.person_id FROM {dims_table} d JOIN multi_conns c USING (connection_id)""")
    _materialize(con, "multi_dims", ("across", days_table, dims_table, config),
                 lambda as_of: across(backend.table("multi_conn_dims"), backend.table("multi_days"), "person_id",
                                      as_of, config), as_of=as_of)
    return "multi_dims"


def _write(store: Store, as_of: datetime, config: ScaleConfig, materialise: bool = True,
           changed: tuple[datetime, str | None, str | None] | None = None) -> bool:
    """History rows for the states that changed at ``as_of``; when it is the newest date, the score
    tables emptied (True: :func:`write_newest` fills them). ``changed``: the previous run's date and
    the tables of the connections and people that may differ from it (None: any, a full run).

    A full run at the newest date stores only its tombstones: its other rows wait in the score
    tables :func:`write_newest` fills (history.write_pending). Pending rows of an earlier date are
    written out first (history.settle_pending)."""
    con = store.con
    newest = materialise and is_newest(store, as_of)
    pending = changed is None and newest
    settle_pending(con, as_of, config, rewritten=as_of if pending else None)
    if pending:
        for level, dims in zip(LEVELS, ("conn_dims", "person_dims")):
            write_pending(con, level, as_of, dims, config)
    else:
        since, connections, people = changed if changed is not None else (None, None, None)
        write_history(con, "connection", as_of, "conn_dims", config, keys=connections, since=since)
        write_history(con, "person", as_of, "person_dims", config, keys=people, since=since)
    if not newest:
        return False
    for table in ("connection_scores", "person_scores", "connection_top"):
        con.execute(f"DELETE FROM {table}")
    return True


def write_newest(store: Store, as_of: datetime, config: ScaleConfig, pending: bool = False) -> None:
    """The newest date's score tables, from ``conn_dims`` / ``person_dims`` (left by
    :func:`score_in_store`), in the caller's transaction; the working tables are dropped after.
    ``pending`` (a full run): the rows are also the history at ``as_of`` (history.mark_pending).

    The score run empties the tables in its own transaction and checkpoints before this one, so
    these rows reuse the blocks the old ones freed: a daily rewrite keeps the file's size (one
    transaction deleting and inserting held both copies, and the file kept a copy's worth of free
    blocks). Between the two, readers of a date compose it from the history (see
    history.scores_sql), which holds it, except a full run's date: its rows are pending in the
    tables written here, and the run is not in ``score_runs`` yet, so readers still read the
    previous date's scores, as the history holds them.
    """
    con = store.con
    backend = Backend(con)
    columns = ", ".join(SCORED_COLUMNS)
    cut = _ts(as_of)
    try:
        con.execute(f"""INSERT INTO connection_scores BY NAME
            SELECT {cut} AS as_of, c.account, c.platform, c.person, s.connection_id, {columns}
            FROM ({compiled_sql(("scored", "conn_dims", config),
                                lambda as_of: scored(backend.table("conn_dims"), as_of, config), as_of=as_of)}) s
            JOIN connections c USING (connection_id)""")
        con.execute(f"""INSERT INTO person_scores BY NAME
            SELECT {cut} AS as_of, person_id, {columns}
            FROM ({compiled_sql(("scored", "person_dims", config),
                                lambda as_of: scored(backend.table("person_dims"), as_of, config), as_of=as_of)})""")
        write_top(con, as_of)
        if pending:
            mark_pending(con, as_of)
    finally:
        _drop_temporaries(con)
