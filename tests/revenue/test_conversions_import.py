"""Conversions import: formats, matching, rejects, idempotence, atomicity (real DuckDB files, real CLI)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tiescale.records import SourceError
from tiescale.insights.orders import match_report, matched_conversions_sql, unmatched_conversions
from tiescale.store.conversions import forget_conversions
from tiescale.store.db import Store
from tiescale.store.ingest import StrictAbort, ingest_path
from tiescale.surfaces.cli import main

EVENTS = [
    # ts, account, person, direction, kind, platform
    ("2026-03-01T10:00:00Z", "brand", "Ann_X", "in", "reply", "x"),
    ("2026-03-01T11:00:00Z", "brand", "Ann_X", "out", "reply", "x"),
    ("2026-03-02T10:00:00Z", "brand", "bob@social.example", "in", "mention", "mastodon"),
    ("2026-03-02T10:00:00Z", "brand", "cy", "in", "comment", "instagram"),
    ("2026-03-03T10:00:00Z", "brand", "@Dee", "in", "comment", "youtube"),
]
ORDER_COLUMNS = ["order_id", "ts", "value", "currency", "email", "platform", "handle", "person_id", "coupon",
                 "utm_source", "utm_campaign", "click_id"]


def write_csv(path: Path, columns: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def order(order_id: str, ts: str = "2026-04-01T12:00:00Z", value: object = "20.00", **keys: object) -> list[object]:
    row = {"order_id": order_id, "ts": ts, "value": value, "currency": "USD", **keys}
    return [row.get(c, "") for c in ORDER_COLUMNS]


@pytest.fixture
def people_store(tmp_path: Path) -> Store:
    events = write_csv(tmp_path / "events.csv", ["ts", "account", "person", "direction", "kind", "platform"],
                       [list(e) for e in EVENTS])
    store = Store(tmp_path / "t.duckdb")
    ingest_path(store, events)
    yield store
    store.close()


def person_of(store: Store, platform: str, handle: str) -> int:
    return store.con.execute("SELECT person_id FROM identities WHERE platform = ? AND handle = ?",
                             [platform, handle]).fetchone()[0]


def matches(store: Store) -> dict[str, tuple]:
    rows = store.con.execute(f"SELECT order_id, person_id, matched_by, utm_platform FROM ({matched_conversions_sql()})"
                             ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_orders_match_by_handle_person_id_coupon_email_and_utm(people_store: Store, tmp_path: Path) -> None:
    store = people_store
    ann, bob, cy = person_of(store, "x", "Ann_X"), person_of(store, "mastodon", "bob@social.example"), \
        person_of(store, "instagram", "cy")
    store.con.execute("UPDATE identities SET email = 'Cy@Example.com' WHERE platform = 'instagram'")
    orders = write_csv(tmp_path / "orders.csv", ORDER_COLUMNS, [
        order("o1", platform="X", handle="@ann_x"),  # case and @ do not matter
        order("o2", person_id=str(bob)),
        order("o3", coupon="bob10"),  # mapped later
        order("o4", email="cy@EXAMPLE.com"),
        order("o5", utm_source="IG"),  # UTM only: a platform, not a person
        order("o6", email="nobody@example.com"),
        order("o7", platform="x", handle="ghost"),
        order("o8", platform="youtube", handle="dee"),  # the store keeps YouTube's @
    ])
    summary = ingest_path(store, orders, fmt="conversions")
    assert (summary.status, summary.rows_read, summary.total_new, summary.rejected) == ("ok", 8, 8, 0)
    got = matches(store)
    assert got["o1"][:2] == (ann, "handle") and got["o2"][:2] == (bob, "person_id")
    assert got["o3"][0] is None and got["o4"][:2] == (cy, "email")
    assert got["o5"] == (None, "utm", "instagram")
    assert got["o6"][0] is None and got["o7"][0] is None
    assert got["o8"][:2] == (person_of(store, "youtube", "@Dee"), "handle")
    # a coupon mapping imported afterwards ties o3 to bob, without re-importing the orders
    coupons = write_csv(tmp_path / "coupons.csv", ["coupon", "platform", "handle"],
                        [["BOB10", "mastodon", "bob@social.example"]])
    assert ingest_path(store, coupons).format == "conversions"  # detected
    assert matches(store)["o3"][:2] == (bob, "coupon")
    report = match_report(store)
    assert (report.conversions, report.matched, report.utm_only, report.unmatched) == (8, 5, 1, 2)
    assert report.by_method == {"handle": 2, "person_id": 1, "coupon": 1, "email": 1}
    assert report.match_rate == pytest.approx(5 / 8)
    reasons = {r["order_id"]: r["reason"] for r in unmatched_conversions(store, limit=0)}
    assert reasons == {"o5": "only utm_source ig", "o6": "e-mail not in the store", "o7": "handle not in the store"}


def test_an_email_shared_by_two_people_matches_nobody(people_store: Store, tmp_path: Path) -> None:
    store = people_store
    store.con.execute("UPDATE identities SET email = 'same@example.com' WHERE platform IN ('x', 'instagram')")
    ingest_path(store, write_csv(tmp_path / "o.csv", ORDER_COLUMNS, [order("o1", email="same@example.com")]),
                fmt="conversions")
    assert matches(store)["o1"][0] is None
    assert unmatched_conversions(store)[0]["reason"] == "e-mail names several people"


def test_reimport_and_overlap_add_only_new_orders(people_store: Store, tmp_path: Path) -> None:
    store = people_store
    first = write_csv(tmp_path / "a.csv", ORDER_COLUMNS, [order("o1"), order("o2")])
    assert ingest_path(store, first, fmt="conversions").total_new == 2
    assert ingest_path(store, first, fmt="conversions").status == "unchanged"
    newer = write_csv(tmp_path / "b.csv", ORDER_COLUMNS, [order("o2"), order("o3"), order("o3")])
    summary = ingest_path(store, newer, fmt="conversions")
    assert (summary.total_new, summary.duplicates) == (1, 2)
    assert store.con.execute("SELECT count(*) FROM conversions").fetchone()[0] == 3


def test_csv_jsonl_and_parquet_give_the_same_orders(tmp_path: Path) -> None:
    rows = [order("o1", value="12.5", email="A@b.example", platform="x", handle="ann"),
            order("o2", ts="1775044800", value="7", utm_source="youtube", coupon="x1")]
    dicts = [dict(zip(ORDER_COLUMNS, r)) for r in rows]
    paths = {"csv": write_csv(tmp_path / "o.csv", ORDER_COLUMNS, rows)}
    paths["jsonl"] = tmp_path / "o.jsonl"
    paths["jsonl"].write_text("\n".join(json.dumps({k: v for k, v in d.items() if v != ""}) for d in dicts) + "\n")
    paths["parquet"] = tmp_path / "o.parquet"
    pq.write_table(pa.Table.from_pylist(dicts), paths["parquet"])
    seen = []
    for kind, path in paths.items():
        with Store(tmp_path / f"{kind}.duckdb") as store:
            assert ingest_path(store, path).format == "conversions"
            seen.append(store.con.execute(
                "SELECT order_id, ts, value, currency, email, platform, handle, coupon, utm_source FROM conversions "
                "ORDER BY order_id").fetchall())
    assert seen[0] == seen[1] == seen[2]
    assert seen[0][0][4] == "a@b.example" and seen[0][1][7] == "X1" and seen[0][1][2] == 7.0


def test_bad_rows_are_rejected_and_reported_with_exit_code_1(people_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ORDER_COLUMNS, [
        order("ok1"), order("bad-ts", ts="yesterday"), order("neg", value="-5"), order("noval", value=""),
        order("h", handle="ann"), order("pid", person_id="abc"), order("future", ts="2999-01-01T00:00:00Z"),
    ])
    db = people_store.path
    people_store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "ingest", str(path), "--format", "conversions"])
    assert result.exit_code == 1, result.output
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT order_id FROM conversions").fetchall() == [("ok1",)]
        reasons = dict(store.con.execute("SELECT record, reason FROM import_rejects").fetchall())
        assert len(reasons) == 6
        assert reasons["line 3"] == "unreadable timestamp 'yesterday'"
        assert "negative value" in reasons["line 4"] and reasons["line 5"] == "missing value"
        assert "without a platform" in reasons["line 6"] and "person_id" in reasons["line 7"]
        assert "in the future" in reasons["line 8"]
        assert store.con.execute("SELECT status, rejected FROM imports WHERE format = 'conversions'"
                                 ).fetchone() == ("partial", 6)


def test_strict_and_wrong_files_leave_the_store_as_it_was(people_store: Store, tmp_path: Path) -> None:
    store = people_store
    path = write_csv(tmp_path / "o.csv", ORDER_COLUMNS, [order("o1"), order("o2", value="n/a")])
    with pytest.raises(StrictAbort):
        ingest_path(store, path, fmt="conversions", strict=True)
    assert store.con.execute("SELECT count(*) FROM conversions").fetchone()[0] == 0
    assert store.con.execute("SELECT count(*) FROM imports WHERE format = 'conversions'").fetchone()[0] == 0
    no_value = write_csv(tmp_path / "nv.csv", ["order_id", "ts", "email"], [["o1", "2026-04-01", "a@b"]])
    with pytest.raises(SourceError, match="missing required column"):
        ingest_path(store, no_value, fmt="conversions")
    db = store.path
    store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "ingest", str(no_value), "--format", "conversions"])
    assert result.exit_code == 2 and "value" in result.output


def test_forget_removes_a_persons_orders_and_coupons(people_store: Store, tmp_path: Path) -> None:
    store = people_store
    bob = person_of(store, "mastodon", "bob@social.example")
    ingest_path(store, write_csv(tmp_path / "c.csv", ["coupon", "person_id"], [["BOB10", bob]]))
    ingest_path(store, write_csv(tmp_path / "o.csv", ORDER_COLUMNS,
                                 [order("o1", coupon="BOB10"), order("o2", platform="x", handle="ann_x")]))
    assert forget_conversions(store.con, bob) == 1
    assert store.con.execute("SELECT order_id FROM conversions").fetchall() == [("o2",)]
    assert store.con.execute("SELECT count(*) FROM coupon_mappings").fetchone()[0] == 0


def test_conversions_all_lists_every_order_with_its_match(people_store: Store, tmp_path: Path) -> None:
    store = people_store
    ann = person_of(store, "x", "Ann_X")
    orders = write_csv(tmp_path / "orders.csv", ORDER_COLUMNS, [
        order("o1", ts="2026-04-01T12:00:00Z", platform="x", handle="ann_x"),
        order("o2", ts="2026-04-02T12:00:00Z", email="nobody@example.com"),
    ])
    ingest_path(store, orders, fmt="conversions")
    db = store.path
    store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "conversions", "--all", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["order_id"] for r in rows] == ["o2", "o1"]  # newest first
    assert (rows[1]["person_id"], rows[1]["matched_by"]) == (ann, "handle")
    assert rows[0]["person_id"] is None and rows[0]["unmatched_reason"] == "e-mail not in the store"
    one = json.loads(CliRunner().invoke(main, ["--db", str(db), "conversions", "--all", "--limit", "1",
                                               "--format", "json"]).output)
    assert [r["order_id"] for r in one] == ["o2"]
