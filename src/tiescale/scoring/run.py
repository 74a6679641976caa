"""`tiescale score`: compute the scale as of a date and store it as a dated snapshot."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from tiescale.store.db import Store
from tiescale.store.text_features import refresh_text_features
from .config import DEFAULT, DIMENSION_COLUMNS, RAW_DIMENSIONS, ScaleConfig
from .dimensions import across, contact_dimensions, day_marks
from .engines import EngineError, check_events_path, duckdb_events, spark_events, spark_message
from .history import settle_pending, write_history
from .incremental import is_newest, score_in_store, write_newest
from .scale import scored
from .stamp import resolve_as_of as resolve_as_of, scale_fingerprint as scale_fingerprint  # re-exported
from .top import write_top
from .warmth import scoring_inputs

if TYPE_CHECKING:  # Ibis loads when an expression is built (the SQL of a run is mostly compiled before)
    import ibis.expr.types as ir
    from ibis.backends.duckdb import Backend

CONNECTION_KEYS = ("account", "platform", "person")
#: The dimension columns of a score row (config.DIMENSION_COLUMNS, the one list; this name stays for importers).
DIMENSION_FIELDS = DIMENSION_COLUMNS


@dataclass
class ScoreRun:
    as_of: datetime
    engine: str
    connections: int
    people: int
    seconds: float
    status: str  # scored | unchanged
    mode: str = "full"  # full | incremental


def score_expressions(events: ir.Table, as_of: datetime, config: ScaleConfig = DEFAULT) -> list[ir.Table]:
    """The two result tables (connections, people) as Ibis expressions over ``events``."""
    inputs = scoring_inputs(events)
    keys = (*CONNECTION_KEYS, "person_id")
    days = day_marks(inputs, keys, as_of)
    dims = contact_dimensions(inputs, days, keys, as_of, config)
    connections = scored(dims.drop("person_id"), as_of, config)
    people = scored(across(dims, days, "person_id", as_of, config), as_of, config)
    return [connections, people]


def score_store(
    store: Store, as_of: str | datetime | None = None, engine: str = "duckdb", config: ScaleConfig = DEFAULT,
    force: bool = False, events_path: str | None = None, spark_master: str | None = None,
    materialise: bool = True,
) -> ScoreRun:
    """Score every connection and person as of ``as_of`` and store the dated snapshot.

    ``engine="spark"`` runs the same expressions on Apache Spark over the canonical events Parquet:
    ``events_path`` if given (an export of this store that the cluster can read), else a fresh
    export in a temporary folder; ``spark_master`` (default ``$TIESCALE_SPARK_MASTER`` or
    ``local[2]``) may be a cluster or a Spark Connect ``sc://`` URL.

    ``materialise=False`` writes the history rows only, never the newest date's score tables: for a
    batch of dates scored oldest first (``insights.snapshots``), whose last date is materialised once.
    """
    started = time.perf_counter()
    if engine == "spark":
        check_events_path(events_path)
    cut = resolve_as_of(as_of, store)
    watermark = store.watermark()
    fingerprint = scale_fingerprint(config)
    done = store.scalar(
        "SELECT connections FROM score_runs WHERE as_of = ? AND watermark = ? AND scale = ? ORDER BY computed_at DESC",
        [cut, watermark, fingerprint])
    if done is not None and not force:
        people = store.scalar("SELECT people FROM score_runs WHERE as_of = ? AND watermark = ? AND scale = ? "
                              "ORDER BY computed_at DESC", [cut, watermark, fingerprint])
        return ScoreRun(cut, engine, done, people, time.perf_counter() - started, "unchanged")
    if engine == "duckdb":
        with store.transaction() as con:
            refresh_text_features(con)
    if engine == "duckdb" and cut == datetime(cut.year, cut.month, cut.day):
        with store.transaction():
            mode, n_connections, n_people, newest = score_in_store(store, cut, config, fingerprint, watermark,
                                                                   full=force, materialise=materialise)
        if newest:  # the newest date's rows: after a checkpoint, in the blocks the old rows freed
            _checkpoint(store)
            with store.transaction():
                write_newest(store, cut, config, pending=mode == "full")
        seconds = time.perf_counter() - started
        with store.transaction() as con:  # the run counts once its every row is written
            con.execute("INSERT INTO score_runs (as_of, engine, scale, watermark, connections, people, seconds) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", [cut, engine, fingerprint, watermark, n_connections, n_people,
                                                         seconds])
        return ScoreRun(cut, engine, n_connections, n_people, seconds, "scored", mode)
    if engine == "duckdb":
        source = duckdb_events(store)
    else:
        source = spark_events(store, master=spark_master, events_path=events_path)
    with source as (events, _backend):
        connections_expr, people_expr = score_expressions(events, cut, config)
        try:
            connections = connections_expr.to_pyarrow()
            people = people_expr.to_pyarrow()
        except Exception as exc:
            if engine == "duckdb":
                raise
            raise EngineError(f"spark: scoring failed: {spark_message(exc)}") from exc
    _write_snapshot(store, cut, engine, fingerprint, watermark, connections, people, time.perf_counter() - started,
                    config, materialise)
    return ScoreRun(cut, engine, connections.num_rows, people.num_rows, time.perf_counter() - started, "scored")


def _checkpoint(store: Store) -> None:
    """Write the store's changes to the file now, so freed blocks can be reused; skipped (and harmless:
    the file only keeps some free space) when another transaction on this database is open."""
    if store.in_transaction:
        return
    try:
        store.con.execute("CHECKPOINT")
    except duckdb.Error:
        pass


def _write_snapshot(store: Store, cut: datetime, engine: str, fingerprint: str, watermark: int,
                    connections: pa.Table, people: pa.Table, seconds: float, config: ScaleConfig = DEFAULT,
                    materialise: bool = True) -> None:
    """History rows for what changed at ``cut``; the score tables too when ``cut`` is the newest date."""
    columns = ", ".join(DIMENSION_COLUMNS)
    raw = ", ".join(RAW_DIMENSIONS)
    with store.transaction() as con, _registered(con, new_connections=connections, new_people=people):
        con.execute(f"""CREATE OR REPLACE TEMP TABLE snapshot_conn_dims AS
            SELECT c.connection_id, {raw} FROM new_connections n JOIN connections c
            ON c.account = n.account AND c.platform = n.platform AND c.person = n.person""")
        con.execute(f"CREATE OR REPLACE TEMP TABLE snapshot_person_dims AS SELECT person_id, {raw} FROM new_people")
        settle_pending(con, cut, config, rewritten=cut)  # every key's row at cut is written below
        try:
            write_history(con, "connection", cut, "snapshot_conn_dims", config)
            write_history(con, "person", cut, "snapshot_person_dims", config)
        finally:
            con.execute("DROP TABLE temp.main.snapshot_conn_dims")
            con.execute("DROP TABLE temp.main.snapshot_person_dims")
        if materialise and is_newest(store, cut):
            con.execute("DELETE FROM connection_scores")
            con.execute("DELETE FROM person_scores")
            con.execute(
                f"""INSERT INTO connection_scores BY NAME
                    SELECT ? AS as_of, n.account, n.platform, n.person, c.connection_id, score, tier, {columns}
                    FROM new_connections n LEFT JOIN connections c
                    ON c.account = n.account AND c.platform = n.platform AND c.person = n.person""", [cut])
            con.execute(
                f"INSERT INTO person_scores BY NAME SELECT ? AS as_of, person_id, score, tier, {columns} FROM new_people",
                [cut])
            write_top(con, cut)
        con.execute("INSERT INTO score_runs (as_of, engine, scale, watermark, connections, people, seconds) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [cut, engine, fingerprint, watermark, connections.num_rows, people.num_rows, seconds])


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """Arrow tables visible to SQL by name for the block, unregistered however it ends."""
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            con.unregister(name)


_MEMORY_BACKEND: Backend | None = None
_MEMORY_LOCK = threading.Lock()
_ARROW_SCHEMA = pa.schema([("account", pa.string()), ("platform", pa.string()), ("person", pa.string()),
                           ("person_id", pa.int64()), ("ts", pa.timestamp("us")), ("direction", pa.string()),
                           ("kind", pa.string()), ("text", pa.string())])


def score_records(records: list[dict[str, Any]], as_of: str | datetime, config: ScaleConfig = DEFAULT) -> pa.Table:
    """Score touchpoints given as dicts (account, platform, person, ts, direction, kind, text) in memory.

    The same expressions as `score_store`, on an in-memory DuckDB: for tests and notebooks.
    """
    import ibis

    cut = resolve_as_of(as_of)
    schema = {"account": "string", "platform": "string", "person": "string", "person_id": "int64",
              "ts": "timestamp", "direction": "string", "kind": "string", "text": "string"}
    rows = [{**{k: None for k in schema}, "person_id": 0, **r} for r in records]
    for row in rows:
        if isinstance(row["ts"], datetime) and row["ts"].tzinfo is not None:
            row["ts"] = row["ts"].astimezone(UTC).replace(tzinfo=None)
    global _MEMORY_BACKEND
    table = pa.Table.from_pylist(rows, schema=_ARROW_SCHEMA) if rows else _ARROW_SCHEMA.empty_table()
    with _MEMORY_LOCK:  # one in-memory database, shared: one caller at a time (web requests run in threads)
        if _MEMORY_BACKEND is None:
            _MEMORY_BACKEND = ibis.duckdb.connect()
        raw = _MEMORY_BACKEND.con
        raw.register("events_arrow", table)
        raw.execute("CREATE OR REPLACE TABLE events AS SELECT * FROM events_arrow")
        raw.unregister("events_arrow")
        events = _MEMORY_BACKEND.table("events")
        connections, _people = score_expressions(events, cut, config)
        return connections.to_pyarrow()
