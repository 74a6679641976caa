"""Benchmark: `tiescale score` against one hand-written DuckDB GROUP BY over the same events.

    python bench/bench_score.py [--rows 10000000 ...] [--shape heavy|concentrated] [--out bench/out] [--runs 2]

For each size: a store is built once (cached) by importing the synthetic events of
bench_ingest_events.py (``heavy``: heavy-tailed, ~1.8M connections at 10M events) or of
bench_morning.py (``concentrated``: Zipf(1.6) people over 50 accounts, ~120k connections at 10M
events), without refreshing anything, so the full score is the first. Then, each in a child
process (best of --runs, peak RSS from os.wait4):
- reference: one DuckDB GROUP BY per (account, platform, person) with decayed sums per kind,
  counts, first/last time and distinct days, written to a table in a copy of the same store;
- full: `score_store(store, as_of, force=True)` (every connection and person recomputed, the whole snapshot written);
- incremental: one more day of events imported, then `score_store` for the next day;
- top100: latency of "top 100 people of one account" (`list_connections`, 300 calls: p50, p95).
Prints a table and writes --out/score.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured  # noqa: E402
from bench_ingest_events import _events_sql, generate  # noqa: E402

AS_OF = "2025-11-01"
NEXT_DAY = "2025-11-02"
REFERENCE_SQL = """
CREATE OR REPLACE TABLE reference_scores AS
SELECT account, platform, handle,
       sum(CASE WHEN kind = 'dm' THEN pow(0.5, age / 30) END) AS dm_decayed,
       sum(CASE WHEN kind = 'reply' THEN pow(0.5, age / 30) END) AS reply_decayed,
       sum(CASE WHEN kind = 'mention' THEN pow(0.5, age / 30) END) AS mention_decayed,
       sum(CASE WHEN kind = 'repost' THEN pow(0.5, age / 30) END) AS repost_decayed,
       sum(CASE WHEN kind = 'like' THEN pow(0.5, age / 30) END) AS like_decayed,
       count(*) FILTER (WHERE direction = 'in') AS n_in, count(*) FILTER (WHERE direction = 'out') AS n_out,
       min(ts) AS first_ts, max(ts) AS last_ts, count(DISTINCT date_trunc('day', ts)) AS active_days
FROM (SELECT *, (epoch(TIMESTAMPTZ '{as_of}') - epoch(ts)) / 86400.0 AS age FROM interactions
      WHERE ts < TIMESTAMPTZ '{as_of}')
GROUP BY ALL
"""


def child(spec: dict) -> dict:
    op, db = spec["op"], spec["db"]
    started = time.perf_counter()
    if op == "reference":
        import duckdb

        con = duckdb.connect(db)
        con.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        con.execute(REFERENCE_SQL.format(as_of=AS_OF))
        rows = con.execute("SELECT count(*) FROM reference_scores").fetchone()[0]
        con.close()
        return {"seconds": time.perf_counter() - started, "rows": rows}
    from tiescale import Store, ingest_path
    from tiescale.scoring.run import score_store

    if op == "prepare":
        return prepare_store(Path(db), spec["rows"], spec.get("shape", "heavy"))
    with Store(db) as store:
        if op == "full":
            started = time.perf_counter()
            run = score_store(store, AS_OF, force=True)
        elif op == "incremental":
            ingest_path(store, spec["day_file"])
            started = time.perf_counter()
            run = score_store(store, NEXT_DAY)
        elif op == "top100":
            from tiescale.insights.people import list_connections

            # the score tables hold the newest scored date only (history as change rows)
            account = store.con.execute(
                "SELECT account FROM connection_scores GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            as_of = store.con.execute("SELECT max(as_of) FROM score_runs").fetchone()[0]
            times = []
            for _ in range(300):
                t = time.perf_counter()
                rows = list_connections(store, account=account, limit=100, as_of=as_of)
                times.append(time.perf_counter() - t)
            times.sort()
            return {"p50_ms": times[150] * 1000, "p95_ms": times[284] * 1000, "rows": len(rows)}
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": run.connections, "mode": run.mode}




def build_store(out: Path, rows: int, shape: str = "heavy") -> Path:
    """The cached store of ``rows`` events, built or migrated in a child process.

    Not in this process: a child's peak RSS (``ru_maxrss``) counts what its parent held when it
    was started, so a parent that had imported 50M events would inflate every measurement after.
    """
    db = out / (f"score_store_{rows}.duckdb" if shape == "heavy" else f"score_store_{shape}_{rows}.duckdb")
    result = run_measured(__file__, {"op": "prepare", "db": str(db), "rows": rows, "shape": shape})
    if result.get("built"):
        print(f"  built {db.name} in {result['seconds']:.0f}s", flush=True)
    return db


def prepare_store(db: Path, rows: int, shape: str = "heavy") -> dict:
    from tiescale import Store, ingest_path

    if db.exists():
        Store(db).close()  # a store cached by an older tiescale: migrated once here, not in every timed copy
        return {"built": False}
    if shape == "concentrated":
        from bench_morning import generate as generate_concentrated

        files = {"parquet": generate_concentrated(db.parent, rows, "concentrated")[0]}
    else:
        files = generate(db.parent, rows)
    partial = db.with_name(db.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    with Store(partial) as store:
        ingest_path(store, files["parquet"])
    partial.rename(db)
    return {"built": True, "seconds": time.perf_counter() - started}


def one_day_file(out: Path, rows: int) -> Path:
    """About one day's worth of new events (rows / 730), dated the day before NEXT_DAY."""
    import duckdb

    target = out / f"one_day_{rows}.parquet"
    if not target.exists():
        n = max(100, rows // 730)
        sql = _events_sql(rows * 3, rows * 3 + n, rows)
        duckdb.sql(f"""COPY (SELECT * REPLACE (strftime(TIMESTAMP '{AS_OF}' + to_seconds((hash(id) % 86400)::BIGINT),
                       '%Y-%m-%dT%H:%M:%SZ') AS ts) FROM ({sql})) TO '{target}' (FORMAT parquet)""")
    return target


def best(spec: dict, runs: int, fresh_copy_of: Path | None = None) -> dict:
    results = []
    for _ in range(runs):
        if fresh_copy_of is not None:
            shutil.copyfile(fresh_copy_of, spec["db"])
        results.append(run_measured(__file__, spec))
    return min(results, key=lambda r: r.get("seconds", r.get("p95_ms", 0)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--shape", choices=("heavy", "concentrated"), default="heavy")
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[object, dict] = {}
    for rows in args.rows:
        base = build_store(args.out, rows, args.shape)
        work = args.out / f"score_work_{args.shape}_{rows}.duckdb"
        reference = best({"op": "reference", "db": str(work)}, args.runs, base)
        full = best({"op": "full", "db": str(work)}, args.runs, base)
        scored_copy = args.out / f"score_scored_{args.shape}_{rows}.duckdb"
        shutil.copyfile(work, scored_copy)  # the store with a full snapshot at AS_OF
        incremental = best({"op": "incremental", "db": str(work), "day_file": str(one_day_file(args.out, rows))},
                           args.runs, scored_copy)
        top = best({"op": "top100", "db": str(work)}, 1, None)
        key = rows if args.shape == "heavy" else f"{args.shape} {rows}"
        report[key] = {"reference": reference, "full": full, "incremental": incremental, "top100": top,
                       "ratio_full_vs_reference": full["seconds"] / reference["seconds"],
                       "incremental_share_of_full": incremental["seconds"] / full["seconds"]}
        for path in (work, scored_copy):
            path.unlink(missing_ok=True)
        print(f"\n{rows:,} events, {full['rows']:,} connections")
        print(f"  reference GROUP BY   {reference['seconds']:7.2f}s  peak {reference['peak_rss_mb']:6.0f} MB")
        print(f"  tiescale score full  {full['seconds']:7.2f}s  peak {full['peak_rss_mb']:6.0f} MB  "
              f"ratio {report[key]['ratio_full_vs_reference']:.2f}x")
        print(f"  incremental (1 day)  {incremental['seconds']:7.2f}s  peak {incremental['peak_rss_mb']:6.0f} MB  "
              f"{report[key]['incremental_share_of_full']:.1%} of full ({incremental['mode']})")
        print(f"  top 100 of one account: p50 {top['p50_ms']:.1f} ms, p95 {top['p95_ms']:.1f} ms")
    path = args.out / "score.json"  # results are kept per row count: a 50M run does not erase the 10M one
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept.update({str(key): result for key, result in report.items()})
    path.write_text(json.dumps(kept, indent=1, default=str))


if __name__ == "__main__":
    main()
