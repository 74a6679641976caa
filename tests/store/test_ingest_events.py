"""The canonical events format end to end: CSV, JSON Lines, Parquet; idempotent; round trip."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tiescale import Store, export_events, ingest_path
from tests.conftest import count

HEADER = "ts,account,person,direction,kind,platform,id,text,in_reply_to,thread\n"
ROWS = [
    "2024-03-01T09:00:00+01:00,brand,alice,in,reply,x,101,Love the new roast!,,t1\n",
    "2024-03-01T09:30:00Z,brand,alice,out,reply,x,102,Thank you Alice!,101,t1\n",
    "1709290000,brand,bob,in,mention,mastodon,,hey @brand,,\n",
    "2024-03-02T10:00:00Z,brand,carol,in,dm,bluesky,d1,\"a DM, with a comma\",,c1\n",
    "2024-03-02T10:05:00Z,brand,carol,out,dm,bluesky,d2,answer,,c1\n",
]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_csv_imports_every_row_with_people_and_kinds(store: Store, tmp_path: Path) -> None:
    summary = ingest_path(store, write_csv(tmp_path / "e.csv", ROWS))
    assert summary.status == "ok" and summary.rejected == 0
    assert summary.rows_read == 5 and summary.total_new == 5
    assert summary.new_interactions == {"reply": 2, "mention": 1, "dm": 2}
    assert summary.new_people == 3
    assert count(store, "SELECT count(*) FROM interactions") == 5
    # the offset is honoured: 09:00+01:00 is 08:00 UTC
    ts = store.con.execute("SELECT ts FROM interactions WHERE item_id = '101'").fetchone()[0]
    assert ts.isoformat().startswith("2024-03-01T08:00:00")
    # unix seconds are read as such
    assert count(store, "SELECT count(*) FROM interactions WHERE handle = 'bob' AND epoch(ts) = 1709290000") == 1
    # person comes back unchanged when nothing is merged
    assert {r[0] for r in store.con.execute("SELECT label FROM people").fetchall()} == {"alice", "bob", "carol"}


def test_reimport_and_overlap_add_only_what_is_new(store: Store, tmp_path: Path) -> None:
    ingest_path(store, write_csv(tmp_path / "a.csv", ROWS))
    again = ingest_path(store, write_csv(tmp_path / "b.csv", ROWS))  # same content, other file
    assert again.status == "unchanged" and again.total_new == 0
    newer = ROWS[1:] + ["2024-03-05T10:00:00Z,brand,dave,in,comment,youtube,y1,first!,,\n"]
    overlap = ingest_path(store, write_csv(tmp_path / "c.csv", newer))
    assert overlap.total_new == 1 and overlap.duplicates == 4 and overlap.new_people == 1
    assert count(store, "SELECT count(*) FROM interactions") == 6


def test_rows_without_id_dedupe_on_content(store: Store, tmp_path: Path) -> None:
    row = "2024-03-01T09:00:00Z,brand,erin,in,like,x,,,,\n"
    summary = ingest_path(store, write_csv(tmp_path / "e.csv", [row, row]))
    assert summary.total_new == 1 and summary.duplicates == 1


def test_jsonl_and_parquet_give_the_same_store_as_csv(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "e.csv", ROWS)
    con = duckdb.connect()
    rows = con.execute(f"SELECT * FROM read_csv('{csv_path}', all_varchar=true)").fetchall()
    names = [d[0] for d in con.description]
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text("".join(json.dumps({k: v for k, v in zip(names, r) if v is not None}) + "\n" for r in rows))
    parquet = tmp_path / "e.parquet"
    con.execute(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) TO '{parquet}' (FORMAT parquet)")
    results = []
    for path in (csv_path, jsonl, parquet):
        with Store(tmp_path / f"{path.suffix[1:]}.duckdb") as s:
            ingest_path(s, path)
            results.append(s.con.execute(
                "SELECT platform, account, handle, ts, direction, kind, item_id, text, in_reply_to, thread, dedupe_key "
                "FROM interactions ORDER BY ALL").fetchall())
    assert results[0] == results[1] == results[2]
    assert len(results[0]) == 5


def test_parquet_with_native_timestamp_and_integer_ts(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    duckdb.sql(f"""COPY (SELECT TIMESTAMPTZ '2024-01-01 10:00:00+00' AS ts, 'brand' AS account, 'p1' AS person,
        'in' AS direction, 'reply' AS kind, 'x' AS platform, '1' AS id
        UNION ALL SELECT TIMESTAMPTZ '2024-01-02 10:00:00+00', 'brand', 'p2', 'out', 'dm', 'x', '2')
        TO '{path}' (FORMAT parquet)""")
    assert ingest_path(store, path).total_new == 2
    path2 = tmp_path / "int.parquet"
    duckdb.sql(f"""COPY (SELECT 1704103200::BIGINT AS ts, 'brand' AS account, 'p3' AS person,
        'in' AS direction, 'reply' AS kind) TO '{path2}' (FORMAT parquet)""")
    assert ingest_path(store, path2).total_new == 1
    assert count(store, "SELECT count(*) FROM interactions WHERE handle = 'p3' AND platform = 'generic'") == 1


def test_export_then_import_into_empty_store_gives_the_same_interactions(store: Store, tmp_path: Path) -> None:
    ingest_path(store, write_csv(tmp_path / "e.csv", ROWS))
    for fmt in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"out.{fmt}"
        export_events(store, fmt, out)
        with Store(tmp_path / f"again-{fmt}.duckdb") as other:
            ingest_path(other, out)
            query = ("SELECT platform, account, handle, ts, direction, kind, item_id, text, in_reply_to, thread, "
                     "dedupe_key FROM interactions ORDER BY ALL")
            assert other.con.execute(query).fetchall() == store.con.execute(query).fetchall()


def test_missing_account_column_uses_the_account_flag(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("ts,account,person,direction,kind\n2024-01-01T00:00:00Z,,zed,in,reply\n")
    summary = ingest_path(store, path, account="mybrand")
    assert summary.total_new == 1
    assert count(store, "SELECT count(*) FROM interactions WHERE account = 'mybrand'") == 1


def test_skipped_rows_are_logged_and_listed_but_the_import_is_complete(tmp_path: Path, fixtures: Path) -> None:
    """Mastodon likes alone: one liked note's author is not in the export; read, left out, listed; exit 0."""
    import json

    from click.testing import CliRunner

    from tiescale.surfaces.cli import main

    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "ingest", str(fixtures / "mastodon" / "archive-20240310120000-5e1f0c" / "likes.json"),
                                       "--format", "mastodon", "--account", "@Harbor@coast.example"])
    assert result.exit_code == 0, result.output
    assert "rows skipped 1" in result.output and "rejected" not in result.output
    rows = json.loads(CliRunner().invoke(main, ["--db", str(db), "imports", "--skipped", "--format", "json"]).output)
    assert len(rows) == 1 and rows[0]["reason"].startswith("the export does not say who wrote ")
    log = json.loads(CliRunner().invoke(main, ["--db", str(db), "imports", "--format", "json"]).output)
    assert (log[0]["status"], log[0]["rejected"], log[0]["skipped"], log[0]["new_interactions"]) == ("ok", 0, 1, 2)
