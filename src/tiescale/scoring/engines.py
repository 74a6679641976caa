"""Where the scoring expressions run: the DuckDB store itself, or Apache Spark over Parquet."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import ibis
import ibis.expr.types as ir

from ..records import TiescaleError
from ..store.db import Store

#: Touchpoints as the scoring sees them: naive UTC timestamps (from the stored instant itself, not
#: through the session's time zone: 10x cheaper), one identity column set.
EVENTS_VIEW = """
CREATE OR REPLACE TEMP VIEW scoring_events AS
SELECT i.account, i.platform, i.person, id.person_id, make_timestamp(epoch_us(i.ts)) AS ts,
       i.direction, i.kind, i.text, i.words, i.warmth
FROM interactions i JOIN identities id ON id.platform = i.platform AND id.handle = i.person
WHERE i.ts IS NOT NULL
"""


class EngineError(TiescaleError):
    pass


@contextmanager
def duckdb_events(store: Store) -> Iterator[tuple[ir.Table, object]]:
    store.con.execute(EVENTS_VIEW)
    backend = ibis.duckdb.from_connection(store.con)
    yield backend.table("scoring_events"), backend


@contextmanager
def spark_events(store: Store, master: str | None = None) -> Iterator[tuple[ir.Table, object]]:
    """Hand the touchpoints to Spark as Parquet (the `export events` format plus person ids)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EngineError("the spark engine needs pyspark: pip install 'tiescale[spark]'") from exc
    master = master or os.environ.get("TIESCALE_SPARK_MASTER", "local[2]")
    with tempfile.TemporaryDirectory(prefix="tiescale-spark-") as tmp:
        events = Path(tmp) / "events.parquet"
        store.con.execute(EVENTS_VIEW)
        store.con.execute(f"COPY (SELECT * FROM scoring_events) TO '{events}' (FORMAT parquet)")
        builder = SparkSession.builder.appName("tiescale-score")
        if master.startswith("sc://"):
            builder = builder.remote(master)
        else:
            builder = (builder.master(master).config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", "8")
                       .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1"))
        spark = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
        spark.sparkContext.setLogLevel("ERROR") if not master.startswith("sc://") else None
        backend = ibis.pyspark.connect(spark)
        spark.read.parquet(str(events)).createOrReplaceTempView("scoring_events")
        yield backend.table("scoring_events"), backend
