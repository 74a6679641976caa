"""Benchmark: `tiescale queue` on a store of ~1.4M people and 10M events.

    nice python bench/bench_queue.py [--rows 10000000] [--runs 20] [--after-import]

The store is the one bench_score.py builds from the synthetic events of bench_ingest_events.py
(cached in bench/out/score_store_<rows>.duckdb), copied to bench/out/queue_store_<rows>.duckdb.
Each step runs in a child process (peak RSS from os.wait4):
- cold: the first `build_queue` on the copy: builds the answer index (every inbound message) and
  scores the snapshots it compares (now, 30 days back, the first of the last 6 months);
- warm: `build_queue(limit=50)` --runs times in one process (p50, p95), all accounts and one account;
- reference: the same "who is waiting" question as one plain DuckDB query over `interactions`
  (last outbound text message per person vs inbound messages in the last 30 days), no index;
- cli: `tiescale queue --format json` as a whole process (p50 of 5), next to `tiescale --help`
  (interpreter start and imports: the floor for any command);
- with --after-import: one more day of events imported, then the first queue (incremental index
  refresh and the snapshots rescored).
Prints a table and writes bench/out/queue.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import run_measured  # noqa: E402

REFERENCE_SQL = """
WITH w AS (SELECT platform, handle, ts, direction, kind FROM interactions
           WHERE ts >= TIMESTAMPTZ '{since}' AND kind IN ('reply', 'mention', 'comment', 'dm', 'quote')),
outs AS (SELECT platform, handle, max(ts) AS last_out FROM w WHERE direction = 'out' GROUP BY ALL)
SELECT w.platform, w.handle, min(w.ts) AS waiting_since, count(*) AS n
FROM w LEFT JOIN outs o USING (platform, handle)
WHERE w.direction = 'in' AND w.ts <= TIMESTAMPTZ '{until}' AND (o.last_out IS NULL OR w.ts > o.last_out)
  AND w.kind <> 'quote'
GROUP BY ALL ORDER BY waiting_since LIMIT 50
"""


def child(spec: dict) -> dict:
    from tiescale.store.db import Store

    op, db = spec["op"], spec["db"]
    if op == "reference":
        import duckdb

        con = duckdb.connect(db, read_only=True)
        con.execute("SET TimeZone = 'UTC'")
        end = con.execute("SELECT max(ts) FROM interactions").fetchone()[0]
        times = []
        for _ in range(spec["runs"]):
            started = time.perf_counter()
            con.execute(REFERENCE_SQL.format(since=(end - timedelta(days=30)).isoformat(),
                                             until=(end - timedelta(days=1)).isoformat())).fetchall()
            times.append(time.perf_counter() - started)
        return _stats(times)
    from tiescale.insights.queue import build_queue

    with Store(db) as store:
        if op == "cold":
            started = time.perf_counter()
            items = build_queue(store, limit=50)
            seconds = time.perf_counter() - started
            counts = store.con.execute(
                "SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM interactions), "
                "(SELECT count(*) FROM answer_messages), (SELECT count(DISTINCT as_of) FROM person_scores)").fetchone()
            return {"seconds": seconds, "items": len(items), "people": counts[0], "interactions": counts[1],
                    "indexed_messages": counts[2], "snapshots": counts[3]}
        if op == "after_import":
            from tiescale.store.ingest import ingest_path

            ingest_path(store, spec["day_file"])
            started = time.perf_counter()
            items = build_queue(store, limit=50)
            return {"seconds": time.perf_counter() - started, "items": len(items)}
        account = None
        if op == "warm_account":
            account = store.con.execute(
                "SELECT account FROM answer_messages GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        times, reasons = [], {}
        started = time.perf_counter()
        build_queue(store, account=account, limit=50)  # the cache for this account, if not built yet
        first_ms = (time.perf_counter() - started) * 1000
        for _ in range(spec["runs"]):
            started = time.perf_counter()
            items = build_queue(store, account=account, limit=50)
            times.append(time.perf_counter() - started)
        for item in build_queue(store, account=account, limit=0):
            reasons[item.reason] = reasons.get(item.reason, 0) + 1
        return {**_stats(times), "first_call_ms": first_ms, "items": len(items), "queue_by_reason_all": reasons,
                "account": account}


def _stats(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50_ms": statistics.median(times) * 1000,
            "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000, "runs": len(times)}


def cli_times(args: list[str], runs: int = 5) -> float:
    exe = Path(sys.executable).with_name("tiescale")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(exe), *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--after-import", action="store_true")
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child)), default=str))
        return
    from bench_score import build_store, one_day_file

    base = build_store(args.out, args.rows)
    db = args.out / f"queue_store_{args.rows}.duckdb"
    report: dict = {}
    if not db.exists():
        partial = db.with_name(db.name + ".partial")
        shutil.copyfile(base, partial)
        report["cold"] = run_measured(__file__, {"op": "cold", "db": str(partial)})
        partial.rename(db)
    report["reference"] = run_measured(__file__, {"op": "reference", "db": str(db), "runs": args.runs})
    report["warm"] = run_measured(__file__, {"op": "warm", "db": str(db), "runs": args.runs})
    report["warm_account"] = run_measured(__file__, {"op": "warm_account", "db": str(db), "runs": args.runs})
    report["cli_queue_ms"] = cli_times(["--db", str(db), "queue", "--format", "json"])
    report["cli_help_ms"] = cli_times(["--help"])
    if args.after_import:
        work = args.out / f"queue_work_{args.rows}.duckdb"
        shutil.copyfile(db, work)
        report["after_import"] = run_measured(__file__, {"op": "after_import", "db": str(work),
                                               "day_file": str(one_day_file(args.out, args.rows))})
        work.unlink(missing_ok=True)
    cold = report.get("cold")
    if cold:
        print(f"store: {cold['people']:,} people, {cold['interactions']:,} interactions, "
              f"{cold['indexed_messages']:,} inbound messages indexed")
        print(f"  cold first queue (index + {cold['snapshots']} snapshots scored): {cold['seconds']:.1f} s, "
              f"peak {cold['peak_rss_mb']:.0f} MB")
    for key in ("warm", "warm_account", "reference"):
        r = report[key]
        print(f"  {key:<13} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  peak {r['peak_rss_mb']:.0f} MB"
              + (f"  (first call, cache built: {r['first_call_ms']:.0f} ms)" if "first_call_ms" in r else "")
              + (f"  reasons {r['queue_by_reason_all']}" if "queue_by_reason_all" in r else ""))
    print(f"  cli: tiescale queue {report['cli_queue_ms']:.0f} ms (whole process); tiescale --help "
          f"{report['cli_help_ms']:.0f} ms")
    if "after_import" in report:
        print(f"  first queue after importing one more day: {report['after_import']['seconds']:.1f} s")
    previous = json.loads((args.out / "queue.json").read_text()) if (args.out / "queue.json").exists() else {}
    previous.update({str(args.rows): {**previous.get(str(args.rows), {}), **report}})
    (args.out / "queue.json").write_text(json.dumps(previous, indent=1, default=str))


if __name__ == "__main__":
    main()
