"""Real purchase timing: the CDNOW sample imported as conversions agrees with DuckDB on the raw file."""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tiescale.insights.revenue import revenue_report
from tiescale.insights.orders import matched_conversions_sql
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path


@pytest.mark.shared_data
def test_cdnow_sample_per_person_revenue_agrees(shared_data: Path, tmp_path: Path) -> None:
    raw = shared_data / "commerce" / "cdnow" / "CDNOW_sample.txt"
    if not raw.exists():
        pytest.skip(f"{raw} is absent")
    rows = [line.split() for line in raw.read_text(encoding="ascii").splitlines() if line.strip()]
    customers = sorted({r[0] for r in rows})
    with open(tmp_path / "people.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "account", "person", "direction", "kind", "platform"])
        writer.writerows(["1996-12-31T00:00:00Z", "cdnow", c, "in", "follow", "cdnow"] for c in customers)
    with open(tmp_path / "orders.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "ts", "value", "currency", "platform", "handle"])
        writer.writerows([f"L{n}", f"{d[:4]}-{d[4:6]}-{d[6:]}", v, "USD", "cdnow", c]
                         for n, (c, _, d, _, v) in enumerate(rows, 1))
    with Store(tmp_path / "c.duckdb") as store:
        ingest_path(store, tmp_path / "people.csv")
        summary = ingest_path(store, tmp_path / "orders.csv", fmt="conversions")
        assert (summary.total_new, summary.rejected) == (len(rows), 0)
        ours = dict((h, (n, round(v, 2))) for h, n, v in store.con.execute(f"""
            SELECT id.handle, count(*), sum(m.value) FROM ({matched_conversions_sql()}) m
            JOIN identities id ON id.person_id = m.person_id GROUP BY ALL""").fetchall())
        report = revenue_report(store, window_days=600)
    direct = dict((c, (n, round(v, 2))) for c, n, v in duckdb.sql(f"""
        SELECT f[1], count(*), sum(f[5]::DOUBLE)
        FROM (SELECT regexp_split_to_array(trim(line), '\\s+') AS f
              FROM read_csv('{raw}', delim = '\\x01', header = false, quote = '', columns = {{'line': 'VARCHAR'}}))
        GROUP BY ALL""").fetchall())
    assert ours == direct and len(ours) == len(customers)
    none = report.tier("none")
    assert none.people == none.converted == len(customers)
    assert none.revenue == pytest.approx(sum(v for _, v in direct.values()))
