"""The demo's revenue story, re-measured per person-time, and a planted ratio recovered on its community.

    nice .venv/bin/python bench/check_demo_revenue.py --seeds 10 --k 5

1. Builds the demo (`tiescale demo`'s store, seed 7) and prints what `tiescale revenue` says: the
   lift of people at 7+ over people who never talked, with its interval, per person-time.
2. The demo's own purchases grow with two-way exchanges (demo/commerce.py), not with tiescale's tiers,
   so they plant no single ratio. To check the report on this community, its orders are replaced by
   orders planted on the demo's exposure (tests/revenue/person_time_sim.py: k times the "never
   talked" rate on days at 7+, twice it on the tiers between, repeat buyers, a sale week), imported
   through the real orders import; the report's lift and interval are compared with k.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from tests.revenue import person_time_sim as sim  # noqa: E402
from tiescale.demo import DemoConfig, run_demo  # noqa: E402
from tiescale.insights.person_time import exposure_segments  # noqa: E402
from tiescale.insights.revenue import revenue_report  # noqa: E402
from tiescale.store.db import Store  # noqa: E402
from tiescale.store.ingest import ingest_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--k", type=float, default=5.0)
    parser.add_argument("--profile", default="sale_week", choices=sim.PROFILES)
    parser.add_argument("--rate", type=float, default=0.5,
                        help="the planted base rate, times the harness's (0.5: about 1,000 orders a seed; the demo "
                             "has few days at 7+, so a larger rate gives the 7+ group enough orders to judge bias)")
    opts = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db = work / "demo.duckdb"
        run_demo(db, console=Console(file=io.StringIO()), config=DemoConfig(seed=7))
        with Store(db, read_only=True) as store:
            report = revenue_report(store)
            strong, none = report.meaningful, report.tier("none")
            print(json.dumps({"demo": {
                "people_now_7plus": strong.people_now, "lift": strong.lift, "lift_low": strong.lift_low,
                "lift_high": strong.lift_high, "rate_7plus": strong.orders_per_1000_person_days,
                "rate_none": none.orders_per_1000_person_days, "first_order_lift": strong.first_order_lift,
                "share_meaningful_matched": report.share_meaningful_matched, "statement": report.lift_statement}},
                indent=1), flush=True)
            start, end = report.start, report.end
            segs = exposure_segments(store, start, end, 7.0)
            handles = {int(p): (str(pl), str(h)) for p, pl, h in store.con.execute(
                "SELECT person_id, platform, handle FROM identities").fetchall()}
        # the demo without its orders: a copy whose conversions are deleted, then planted ones imported
        base = work / "base.duckdb"
        shutil.copyfile(db, base)
        with Store(base) as store:
            store.con.execute("DELETE FROM conversions")
        estimates, strong_orders = [], []
        for seed in range(opts.seeds):
            copy = work / "seed.duckdb"
            shutil.copyfile(base, copy)
            rows = plant(segs, handles, opts.k, opts.profile, seed, start, opts.rate)
            orders = work / "orders.csv"
            with orders.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["order_id", "ts", "value", "currency", "platform", "handle"])
                writer.writerows(rows)
            with Store(copy) as store:
                ingest_path(store, orders, fmt="conversions")
                got = revenue_report(store, window_days=(end - start).days).meaningful
            estimates.append(sim.Estimate(seed, got.lift, got.lift_low, got.lift_high, len(rows)))
            strong_orders.append(got.orders)
            copy.unlink()
        found = sim.summary(estimates, opts.k)
        print(json.dumps({"planted": {"k": opts.k, "profile": opts.profile, "rate": opts.rate,
                                      **{k: round(v, 4) for k, v in found.items()},
                                      "mean_orders": sum(e.orders for e in estimates) / len(estimates),
                                      "mean_orders_7plus": sum(strong_orders) / len(strong_orders)},
                          "seconds": round(time.perf_counter() - started, 1)}, indent=1))


def plant(segs: list[tuple[int, datetime, datetime, str, bool]], handles: dict[int, tuple[str, str]], k: float,
          profile: str, seed: int, start: datetime, rate: float = 0.5) -> list[list[str]]:
    """sim.plant_orders on the demo's window (the harness's profiles are laid on its 365 days)."""
    offset = sim.START - start
    moved = [(p, lo + offset, hi + offset, tier, strong) for p, lo, hi, tier, strong in segs]
    keys = {p: f"{platform}\t{handle}" for p, (platform, handle) in handles.items()}
    rows = sim.plant_orders(moved, keys, k, profile, seed, sim.BASE[profile] * rate)
    out = []
    for order_id, ts, value, currency, _platform, key in rows:
        platform, handle = key.split("\t", 1)
        at = datetime.fromisoformat(ts) - offset
        out.append([order_id, at.isoformat(), value, currency, platform, handle])
    return out


if __name__ == "__main__":
    main()
