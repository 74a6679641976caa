"""CDNOW check: the conversion import and per-person revenue at 23,570 customers / 69,659 purchases.

The CDNOW master file (../shared/data/commerce/cdnow/CDNOW_master.txt: customer id, date YYYYMMDD,
number of CDs, dollar value; whitespace-separated) is a real repeat-purchase log. This script
1. makes each customer a person (one canonical event per customer: a follow on 1996-12-31,
   platform ``cdnow``, handle = customer id) and writes the purchases as a conversions CSV
   (order_id = line number, platform ``cdnow`` + handle = customer id);
2. imports both through ``ingest_path`` (timed), then imports the conversions again (timed: unchanged);
3. compares revenue and orders per person from tiescale's matching with a direct DuckDB
   computation on the raw file, and times ``revenue_report`` over the whole period.

    nice .venv/bin/python bench/check_cdnow.py            # results in bench/out/check_cdnow.json
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from tiescale.insights.revenue import revenue_report
from tiescale.insights.orders import matched_conversions_sql
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "commerce" / "cdnow" / "CDNOW_master.txt"


def raw_rows(path: Path) -> list[tuple[str, str, int, float]]:
    rows = []
    with open(path, encoding="ascii") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) != 4 or not parts[0].isdigit():
                continue  # the header line
            rows.append((parts[0], parts[1], int(parts[2]), float(parts[3])))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "check_cdnow.json")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"{args.data} is absent; nothing to check", file=sys.stderr)
        return 2
    rows = raw_rows(args.data)
    with tempfile.TemporaryDirectory(prefix="tiescale-cdnow-") as tmp:
        folder = Path(tmp)
        events, orders = folder / "customers.csv", folder / "purchases.csv"
        customers = sorted({r[0] for r in rows})
        with open(events, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["ts", "account", "person", "direction", "kind", "platform"])
            writer.writerows(["1996-12-31T00:00:00Z", "cdnow", c, "in", "follow", "cdnow"] for c in customers)
        with open(orders, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["order_id", "ts", "value", "currency", "platform", "handle"])
            writer.writerows([f"L{n}", f"{d[:4]}-{d[4:6]}-{d[6:]}T12:00:00Z", f"{v:.2f}", "USD", "cdnow", c]
                             for n, (c, d, _, v) in enumerate(rows, 2))
        with Store(folder / "cdnow.duckdb") as store:
            t0 = time.perf_counter()
            people = ingest_path(store, events)
            t1 = time.perf_counter()
            imported = ingest_path(store, orders, fmt="conversions")
            t2 = time.perf_counter()
            again = ingest_path(store, orders, fmt="conversions")
            t3 = time.perf_counter()
            ours = dict((h, (n, round(v, 2))) for h, n, v in store.con.execute(f"""
                SELECT id.handle, count(*), sum(m.value) FROM ({matched_conversions_sql()}) m
                JOIN identities id ON id.person_id = m.person_id GROUP BY ALL""").fetchall())
            unmatched = store.con.execute(
                f"SELECT count(*) FROM ({matched_conversions_sql()}) WHERE person_id IS NULL").fetchone()[0]
            t4 = time.perf_counter()
            report = revenue_report(store, window_days=600)
            t5 = time.perf_counter()
        direct_con = duckdb.connect()
        t6 = time.perf_counter()
        # straight from the raw file: split each line on whitespace, group by customer
        direct = dict((c, (n, round(v, 2))) for c, n, v in direct_con.execute("""
            SELECT f[1], count(*), sum(f[4]::DOUBLE)
            FROM (SELECT regexp_split_to_array(trim(line), '\\s+') AS f
                  FROM read_csv(?, delim = '\x01', header = false, quote = '', columns = {'line': 'VARCHAR'}))
            WHERE f[1] SIMILAR TO '[0-9]+' GROUP BY ALL""", [str(args.data)]).fetchall())
        t7 = time.perf_counter()
    diff = sorted(set(ours) ^ set(direct)) + [c for c in ours if c in direct and ours[c] != direct[c]]
    none = report.tier("none")
    result = {
        "purchases_in_file": len(rows), "customers_in_file": len(customers),
        "people_imported": people.new_people, "conversions_imported": imported.total_new,
        "rejected": imported.rejected, "reimport_status": again.status, "unmatched": unmatched,
        "people_compared": len(direct), "people_differing": len(diff), "examples_differing": diff[:5],
        "revenue_total_tiescale": round(sum(v for _, v in ours.values()), 2),
        "revenue_total_direct": round(sum(v for _, v in direct.values()), 2),
        "seconds": {"import_people": round(t1 - t0, 2), "import_conversions": round(t2 - t1, 2),
                    "reimport_conversions": round(t3 - t2, 2), "per_person_revenue_query": round(t4 - t3, 2),
                    "revenue_report": round(t5 - t4, 2), "direct_duckdb_on_raw_file": round(t7 - t6, 2)},
        "report_none_tier": {"people": none.people, "converted": none.converted, "revenue": none.revenue,
                             "orders": none.orders, "person_days": none.person_days,
                             "orders_per_1000_person_days": round(none.orders_per_1000_person_days, 4),
                             "rate_interval": [round(none.rate_low, 4), round(none.rate_high, 4)],
                             "first_orders": none.first_orders,
                             "first_orders_per_1000_person_days": round(none.first_orders_per_1000_person_days, 4)},
        "report_orders_in_tiers": sum(t.orders for t in report.tiers),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    # per person-time, every purchase falls on a day its customer was watched (all follow before buying)
    ok = (not diff and imported.total_new == len(rows) and len(direct) == len(customers) and not unmatched
          and result["report_orders_in_tiers"] == len(rows))
    print("CDNOW check:", "agree" if ok else "DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
