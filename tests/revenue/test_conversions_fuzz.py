"""Damaged conversions files: every outcome is counted rows or one clear error, never a crash or a loss."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiescale.records import TiescaleError
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

GOOD = (b"order_id,ts,value,currency,email,platform,handle,coupon,utm_source\n"
        b"o1,2026-04-01T12:00:00Z,20.00,USD,a@b.example,x,ann,,x\n"
        b"o2,2026-04-02T12:00:00+02:00,\"1,234.50\",EUR,,,,SPRING,instagram\n"
        b"o3,1775044800,7,usd,,mastodon,@bob@social.example,,\n"
        b"\"o4\",\"2026-04-03\",\"3.5\",\"USD\",\"multi\nline@x\",,,,\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(GOOD)), junk=st.binary(max_size=12), at=st.integers(0, len(GOOD)))
def test_damaged_csv_is_read_or_refused_cleanly(tmp_path: Path, cut: int, junk: bytes, at: int) -> None:
    data = (GOOD[:at] + junk + GOOD[at:])[: max(cut, 1) + len(junk)]
    folder = tmp_path / f"f{abs(hash((cut, junk, at)))}"
    folder.mkdir()
    path = folder / "orders.csv"
    path.write_bytes(data)
    with Store(folder / "t.duckdb") as store:
        try:
            summary = ingest_path(store, path, fmt="conversions")
        except TiescaleError as exc:
            assert str(exc) and "\n" not in str(exc)
            assert store.con.execute("SELECT count(*) FROM conversions").fetchone()[0] == 0
            return
        stored = store.con.execute("SELECT count(*) FROM conversions").fetchone()[0]
        rejects = store.con.execute("SELECT count(*) FROM import_rejects").fetchone()[0]
        assert summary.rows_read == stored + summary.duplicates + summary.rejected
        assert rejects == summary.rejected


def test_the_good_file_reads_whole(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(GOOD)
    with Store(tmp_path / "t.duckdb") as store:
        summary = ingest_path(store, path)
        assert (summary.format, summary.total_new, summary.rejected) == ("conversions", 4, 0)
        rows = dict(store.con.execute("SELECT order_id, value FROM conversions").fetchall())
        assert rows == {"o1": 20.0, "o2": 1234.5, "o3": 7.0, "o4": 3.5}
        assert store.con.execute("SELECT handle, currency FROM conversions WHERE order_id = 'o3'").fetchone() == \
            ("bob@social.example", "USD")
