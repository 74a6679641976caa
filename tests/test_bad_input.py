"""Bad input gets one clear line naming the file, the record and the reason; the store is unchanged."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from tiescale import SourceError, Store, ingest_path
from tiescale.store.ingest import StrictAbort
from tiescale.surfaces.cli import main
from tests.conftest import count

GOOD = "ts,account,person,direction,kind,id\n2024-01-01T00:00:00Z,brand,ann,in,reply,1\n"


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def snapshot(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("interactions", "people", "identities", "posts", "imports", "import_rejects"))
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    assert run(path, "ingest", str(good))[0] == 0
    return path


def test_missing_required_columns_exit_2_and_name_them(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,account,person\n2024-01-01T00:00:00Z,brand,ann\n")
    before = snapshot(db)
    code, _, err = run(db, "ingest", str(bad), "--format", "events")
    assert code == 2
    assert "bad.csv" in err and "direction" in err and "kind" in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(db) == before


def test_bad_and_future_timestamps_are_rejected_and_reported(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "times.csv"
    bad.write_text(
        "ts,account,person,direction,kind,id\n"
        "2024-01-02T00:00:00Z,brand,bo,in,reply,2\n"
        "yesterday,brand,bo,in,reply,3\n"
        "2999-01-01T00:00:00Z,brand,bo,in,reply,4\n"
        "1900-01-01T00:00:00Z,brand,bo,in,reply,5\n"
        "2024-02-30T00:00:00Z,brand,bo,in,reply,6\n"
    )
    code, out, _ = run(db, "ingest", str(bad))
    assert code == 1
    assert "rows rejected 4" in out
    assert "line 3: unreadable timestamp yesterday" in out
    assert "line 4: timestamp 2999-01-01T00:00:00Z is in the future" in out
    assert "line 5" in out and "before 1990" in out
    assert "line 6" in out
    with Store(db) as store:
        assert count(store, "SELECT count(*) FROM interactions WHERE handle = 'bo'") == 1
        assert count(store, "SELECT count(*) FROM import_rejects") == 4


def test_bytes_that_are_not_utf8_are_counted_not_dropped(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "latin.csv"
    bad.write_bytes(b"ts,account,person,direction,kind,id\n"
                    b"2024-01-02T00:00:00Z,brand,cy,in,reply,7\n"
                    b"2024-01-02T00:00:00Z,brand,J\xf6rg,in,reply,8\n")
    code, out, _ = run(db, "ingest", str(bad))
    assert code == 1 and "rows rejected 1" in out and "UTF-8" in out and "line 3" in out
    bad_jsonl = tmp_path / "latin.jsonl"
    bad_jsonl.write_bytes(b'{"ts": "2024-01-02T00:00:00Z", "account": "brand", "person": "J\xf6rg", '
                          b'"direction": "in", "kind": "dm"}\n{"ts": 1, "account": "b"\n')
    code, out, _ = run(db, "ingest", str(bad_jsonl))
    assert code == 1 and "rows rejected 2" in out and "line 1" in out and "line 2" in out


def test_strict_aborts_on_the_first_bad_row_and_imports_nothing(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "strict.csv"
    bad.write_text("ts,account,person,direction,kind,id\n2024-01-03T00:00:00Z,brand,di,in,reply,9\n"
                   "2024-01-03T00:00:00Z,brand,di,up,reply,10\n")
    before = snapshot(db)
    code, _, err = run(db, "ingest", "--strict", str(bad))
    assert code == 2 and "strict.csv, line 3: direction must be in or out" in err
    assert snapshot(db) == before
    with Store(db) as store, pytest.raises(StrictAbort):
        ingest_path(store, bad.with_suffix(".jsonl") if False else bad, strict=True)


def test_enormous_single_line_is_read_with_a_cap(db: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.jsonl"
    with open(huge, "wb") as handle:
        handle.write(b'{"ts": "2024-01-04T00:00:00Z", "account": "brand", "person": "ed", "direction": "in", '
                     b'"kind": "dm", "id": "11"}\n')
        handle.write(b'{"text": "' + b"x" * (17 * 1024 * 1024) + b'"}\n')
        handle.write(b'{"ts": "2024-01-04T00:00:00Z", "account": "brand", "person": "ed", "direction": "out", '
                     b'"kind": "dm", "id": "12"}\n')
    code, out, _ = run(db, "ingest", str(huge))
    assert code == 1 and "line 2: line longer than the cap" in out
    with Store(db) as store:
        assert count(store, "SELECT count(*) FROM interactions WHERE handle = 'ed'") == 2


def test_zip_with_parent_paths_is_refused(db: Path, tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../etc/events.csv", GOOD)
    before = snapshot(db)
    code, _, err = run(db, "ingest", str(evil), "--format", "events")
    assert code == 2 and "evil.zip" in err and "escapes the archive" in err
    assert snapshot(db) == before


def test_zip_bomb_is_refused_before_reading(db: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("events.csv", "w") as member:
            member.write(b"ts,account,person,direction,kind\n")
            chunk = b"\n" * (1024 * 1024)
            for _ in range(64):
                member.write(chunk)
    assert bomb.stat().st_size < 1024 * 1024
    before = snapshot(db)
    code, _, err = run(db, "ingest", str(bomb), "--format", "events")
    assert code == 2 and "zip bomb" in err
    assert snapshot(db) == before


def test_zip_of_events_imports(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export/events.csv", GOOD)
    assert ingest_path(store, archive).total_new == 1


def test_truncated_parquet_is_one_clear_error(db: Path, tmp_path: Path) -> None:
    good = tmp_path / "p.parquet"
    duckdb.sql(f"COPY (SELECT '2024-01-01T00:00:00Z' ts, 'b' account, 'p' person, 'in' direction, 'dm' kind "
               f"FROM range(1000)) TO '{good}' (FORMAT parquet)")
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    before = snapshot(db)
    code, _, err = run(db, "ingest", str(cut), "--format", "events")
    assert code == 2 and "cut.parquet" in err
    assert snapshot(db) == before


def test_wrong_flag_values_and_missing_files(db: Path, tmp_path: Path) -> None:
    code, _, err = run(db, "ingest", str(tmp_path / "nope.csv"))
    assert code == 2 and "nope.csv" in err and "no such file" in err
    code, _, err = run(db, "ingest", "--format", "myspace", str(tmp_path))
    assert code == 2 and "myspace" in err
    unknown = tmp_path / "notes.txt"
    unknown.write_text("just some notes\n")
    code, _, err = run(db, "ingest", str(unknown))
    assert code == 2 and "notes.txt" in err and "--format" in err


def test_a_failure_in_one_file_does_not_stop_the_others(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,useful\n1,2\n")
    other = tmp_path / "other.csv"
    other.write_text("ts,account,person,direction,kind,id\n2024-01-05T00:00:00Z,brand,fay,in,reply,13\n")
    code, out, err = run(db, "ingest", str(bad), str(other), "--format", "events")
    assert code == 1 and "bad.csv" in err and "other.csv" in out


def test_source_error_names_file_record_and_reason() -> None:
    error = SourceError("a.json", "malformed JSON: Expecting value", "line 3")
    assert str(error) == "a.json, line 3: malformed JSON: Expecting value"
    assert isinstance(io.StringIO(str(error)).getvalue(), str)


def test_unpaired_surrogate_escapes_in_json_text_are_kept_readable(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "surrogate.jsonl"
    path.write_text('{"ts": "2024-01-01T00:00:00Z", "account": "b", "person": "p", "direction": "in", '
                    '"kind": "dm", "text": "hi \\ud83d there"}\n')
    assert ingest_path(store, path).total_new == 1
    text = store.con.execute("SELECT text FROM interactions").fetchone()[0]
    assert text == "hi \ufffd there"
