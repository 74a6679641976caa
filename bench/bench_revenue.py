"""Time `tiescale revenue` right after a refresh on a big store, with synthetic orders.

    nice .venv/bin/python bench/bench_revenue.py /work/h17/c10.duckdb --orders 30000

Works on the store given (copy it first: this script imports orders into it). Steps, each timed:
1. write ORDERS synthetic orders (seeded) tied by platform + handle to random people, spread over the
   last 365 days of the data, a third of them in the last three weeks (a sale), with repeat buyers;
2. `tiescale ingest orders.csv --format conversions` (the import refreshes derived state, which now
   includes the revenue person-time: insights/revenue_cache.refresh_revenue);
3. `tiescale revenue --format json` three times (whole process, start-up included), and the person-time
   computed without the stored copy (what a read of another window costs).

    nice .venv/bin/python bench/bench_revenue.py /tmp/c10.duckdb --orders 0 --against dfb0f18 --rounds 4

``--against REV``: instead, time `refresh_revenue` with the kept figures deleted, interleaved in one
process with ``person_time.py`` as it was at git revision REV (loaded beside the current one).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "tiescale.surfaces.cli"]


def write_orders(db: Path, n: int, out: Path, seed: int = 17) -> int:
    from tiescale.store.db import Store

    with Store(db, read_only=True) as store:
        end = store.data_end()
        assert end is not None
        ids = store.con.execute("SELECT platform, handle FROM identities USING SAMPLE 20000 ROWS").fetchall()
    rng = random.Random(seed)
    buyers = ids[: max(1, n // 3)]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "ts", "value", "currency", "platform", "handle", "utm_source"])
        for i in range(n):
            platform, who = rng.choice(buyers)
            days = rng.uniform(0, 21) if rng.random() < 0.33 else rng.uniform(0, 365)
            ts = end - timedelta(days=days)
            writer.writerow([f"B{i}", ts.isoformat() + "Z", f"{rng.choice((14.5, 29.0, 39.0)):.2f}", "USD",
                             platform, who, rng.choice(("x", "newsletter", ""))])
    return n


def timed(args: list[str], db: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([*CLI, "--db", str(db), *args], capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return took, done.stdout


def interleaved(db: Path, revision: str, rounds: int) -> dict[str, list[float]]:
    """Seconds of refresh_revenue (kept figures deleted) with person_time.py at ``revision`` and now."""
    import importlib.util

    from tiescale.insights import person_time as current, revenue_cache
    from tiescale.store.db import Store

    source = subprocess.run(["git", "show", f"{revision}:src/tiescale/insights/person_time.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    path = db.with_suffix(".person_time_before.py")
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("tiescale.insights._person_time_before", path)
    assert spec is not None and spec.loader is not None
    before = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = before
    spec.loader.exec_module(before)
    seconds: dict[str, list[float]] = {revision: [], "now": []}
    patched: Any = revenue_cache
    with Store(db) as store:
        for _ in range(rounds):
            for name, compute in ((revision, before.person_time), ("now", current.person_time)):
                patched.person_time = compute  # what revenue_cache.compute() calls
                store.con.execute("DELETE FROM revenue_person_time")
                started = time.perf_counter()
                revenue_cache.refresh_revenue(store)
                seconds[name].append(round(time.perf_counter() - started, 2))
    patched.person_time = current.person_time
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("--orders", type=int, default=30000)
    parser.add_argument("--against", help="a git revision: time refresh_revenue against its person_time.py")
    parser.add_argument("--rounds", type=int, default=4)
    opts = parser.parse_args()
    if opts.against:
        print(json.dumps({"refresh_revenue_s": interleaved(opts.db, opts.against, opts.rounds)}, indent=1))
        return
    figures: dict[str, object] = {"store": str(opts.db)}
    orders = opts.db.with_suffix(".orders.csv")
    if opts.orders:
        write_orders(opts.db, opts.orders, orders)
        figures["ingest_orders_s"], _ = timed(["ingest", str(orders), "--format", "conversions"], opts.db)
    else:  # orders imported before: a refresh brings the stored person-time up to date
        figures["refresh_s"], _ = timed(["refresh"], opts.db)
    runs = [timed(["revenue", "--format", "json"], opts.db) for _ in range(3)]
    figures["revenue_s"] = [round(t, 2) for t, _ in runs]
    data = json.loads(runs[-1][1])
    figures["lift"] = data["meaningful"]["lift"]
    figures["orders_placed"] = sum(t["orders"] for t in data["tiers"][:-1])
    from tiescale.insights.revenue_cache import compute
    from tiescale.store.db import Store

    with Store(opts.db, read_only=True) as store:
        from datetime import datetime

        started = time.perf_counter()
        compute(store, datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"]), 7.0)
        figures["person_time_uncached_s"] = round(time.perf_counter() - started, 2)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
