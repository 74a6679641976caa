"""Benchmark: a year of daily `tiescale score` runs of an unchanged store, and what it adds to the file.

    python bench/bench_history.py [--rows 1000000] [--days 365] [--out bench/out]

A store of --rows synthetic events (bench_score.py's cached store) is scored once at AS_OF; its file
size then (after CHECKPOINT) is the reference. Then one `score` per day for --days days, nothing
imported in between (what a daily sync of a quiet store does): each run writes history rows only for
states that changed (none here) and rewrites the newest date's score tables. The first day also
writes out the full score's history rows, which waited in the score tables (scoring/history.py,
settle_pending): its size is printed apart. Prints the size before and after (CHECKPOINT first), the
growth against the reference and against the store after the first day (issue 15's target: at most
5% for a year), the history rows written and the time of the +1 day run; writes --out/history.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured  # noqa: E402
from bench_score import AS_OF, build_store  # noqa: E402


def child(spec: dict) -> dict:
    from tiescale import Store
    from tiescale.scoring.run import score_store

    db = Path(spec["db"])
    with Store(db) as store:
        started = time.perf_counter()
        score_store(store, AS_OF, force=True)
        first_seconds = time.perf_counter() - started
        store.con.execute("CHECKPOINT")
    before = db.stat().st_size
    day_seconds = []
    with Store(db) as store:
        rows_before = store.scalar("SELECT (SELECT count(*) FROM connection_history_all) + "
                                   "(SELECT count(*) FROM person_history_all)")
        start = datetime.fromisoformat(AS_OF)
        for day in range(1, spec["days"] + 1):
            started = time.perf_counter()
            score_store(store, start + timedelta(days=day))
            day_seconds.append(time.perf_counter() - started)
            if day == 1:  # the full score's pending history rows are written out by this first day
                store.con.execute("CHECKPOINT")
                after_first_day = db.stat().st_size
                rows_first_day = store.scalar("SELECT (SELECT count(*) FROM connection_history) + "
                                              "(SELECT count(*) FROM person_history)")
        rows_after = store.scalar("SELECT (SELECT count(*) FROM connection_history_all) + "
                                  "(SELECT count(*) FROM person_history_all)")
        runs = store.scalar("SELECT count(*) FROM score_runs")
        store.con.execute("CHECKPOINT")
    after = db.stat().st_size
    return {"first_score_seconds": first_seconds, "size_before": before, "size_after": after,
            "growth": (after - before) / before, "size_after_first_day": after_first_day,
            "growth_after_first_day": (after - after_first_day) / after_first_day,
            "history_rows_written_first_day": rows_first_day, "history_rows_before": rows_before,
            "history_rows_after": rows_after, "runs": runs, "plus_one_day_seconds": day_seconds[0],
            "median_day_seconds": sorted(day_seconds)[len(day_seconds) // 2]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    base = build_store(args.out, args.rows)
    work = args.out / f"history_work_{args.rows}.duckdb"
    shutil.copyfile(base, work)
    try:
        result = run_measured(__file__, {"op": "year", "db": str(work), "days": args.days})
    finally:
        work.unlink(missing_ok=True)
    mb = 1024 * 1024
    print(f"\n{args.rows:,} events: {args.days} daily scores of an unchanged store")
    print(f"  store after the first score  {result['size_before'] / mb:8.1f} MB (reference)")
    print(f"  after {args.days} daily scores      {result['size_after'] / mb:8.1f} MB  "
          f"growth {result['growth']:+.2%} (target: at most +5%)")
    print(f"    of which the first day {result['size_after_first_day'] / mb:8.1f} MB: it writes out the full "
          f"score's {result['history_rows_written_first_day']:,} pending history rows once")
    print(f"  days 2-{args.days} add {result['growth_after_first_day']:+.2%} to the store after the first day")
    print(f"  history rows {result['history_rows_before']:,} -> {result['history_rows_after']:,}, "
          f"{result['runs']} runs logged")
    print(f"  +1 day run {result['plus_one_day_seconds']:.2f}s (median day {result['median_day_seconds']:.2f}s; "
          f"first full score {result['first_score_seconds']:.2f}s)")
    path = args.out / "history.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept[f"{args.rows}x{args.days}"] = result
    path.write_text(json.dumps(kept, indent=1, default=str))


if __name__ == "__main__":
    main()
