"""Issue 18, points 1, 2, 5, 6, 9, 10, 11: every reader is bounded, and nothing is lost silently."""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.hostile._util import query, run, snapshot

HEADER = "ts,account,person,direction,kind,id,text\n"


def good_row(n: int) -> str:
    return f"2024-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z,brand,p{n},in,reply,{n},hello {n}\n"


def test_a_wide_csv_row_is_one_rejected_record_and_cheap(tmp_path: Path) -> None:
    """30,000 empty fields on one line (60 KB) took 101 s and 3.1 GB; now it is one reject."""
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + good_row(1) + "," * 30_000 + "\n" + good_row(2))
    code, out, err = run(tmp_path / "s.duckdb", "ingest", str(path))
    assert code == 1, err  # imported, with rejected rows
    assert query(tmp_path / "s.duckdb", "SELECT count(*) FROM interactions") == [(2,)]
    rejects = query(tmp_path / "s.duckdb", "SELECT record, reason, length(record) + length(reason) FROM import_rejects")
    assert len(rejects) == 1
    assert "line 3" in rejects[0][0] and "fields" in rejects[0][1]
    assert rejects[0][2] < 300  # a reject row names the record, it does not carry the line


def test_one_overlong_csv_line_is_one_reject_the_rest_imports(tmp_path: Path) -> None:
    """A line over the 16 MiB cap at row 1001 of 2000 refused the whole file (exit 2)."""
    path = tmp_path / "long.csv"
    with path.open("w") as out:
        out.write(HEADER)
        for n in range(1, 2001):
            if n == 1001:
                out.write(f"2024-01-01T00:00:00Z,brand,big,in,reply,big,\"{'x' * (17 * 1024 * 1024)}\"\n")
            else:
                out.write(good_row(n))
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(path))
    assert code == 1, err  # imported, with one rejected row
    assert query(tmp_path / "s.duckdb", "SELECT count(*) FROM interactions") == [(1999,)]
    rejects = query(tmp_path / "s.duckdb", "SELECT record, reason FROM import_rejects")
    assert len(rejects) == 1 and "line 1002" in rejects[0][0] and "cap" in rejects[0][1]


def test_one_huge_json_value_is_one_rejected_record(tmp_path: Path) -> None:
    """A value over the per-value cap is refused as one record; it is not stored whole."""
    path = tmp_path / "big.jsonl"
    rows = [
        {"ts": "2024-01-01T00:00:00Z", "account": "brand", "person": "ann", "direction": "in", "kind": "reply",
         "id": "1", "text": "hi"},
        {"ts": "2024-01-01T00:00:01Z", "account": "brand", "person": "bo", "direction": "in", "kind": "reply",
         "id": "2", "text": "y" * (2 * 1024 * 1024)},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(path))
    assert code == 1, err
    assert query(tmp_path / "s.duckdb", "SELECT count(*) FROM interactions") == [(1,)]
    rejects = query(tmp_path / "s.duckdb", "SELECT record, reason FROM import_rejects")
    assert len(rejects) == 1 and "id 2" in rejects[0][0] and "cap" in rejects[0][1]
    assert query(tmp_path / "s.duckdb", "SELECT max(length(text)) FROM interactions") == [(2,)]


def test_a_zip_bomb_of_small_members_is_refused(tmp_path: Path) -> None:
    """Members under 10 MiB each escaped the ratio check; the archive's total ratio counts now."""
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(40):
            archive.writestr(f"part{n}.csv", HEADER + " " * (1024 * 1024))
    before_size = bomb.stat().st_size
    assert before_size < 1024 * 1024
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(bomb))
    assert code == 2
    assert "bomb" in err and "bomb.zip" in err


def test_a_zip_with_too_many_members_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tiescale.sources import _files

    monkeypatch.setattr(_files, "MAX_ZIP_MEMBERS", 50)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for n in range(51):
            archive.writestr(f"m{n}.csv", HEADER)
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(many))
    assert code == 2 and "members" in err


def _damage_zip(path: Path) -> None:
    """Claim the central directory starts later than it does: member offsets turn negative."""
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    offset = struct.unpack_from("<I", data, eocd + 16)[0]
    struct.pack_into("<I", data, eocd + 16, offset + 4096)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("member", [
    "bluesky/notifications.json", "youtube/api/threads.json", "reddit/listings/inbox.json",
])
def test_a_damaged_zip_is_a_clear_error_not_a_crash(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(FIXTURES / member, Path(member).name)
    _damage_zip(archive)
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(archive))
    assert code == 2, err
    assert "damaged.zip" in err and "Traceback" not in err


@pytest.mark.parametrize("member", ["bluesky/notifications.json", "reddit/listings/inbox.json"])
def test_a_utf8_bom_is_read_like_its_absence(tmp_path: Path, member: str) -> None:
    plain = tmp_path / "plain" / Path(member).name
    bom = tmp_path / "bom" / Path(member).name
    plain.parent.mkdir()
    bom.parent.mkdir()
    shutil.copy(FIXTURES / member, plain)
    bom.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / member).read_bytes())
    plain_code = run(tmp_path / "a.duckdb", "ingest", str(plain))[0]
    assert plain_code in (0, 1)
    code, _, err = run(tmp_path / "b.duckdb", "ingest", str(bom))
    assert code == plain_code, err
    assert snapshot(tmp_path / "a.duckdb")[:4] == snapshot(tmp_path / "b.duckdb")[:4]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)
    # A separate process: before the fix it blocked forever on open(); the generous timeout
    # only keeps a regression from hanging the suite.
    done = subprocess.run(
        [sys.executable, "-c", "from tiescale.surfaces.cli import main; main()", "--db", str(tmp_path / "s.duckdb"), "ingest", str(fifo)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2
    assert "events.csv" in done.stderr and "regular file" in done.stderr


MASTODON = FIXTURES / "mastodon" / "archive-20240310120000-5e1f0c"


@pytest.mark.parametrize("content", [b"", b"garbage{", b"   \n", "{}".encode("utf-32"), b"[1, 2]",
                                     b'{"@context": "x", "orderedItems": 3}'])
def test_a_broken_mastodon_outbox_is_an_error_not_a_silent_zero(tmp_path: Path, content: bytes) -> None:
    export = tmp_path / "export"
    shutil.copytree(MASTODON, export)
    (export / "outbox.json").write_bytes(content)
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(export))
    assert code == 2, err
    assert "outbox.json" in err


def test_a_symlinked_mastodon_outbox_is_reported(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(MASTODON, export)
    (export / "outbox.json").unlink()
    (export / "outbox.json").symlink_to(MASTODON / "outbox.json")
    code, out, err = run(tmp_path / "s.duckdb", "ingest", str(export))
    assert code == 2 or "outbox.json" in out, (code, out, err)


def test_mastodon_empty_ids_are_rejected_not_collapsed(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(MASTODON, export)
    outbox = json.loads((export / "outbox.json").read_text())
    creates = [i for i in outbox["orderedItems"] if i.get("type") == "Create"]
    assert len(creates) >= 2
    for item in creates:
        item["object"]["id"] = ""
    (export / "outbox.json").write_text(json.dumps(outbox))
    code, out, err = run(tmp_path / "s.duckdb", "ingest", str(export))
    assert code == 1, err
    reasons = query(tmp_path / "s.duckdb", "SELECT reason FROM import_rejects")
    assert sum("id" in r[0] for r in reasons) >= len(creates)
    assert query(tmp_path / "s.duckdb", "SELECT count(*) FROM posts WHERE post_id = ''") == [(0,)]


def test_a_bare_carriage_return_in_an_orders_row_is_one_rejected_record(tmp_path: Path) -> None:
    """csv.Error ("new-line character seen in unquoted field") escaped the orders reader as a traceback."""
    path = tmp_path / "orders.csv"
    path.write_text("order_id,ts,value,currency,email\n"
                    "o1,2024-01-01T00:00:00Z,10,USD,a@example.com\n"
                    "o2,2024-01-02T00:00:00Z,1\r2,USD,b@example.com\n"
                    "o3,2024-01-03T00:00:00Z,30,USD,c@example.com\n", newline="")
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(path), "--format", "conversions")
    assert code == 1, err  # imported, with one rejected row
    assert query(tmp_path / "s.duckdb", "SELECT order_id FROM conversions ORDER BY 1") == [("o1",), ("o3",)]
    rejects = query(tmp_path / "s.duckdb", "SELECT record, reason FROM import_rejects")
    assert len(rejects) == 1 and "line 3" in rejects[0][0] and "CSV" in rejects[0][1]
