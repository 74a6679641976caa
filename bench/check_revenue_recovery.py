"""Does `tiescale revenue` recover a planted rate ratio? Coverage and bias over many seeds.

    nice .venv/bin/python bench/check_revenue_recovery.py --seeds 60 --k 5

Builds one community (tests/revenue/person_time_sim.py: silent followers, strong and weak talkers,
late joiners who move from "never talked" to the top tiers inside the window, people first seen
through their order), imports it, then for each time profile (flat, a sale week at 6x, orders in
the last 60 days only) and each seed plants orders at k times the "never talked" rate on days at 7+
(with repeat buyers: a Gamma frailty of mean 1 per person), imports them through the real orders
import and reads the report's lift and 95% interval. Prints, per profile, the share of seeds whose
interval holds k (coverage) and the mean estimate's distance from k (bias).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.revenue import person_time_sim as sim  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=60)
    parser.add_argument("--k", type=float, default=5.0)
    parser.add_argument("--layout-seed", type=int, default=1)
    parser.add_argument("--profiles", default=",".join(sim.PROFILES))
    opts = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db, _ = sim.build_layout(work / "layout", seed=opts.layout_seed)
        segs, handles = sim.segments(db), sim.handles_of(db)
        results = {}
        for index, kind in enumerate(opts.profiles.split(",")):  # other seeds for each profile: independent runs
            estimates = [sim.run_seed(db, segs, handles, opts.k, kind, 1000 * (index + 1) + seed, work)
                         for seed in range(opts.seeds)]
            results[kind] = {key: round(value, 4) for key, value in sim.summary(estimates, opts.k).items()}
            results[kind]["mean_orders"] = round(sum(e.orders for e in estimates) / len(estimates), 1)
            print(kind, json.dumps(results[kind]), flush=True)
    every = [r for r in results.values()]
    seeds = sum(r["seeds"] for r in every)
    print(json.dumps({"k": opts.k, "seeds_per_profile": opts.seeds,
                      "coverage_all": round(sum(r["coverage"] * r["seeds"] for r in every) / seeds, 4),
                      "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
