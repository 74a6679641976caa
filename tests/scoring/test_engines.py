"""The same scoring on DuckDB and on Spark (local mode), over the same data: the same scores."""
from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tiescale import Store, ingest_path
from tiescale.scoring.run import DIMENSION_FIELDS, score_store

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")]

WORDS = ["thanks", "love", "the", "roast", "where", "is", "my", "order", "great", "awful", "ok", "café", "🙂"]


def write_events(path: Path, n: int = 3000, seed: int = 3) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    lines = ["ts,account,person,direction,kind,platform,id,text"]
    for i in range(n):
        person = f"p{int(rng.paretovariate(1.2)) % 300}"
        ts = start + timedelta(seconds=rng.randrange(0, 400 * 86400))
        kind = rng.choice(["reply", "mention", "dm", "like", "repost", "comment", "quote", "follow", "other"])
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 8)))
        lines.append(f"{ts.isoformat()},{rng.choice(['brand', 'brand2'])},{person},{rng.choice(['in', 'out'])},"
                     f"{kind},{rng.choice(['x', 'mastodon'])},{i},\"{text}\"")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def snapshot(store: Store, table: str, keys: str) -> list[dict]:
    cursor = store.con.execute(f"SELECT * EXCLUDE (as_of) FROM {table} ORDER BY {keys}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_duckdb_and_spark_give_the_same_scores(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    write_events(events)
    results = {}
    for engine in ("duckdb", "spark"):
        with Store(tmp_path / f"{engine}.duckdb") as store:
            ingest_path(store, events)
            run = score_store(store, "2025-01-15", engine=engine)
            assert run.status == "scored" and run.connections > 100
            results[engine] = (snapshot(store, "connection_scores", "account, platform, person"),
                               snapshot(store, "person_scores", "person_id"))
    for duck_rows, spark_rows in zip(results["duckdb"], results["spark"]):
        assert len(duck_rows) == len(spark_rows)
        for duck, spark in zip(duck_rows, spark_rows):
            assert duck["score"] == spark["score"] and duck["tier"] == spark["tier"]
            for field in DIMENSION_FIELDS:
                a, b = duck[field], spark[field]
                if isinstance(a, float):
                    assert b == pytest.approx(a, rel=1e-9, abs=1e-9), field
                else:
                    assert a == b, field
