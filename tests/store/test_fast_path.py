"""The events fast path (CSV and Parquet read by DuckDB) and the load behind every import.

Dedupe inside a file and against the store, reject numbering, timestamp column types, the
content hash computed alongside the import, and one transaction per import.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tiescale import Store, ingest_path
from tiescale.store import events_fast_path
from tiescale.store import ingest, load
from tiescale.store.ingest import StrictAbort, content_hash
from tests.conftest import count

HEADER = "ts,account,person,direction,kind,platform,id,text,in_reply_to,thread\n"


def write(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def stored(store: Store) -> list[tuple]:
    return store.con.execute(
        "SELECT platform, account, handle, ts, direction, kind, item_id, text, in_reply_to, thread, dedupe_key "
        "FROM interactions ORDER BY ALL"
    ).fetchall()


def rejects(store: Store) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in store.con.execute(
        "SELECT file, record, reason FROM import_rejects ORDER BY file, length(record), record"
    ).fetchall()]


def temp_tables(store: Store) -> list[str]:
    return [r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]


# -- dedupe ---------------------------------------------------------------------------------------
def test_duplicate_ids_inside_the_file_are_stored_once_and_the_first_row_wins(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "e.csv",
        "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,first,,",
        "2024-03-01T09:00:00Z,brand,bob,in,mention,x,1,same post other person,,",
        "2024-03-02T09:00:00Z,brand,ann,in,reply,x,1,second copy of id 1,,",
        "2024-03-03T09:00:00Z,brand,ann,in,reply,x,2,,,",
        "2024-03-03T09:00:00Z,brand,ann,in,reply,mastodon,1,same id other platform,,",
        "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,third copy of id 1,,",
    )
    summary = ingest_path(store, path)
    assert summary.rows_read == 6 and summary.total_new == 4 and summary.duplicates == 2
    assert store.con.execute(
        "SELECT text FROM interactions WHERE platform = 'x' AND handle = 'ann' AND item_id = '1'"
    ).fetchall() == [("first",)]
    assert count(store, "SELECT count(*) FROM interactions WHERE item_id = '1'") == 3


def test_rows_without_id_dedupe_on_every_field(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "e.csv",
        "2024-03-01T09:00:00Z,brand,ann,in,like,x,,,,",
        "2024-03-01T09:00:00Z,brand,ann,in,like,x,,,,",
        "2024-03-01T09:00:00+00:00,brand,ann,in,like,x,,,,",  # the same instant written otherwise
        "2024-03-01T09:00:01Z,brand,ann,in,like,x,,,,",
        "2024-03-01T09:00:00Z,brand,ann,in,like,x,,hello,,",
        "2024-03-01T09:00:00Z,brand,ann,out,like,x,,,,",
    )
    summary = ingest_path(store, path)
    assert summary.total_new == 4 and summary.duplicates == 2
    assert count(store, "SELECT count(DISTINCT dedupe_key) FROM interactions WHERE dedupe_key LIKE 'h:%'") == 4


def test_a_store_with_some_of_the_rows_gets_only_the_new_ones(store: Store, tmp_path: Path) -> None:
    rows = [f"2024-03-0{d}T09:00:00Z,brand,p{d},in,reply,x,{d},text {d},," for d in range(1, 8)]
    first = ingest_path(store, write(tmp_path / "a.csv", *rows[:4]))
    assert first.total_new == 4
    before = stored(store)
    # overlaps rows 3-4, repeats row 5 inside the file, adds 5-7
    second = ingest_path(store, write(tmp_path / "b.csv", *rows[2:], rows[4]))
    assert second.rows_read == 6 and second.total_new == 3 and second.duplicates == 3
    assert second.new_people == 3
    after = stored(store)
    assert set(before) < set(after) and len(after) == 7
    assert count(store, "SELECT count(*) FROM (SELECT platform, handle, dedupe_key FROM interactions "
                        "GROUP BY ALL HAVING count(*) > 1)") == 0


def test_a_hash_collision_never_drops_a_row(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every row given the same key hash, the exact comparison still keeps all distinct keys."""
    monkeypatch.setattr(load, "KEY_HASH_SQL", "0::UBIGINT")
    monkeypatch.setattr(events_fast_path, "KEY_HASH_SQL", "0::UBIGINT")
    path = write(
        tmp_path / "e.csv",
        "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,",
        "2024-03-01T09:00:00Z,brand,bob,in,reply,x,1,,,",
        "2024-03-01T09:00:00Z,brand,ann,in,reply,x,2,,,",
        "2024-03-01T09:00:00Z,brand,ann,in,like,x,,,,",
        "2024-03-01T09:00:00Z,brand,ann,in,reply,x,2,again,,",
    )
    summary = ingest_path(store, path)
    assert summary.total_new == 4 and summary.duplicates == 1
    assert store.con.execute("SELECT text FROM interactions WHERE handle = 'ann' AND item_id = '2'").fetchall() == [
        (None,)]


def test_python_path_rows_dedupe_like_the_fast_path(tmp_path: Path) -> None:
    rows = [
        {"ts": "2024-03-01T09:00:00Z", "account": "brand", "person": "ann", "direction": "in", "kind": "reply",
         "platform": "x", "id": "1", "text": "first"},
        {"ts": "2024-03-01T09:00:00Z", "account": "brand", "person": "ann", "direction": "in", "kind": "reply",
         "platform": "x", "id": "1", "text": "copy"},
        {"ts": "2024-03-01T09:00:00Z", "account": "brand", "person": "ann", "direction": "in", "kind": "like",
         "platform": "x"},
        {"ts": "2024-03-01T09:00:00Z", "account": "brand", "person": "ann", "direction": "in", "kind": "like",
         "platform": "x"},
        {"ts": "not a time", "account": "brand", "person": "ann", "direction": "in", "kind": "like"},
    ]
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    csv = write(tmp_path / "e.csv", *(
        ",".join(str(r.get(c, "")) for c in HEADER.strip().split(",")) for r in rows
    ))
    results = []
    for path in (jsonl, csv):
        with Store(tmp_path / f"{path.suffix[1:]}.duckdb") as s:
            summary = ingest_path(s, path)
            assert (summary.rows_read, summary.total_new, summary.duplicates, summary.rejected) == (5, 2, 2, 1)
            results.append(stored(s))
            assert temp_tables(s) == []
    assert results[0] == results[1]


# -- rejects ----------------------------------------------------------------------------------------
def test_rejected_rows_are_numbered_by_line_also_after_lines_duckdb_skipped(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        HEADER
        + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,\n"  # line 2
        + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,2,,,,too,many\n"  # line 3: too many fields
        + "yesterday,brand,ann,in,reply,x,3,,,\n"  # line 4
        + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,4,,,,x\n"  # line 5: too many fields
        + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,5,,,,x\n"  # line 6: too many fields
        + "2024-03-01T09:00:00Z,brand,,in,reply,x,6,,,\n"  # line 7: no person
        + "2024-03-01T09:00:00Z,brand,ann,sideways,reply,x,7,\"a, b\",,\n"  # line 8
        + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,8,,,\n"  # line 9
        + "2999-01-01T00:00:00Z,brand,ann,in,reply,x,9,,,\n",  # line 10
        encoding="utf-8",
    )
    summary = ingest_path(store, path)
    assert summary.rows_read == 9 and summary.total_new == 2 and summary.rejected == 7
    assert summary.status == "partial"
    assert rejects(store) == [
        (str(path), "line 3", "more fields than the header"),
        (str(path), "line 4", "unreadable timestamp yesterday"),
        (str(path), "line 5", "more fields than the header"),
        (str(path), "line 6", "more fields than the header"),
        (str(path), "line 7", "missing person"),
        (str(path), "line 8", "direction must be in or out, not sideways"),
        (str(path), "line 10", "timestamp 2999-01-01T00:00:00Z is in the future"),
    ]
    assert {r.record for r in summary.rejects} == {r[1] for r in rejects(store)}


def test_each_file_of_a_folder_numbers_its_own_lines(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "a.csv", "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,", "bad,brand,ann,in,reply,x,2,,,")
    write(folder / "b.csv", "bad,brand,bob,in,reply,x,3,,,", "2024-03-01T09:00:00Z,brand,bob,in,reply,x,4,,,",
          "2024-03-01T09:00:00Z,brand,,in,reply,x,5,,,")
    summary = ingest_path(store, folder, fmt="events")
    assert summary.rows_read == 5 and summary.total_new == 2 and summary.rejected == 3
    assert rejects(store) == [
        (str(folder / "a.csv"), "line 3", "unreadable timestamp bad"),
        (str(folder / "b.csv"), "line 2", "unreadable timestamp bad"),
        (str(folder / "b.csv"), "line 4", "missing person"),
    ]


def test_parquet_rejects_are_numbered_by_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    duckdb.sql(f"""COPY (
        SELECT CASE WHEN i IN (3, 200000) THEN 'garbage' ELSE '2024-01-01T00:00:00Z' END AS ts, 'brand' AS account,
               CASE WHEN i = 150001 THEN '' ELSE 'p' || (i % 1000) END AS person, 'in' AS direction,
               'reply' AS kind, 'id' || i AS id
        FROM range(1, 250001) t(i) ORDER BY i) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 10000)""")
    summary = ingest_path(store, path)
    assert summary.rows_read == 250_000 and summary.rejected == 3 and summary.total_new == 249_997
    assert [r[1:] for r in rejects(store)] == [
        ("row 3", "unreadable timestamp garbage"),
        ("row 150001", "missing person"),
        ("row 200000", "unreadable timestamp garbage"),
    ]


def test_row_numbers_hold_when_the_connection_does_not_keep_insertion_order(store: Store, tmp_path: Path) -> None:
    store.con.execute("SET preserve_insertion_order = false")
    path = tmp_path / "e.csv"
    duckdb.sql(f"""COPY (
        SELECT CASE WHEN i = 123456 THEN 'nope' ELSE '2024-01-01T00:00:00Z' END AS ts, 'brand' AS account,
               'p' || (i % 1000) AS person, 'in' AS direction, 'reply' AS kind, 'id' || i AS id
        FROM range(1, 200001) t(i) ORDER BY i) TO '{path}' (FORMAT csv, HEADER true)""")
    summary = ingest_path(store, path)
    assert summary.rejected == 1 and [r.record for r in summary.rejects] == ["line 123457"]
    assert store.con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False


def test_strict_stops_at_a_line_duckdb_skipped(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(HEADER + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,,extra\n", encoding="utf-8")
    with pytest.raises(StrictAbort, match="line 2: more fields than the header"):
        ingest_path(store, path, strict=True)
    assert count(store, "SELECT count(*) FROM imports") == 0


# -- timestamps -------------------------------------------------------------------------------------
JAN_1_10H = 1704103200  # 2024-01-01 10:00:00 UTC


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("TIMESTAMPTZ '2024-01-01 12:00:00+02'", JAN_1_10H),
        ("TIMESTAMP '2024-01-01 10:00:00'", JAN_1_10H),  # naive: UTC
        ("1704103200::BIGINT", JAN_1_10H),
        ("1704103200000::BIGINT", JAN_1_10H),  # milliseconds
        ("1704103200::INTEGER", JAN_1_10H),
        ("1704103200.5::DOUBLE", JAN_1_10H + 0.5),
        ("'2024-01-01T12:00:00+02:00'", JAN_1_10H),
        ("'2024-01-01T10:00:00Z'", JAN_1_10H),
        ("' 2024-01-01 10:00:00 '", JAN_1_10H),
        ("'2024-01-01 '", JAN_1_10H - 10 * 3600),
        ("'1704103200'", JAN_1_10H),
        ("'1704103200000'", JAN_1_10H),
    ],
)
def test_parquet_ts_column_types(store: Store, tmp_path: Path, expression: str, expected: float) -> None:
    path = tmp_path / "e.parquet"
    duckdb.sql(f"""COPY (SELECT {expression} AS ts, 'brand' AS account, 'ann' AS person, 'in' AS direction,
                        'reply' AS kind, 'x' AS platform, '1' AS id) TO '{path}' (FORMAT parquet)""")
    summary = ingest_path(store, path)
    assert summary.total_new == 1 and summary.rejected == 0
    assert store.con.execute("SELECT epoch_us(ts) FROM interactions").fetchone()[0] == int(expected * 1_000_000)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("infinity", "unreadable timestamp infinity"),
        ("-infinity", "unreadable timestamp -infinity"),
        ("nan", "unreadable timestamp nan"),
        ("99999999999999999999", "unreadable timestamp 99999999999999999999"),
        ("   ", "missing ts"),
        ("1900-01-01", "timestamp 1900-01-01 is before 1990"),
    ],
)
def test_unreadable_text_timestamps_are_rejected(store: Store, tmp_path: Path, value: str, reason: str) -> None:
    path = tmp_path / "e.parquet"
    duckdb.sql(f"""COPY (SELECT '{value}' AS ts, 'brand' AS account, 'ann' AS person, 'in' AS direction,
                        'reply' AS kind) TO '{path}' (FORMAT parquet)""")
    summary = ingest_path(store, path)
    assert summary.total_new == 0 and [(r.record, r.reason) for r in summary.rejects] == [("row 1", reason)]


# -- the content hash and the transaction -------------------------------------------------------------
def test_hash_computed_alongside_the_import(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "HASH_IN_BACKGROUND_BYTES", 0)
    rows = [f"2024-03-0{d}T09:00:00Z,brand,p{d},in,reply,x,{d},,," for d in range(1, 6)]
    path = write(tmp_path / "a.csv", *rows)
    first = ingest_path(store, path)
    assert first.status == "ok" and first.total_new == 5
    logged = store.con.execute("SELECT content_hash FROM imports WHERE import_id = ?", [first.import_id]).fetchone()
    assert logged == (content_hash(path),)
    before = stored(store)
    again = ingest_path(store, write(tmp_path / "b.csv", *rows))  # same bytes, other name
    assert again.status == "unchanged" and again.total_new == 0
    assert stored(store) == before and temp_tables(store) == []
    assert store.con.execute("SELECT status FROM imports ORDER BY import_id").fetchall() == [("ok",), ("unchanged",)]
    other = ingest_path(store, write(tmp_path / "c.csv", *rows, "2024-03-09T09:00:00Z,brand,p9,in,reply,x,9,,,"))
    assert other.status == "ok" and other.total_new == 1 and other.duplicates == 5


def test_a_failure_in_the_load_leaves_the_store_as_before(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_path(store, write(tmp_path / "a.csv", "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,"))
    tables = ("interactions", "people", "identities", "accounts", "imports", "import_rejects")
    before = [count(store, f"SELECT count(*) FROM {t}") for t in tables]

    def boom(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(load, "_load_posts", boom)
    path = write(tmp_path / "b.csv", "2024-03-02T09:00:00Z,brand,bob,in,reply,x,2,,,", "bad,brand,cy,in,dm,x,3,,,")
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_path(store, path)
    assert [count(store, f"SELECT count(*) FROM {t}") for t in tables] == before
    monkeypatch.undo()
    assert ingest_path(store, path).total_new == 1


def test_nothing_is_left_behind_in_temporary_tables(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,",
                 "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,", "x,brand,ann,in,reply,x,2,,,,,")
    ingest_path(store, path)
    assert temp_tables(store) == []


def test_line_numbers_when_the_plan_cannot_keep_the_file_order(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should DuckDB ever plan the stage insert without order, a row_number() window numbers the rows."""
    monkeypatch.setattr(events_fast_path, "_operators", lambda con, sql: {"INSERT"})
    path = tmp_path / "e.csv"
    path.write_text(
        HEADER
        + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,1,,,,too many\n"  # line 2
        + "2024-03-01T09:00:00Z,brand,ann,in,reply,x,2,,,\n"  # line 3
        + "soon,brand,ann,in,reply,x,3,,,\n",  # line 4
        encoding="utf-8",
    )
    summary = ingest_path(store, path)
    assert summary.total_new == 1
    assert [r[1:] for r in rejects(store)] == [
        ("line 2", "more fields than the header"), ("line 4", "unreadable timestamp soon")]


def test_parquet_with_its_own_file_row_number_column(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    duckdb.sql(f"""COPY (SELECT 7 AS file_row_number, CASE WHEN i = 2 THEN 'x' ELSE '2024-01-01' END AS ts,
                        'brand' AS account, 'ann' AS person, 'in' AS direction, 'reply' AS kind, i::VARCHAR AS id
                        FROM range(1, 4) t(i) ORDER BY i) TO '{path}' (FORMAT parquet)""")
    summary = ingest_path(store, path)
    assert summary.total_new == 2 and [(r.record, r.reason) for r in summary.rejects] == [
        ("row 2", "unreadable timestamp x")]


def test_reimport_of_a_large_file_stops_the_running_import(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash matches while DuckDB is busy reading: the import rolls back, the log says unchanged."""
    monkeypatch.setattr(ingest, "HASH_IN_BACKGROUND_BYTES", 0)
    path = tmp_path / "big.csv"
    duckdb.sql(f"""COPY (SELECT strftime(TIMESTAMP '2024-01-01' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ') AS ts,
                               'brand' AS account, 'p' || (i % 5000) AS person, 'in' AS direction, 'reply' AS kind,
                               'x' AS platform, 'id' || i AS id, 'some text ' || i AS text
                        FROM range(400000) t(i)) TO '{path}' (FORMAT csv, HEADER true)""")
    assert ingest_path(store, path).total_new == 400_000
    tables = ("interactions", "people", "identities", "import_rejects")
    before = [count(store, f"SELECT count(*) FROM {t}") for t in tables]
    for _ in range(3):
        again = ingest_path(store, path)
        assert again.status == "unchanged" and again.total_new == 0
        assert [count(store, f"SELECT count(*) FROM {t}") for t in tables] == before
        assert temp_tables(store) == []
    # the connection is left in a usable state: a later import is not interrupted
    other = ingest_path(store, write(tmp_path / "small.csv", "2024-05-01T00:00:00Z,brand,zed,in,dm,x,z1,,,"))
    assert other.status == "ok" and other.total_new == 1
    assert store.con.execute("SELECT list(status ORDER BY import_id) FROM imports").fetchone()[0] == [
        "ok", "unchanged", "unchanged", "unchanged", "ok"]


def test_line_numbers_in_a_large_csv_read_in_parallel(store: Store, tmp_path: Path) -> None:
    """Many buffers, read by several threads: every reject still names its own line."""
    import random

    rng = random.Random(7)
    lines = 300_000
    too_many = set(rng.sample(range(2, lines + 2), 60))
    bad_ts = set(rng.sample(sorted(set(range(2, lines + 2)) - too_many), 60))
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("ts,account,person,direction,kind,id,text\n")
        for line in range(2, lines + 2):
            if line in too_many:
                handle.write(f"2024-01-01T00:00:00Z,brand,p{line},in,reply,i{line},t,extra\n")
            elif line in bad_ts:
                handle.write(f"bad{line},brand,p{line},in,reply,i{line},t\n")
            else:
                handle.write(f'2024-01-01T00:00:00Z,brand,p{line % 1000},in,reply,i{line},"hi, {line}"\n')
    summary = ingest_path(store, path)
    assert summary.rows_read == lines and summary.rejected == 120
    expected = {f"line {n}": "more fields than the header" for n in too_many}
    expected |= {f"line {n}": f"unreadable timestamp bad{n}" for n in bad_ts}
    assert dict(store.con.execute("SELECT record, reason FROM import_rejects").fetchall()) == expected


def test_a_matching_hash_may_land_at_any_moment(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """However late the hash matches (even during BEGIN or COMMIT), the re-import is logged unchanged,
    nothing else changes and the connection stays usable."""
    import random
    import time

    monkeypatch.setattr(ingest, "HASH_IN_BACKGROUND_BYTES", 0)
    rows = [f"2024-03-0{d}T09:00:00Z,brand,p{d},in,reply,x,{d},,," for d in range(1, 8)]
    ingest_path(store, write(tmp_path / "a.csv", *rows))
    before = stored(store)
    compute = ingest._ContentHash._compute
    rng = random.Random(3)

    def late(self: object, path: Path) -> None:
        time.sleep(rng.random() * 0.04)
        compute(self, path)

    monkeypatch.setattr(ingest._ContentHash, "_compute", late)
    for i in range(25):
        again = ingest_path(store, write(tmp_path / f"copy{i}.csv", *rows))  # a new path: hashed alongside
        assert again.status == "unchanged" and stored(store) == before and temp_tables(store) == []
    assert count(store, "SELECT count(*) FROM imports WHERE status = 'unchanged'") == 25
    assert ingest_path(store, write(tmp_path / "new.csv", "2024-04-01T00:00:00Z,brand,q,in,dm,x,q1,,,")).total_new == 1
