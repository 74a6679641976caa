"""Where the scoring expressions run: the DuckDB store itself, or Apache Spark over Parquet."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir

from tiescale.records import TiescaleError
from tiescale.store.db import Store

if TYPE_CHECKING:  # pyspark is optional: only its type is named here
    from pyspark.sql import SparkSession

#: Touchpoints as the scoring sees them: naive UTC timestamps (from the stored instant itself, not
#: through the session's time zone: 10x cheaper), one identity column set.
EVENTS_VIEW = """
CREATE OR REPLACE TEMP VIEW scoring_events AS
SELECT i.account, i.platform, i.handle AS person, i.person_id, make_timestamp(epoch_us(i.ts)) AS ts,
       i.direction, i.kind, i.text, i.words, i.warmth
FROM touchpoints i
WHERE i.ts IS NOT NULL
"""


class EngineError(TiescaleError):
    pass


@contextmanager
def duckdb_events(store: Store) -> Iterator[tuple[ir.Table, object]]:
    store.con.execute(EVENTS_VIEW)
    import ibis

    backend = ibis.duckdb.from_connection(store.con)
    yield backend.table("scoring_events"), backend


#: The canonical events (as `tiescale export events --format parquet` writes them) joined with the
#: store's identities, as the scoring reads them; run by Spark.
SPARK_EVENTS_SQL = """
SELECT e.account, e.platform, e.person, i.person_id, CAST(e.ts AS TIMESTAMP) AS ts, e.direction, e.kind, e.text
FROM canonical_events e JOIN identities i ON i.platform = e.platform AND i.handle = e.person
WHERE e.ts IS NOT NULL
"""


@contextmanager
def spark_events(store: Store, master: str | None = None,
                 events_path: str | None = None) -> Iterator[tuple[ir.Table, object]]:
    """Touchpoints for Spark: the canonical events Parquet of `tiescale export events`.

    ``events_path`` is an export already handed over (a path or URL the Spark cluster can read,
    e.g. on shared storage); by default the store is exported to a temporary folder, which is what
    local mode needs. Person ids come from this store's identities. Every touchpoint must be
    readable (a time Spark cannot parse) and belong to a person the store knows (the file was
    imported here first); otherwise one clear error, and nothing is written.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EngineError("the spark engine needs pyspark: pip install 'tiescale[spark]'") from exc
    from tiescale.store.export import export_events

    master = master or os.environ.get("TIESCALE_SPARK_MASTER", "local[2]")
    if events_path is None and not master.startswith("local"):
        raise EngineError(f"spark master {master}: a cluster cannot read a temporary export on this machine; "
                          "export the events where it can (`tiescale export events --format parquet --output ...`) "
                          "and pass them with --events")
    check_events_path(events_path)
    with tempfile.TemporaryDirectory(prefix="tiescale-spark-") as tmp:
        if events_path is None:
            events_path = str(Path(tmp) / "events.parquet")
            export_events(store, "parquet", Path(events_path))
        identities = store.con.execute("SELECT platform, handle, person_id FROM identities").df()
        builder = SparkSession.builder.appName("tiescale-score")
        if master.startswith("sc://"):
            builder = builder.remote(master)
        else:
            builder = (builder.master(master).config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", "8")
                       .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1"))
        spark = (builder.config("spark.sql.session.timeZone", "UTC")
                 .config("spark.ui.showConsoleProgress", "false").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR") if not master.startswith("sc://") else None
        import ibis

        backend = ibis.pyspark.connect(spark)
        try:
            spark.read.parquet(events_path).createOrReplaceTempView("canonical_events")
        except Exception as exc:  # Spark's own exception types differ between local mode and Connect
            raise EngineError(f"{events_path}: Spark cannot read it as Parquet: {spark_message(exc)}") from exc
        spark.createDataFrame(identities, schema="platform string, handle string, person_id long") \
            .createOrReplaceTempView("identities")
        stored = store.con.execute(STORE_CHECKSUM_SQL).fetchone() or (0, 0, 0)
        try:
            _check_handover(spark, events_path, stored)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"{events_path}: Spark cannot read it: {spark_message(exc)}") from exc
        spark.sql(SPARK_EVENTS_SQL).createOrReplaceTempView("scoring_events")
        yield backend.table("scoring_events"), backend


def check_events_path(events_path: str | None) -> None:
    """A local events file handed to Spark must exist (checked before anything else, also when the
    date is already scored: a wrong path is an error, not an unchanged run)."""
    if events_path is not None and "://" not in events_path and not Path(events_path).exists():
        raise EngineError(f"{events_path}: no such events file (write one with `tiescale export events --format parquet`)")


def _check_handover(spark: SparkSession, events_path: str, stored: tuple[Any, ...]) -> None:
    """Refuse a file that is not this store's touchpoints: unreadable times, unknown people, other counts."""
    missing = {"ts", "account", "platform", "person", "direction", "kind", "text"} - set(
        spark.table("canonical_events").columns)
    if missing:
        raise EngineError(f"{events_path}: not a canonical events file (no column {', '.join(sorted(missing))})")
    bad_time = spark.sql("""SELECT ts FROM canonical_events
                            WHERE ts IS NOT NULL AND try_cast(ts AS TIMESTAMP) IS NULL LIMIT 1""").collect()
    if bad_time:
        raise EngineError(f"{events_path}: a touchpoint has a time Spark cannot read: {bad_time[0][0]!r}")
    unknown = spark.sql("""SELECT e.platform, e.person, count(*) OVER () AS n FROM canonical_events e
                           LEFT ANTI JOIN identities i ON i.platform = e.platform AND i.handle = e.person
                           WHERE e.ts IS NOT NULL LIMIT 1""").collect()
    if unknown:
        platform, person, n = unknown[0]
        raise EngineError(f"{events_path}: {n:,} touchpoints are of people this store does not know "
                          f"(first: {platform}:{person}); import the file into the store first")
    handed = tuple(spark.sql(HANDED_CHECKSUM_SQL).collect()[0])
    if handed[0] != stored[0]:
        raise EngineError(f"{events_path}: {handed[0]:,} dated touchpoints, but the store holds {stored[0]:,}; "
                          "export the store again (`tiescale export events --format parquet`)")
    if tuple(int(v or 0) for v in handed) != tuple(int(v or 0) for v in stored):
        raise EngineError(f"{events_path}: its touchpoints differ from the store's (same count, other times or "
                          "people); export the store again (`tiescale export events --format parquet`)")


#: A checksum of the dated touchpoints that both engines compute exactly (integers only): how many,
#: the sum of their whole seconds, and the sum of their people's and accounts' name lengths.
STORE_CHECKSUM_SQL = """
SELECT count(*), sum(floor(epoch(ts))::BIGINT), sum(length(handle) + length(account) * 7 + length(kind) * 13
                                             + CASE direction WHEN 'in' THEN 17 ELSE 0 END)
FROM interactions WHERE ts IS NOT NULL
"""
HANDED_CHECKSUM_SQL = """
SELECT count(*), sum(unix_timestamp(CAST(ts AS TIMESTAMP))), sum(length(person) + length(account) * 7
                                             + length(kind) * 13 + CASE direction WHEN 'in' THEN 17 ELSE 0 END)
FROM canonical_events WHERE ts IS NOT NULL
"""


def spark_message(exc: BaseException) -> str:
    """The useful line of a Spark error: the Java cause's message, not py4j's "An error occurred ..."."""
    java = getattr(exc, "java_exception", None)
    text = ""
    if java is not None:
        try:
            cause = java
            while cause.getCause() is not None:
                cause = cause.getCause()
            text = str(cause.getMessage() or cause.toString())
        except Exception:  # pragma: no cover - a py4j failure while describing a failure
            text = ""
    text = text or str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
