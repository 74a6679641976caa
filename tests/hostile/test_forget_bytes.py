"""Issue 18, point 3: after `forget`, the store file holds no byte of the person; the list of
forgotten handles cannot be tested by guessing (a keyed hash with a secret kept outside the file)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from tests.hostile._util import query, run

HANDLE = "qxhandlezeta"
SECRETS = [HANDLE, "QxTextAlphaUnique", "QxTextBetaUnique", "QxNoteGammaUnique", "qx.order@example.org", "QX-ORDER-77"]


def _store_bytes(db: Path) -> bytes:
    data = db.read_bytes()
    wal = db.with_name(db.name + ".wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _build(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    events = tmp_path / "events.csv"
    rows = ["ts,account,person,direction,kind,id,text"]
    for d in range(1, 9):
        rows.append(f"2024-03-0{d}T10:00:00Z,brand,{HANDLE},in,dm,a{d},QxTextAlphaUnique number {d}")
        rows.append(f"2024-03-0{d}T11:00:00Z,brand,{HANDLE},out,dm,b{d},QxTextBetaUnique reply {d}")
        rows.append(f"2024-03-0{d}T12:00:00Z,brand,someone_else,in,reply,c{d},an ordinary message {d}")
    events.write_text("\n".join(rows) + "\n")
    assert run(db, "ingest", str(events))[0] == 0
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,ts,value,currency,email,platform,handle,coupon,utm_source,utm_campaign\n"
                      f"QX-ORDER-77,2024-03-05T10:00:00Z,42.50,EUR,qx.order@example.org,generic,{HANDLE},,,\n")
    code, _, err = run(db, "ingest", str(orders))
    assert code == 0, err
    assert run(db, "done", HANDLE, "--note", "QxNoteGammaUnique called them")[0] == 0
    assert run(db, "score")[0] == 0
    return db


def test_forget_leaves_no_byte_of_the_person_in_the_file(tmp_path: Path) -> None:
    db = _build(tmp_path)
    con = duckdb.connect(str(db))
    con.execute("CHECKPOINT")
    con.close()
    before = _store_bytes(db)
    visible = [s for s in SECRETS if s.encode() in before]
    assert HANDLE.encode() in before and len(visible) >= 3  # the check can see them at all
    code, out, err = run(db, "forget", HANDLE, "--yes")
    assert code == 0, err
    assert run(db, "score")[0] == 0
    assert run(db, "queue")[0] == 0
    after = _store_bytes(db)
    assert [s for s in SECRETS if s.encode() in after] == []
    assert query(db, "SELECT count(*) FROM interactions") == [(8,)]  # the others stay


def test_forgotten_list_is_a_keyed_hash(tmp_path: Path) -> None:
    db = _build(tmp_path)
    assert run(db, "forget", HANDLE, "--yes")[0] == 0
    stored = [r[0] for r in query(db, "SELECT handle_hash FROM forgotten")]
    assert stored
    plain = hashlib.sha256(HANDLE.encode()).hexdigest()
    assert plain not in stored  # a guess cannot be tested against the file alone


def test_a_forgotten_person_does_not_come_back_with_a_reimport(tmp_path: Path) -> None:
    db = _build(tmp_path)
    assert run(db, "forget", HANDLE, "--yes")[0] == 0
    events = tmp_path / "again.csv"
    events.write_text("ts,account,person,direction,kind,id,text\n"
                      f"2024-04-01T10:00:00Z,brand,{HANDLE},in,dm,z1,QxTextAlphaUnique again\n"
                      "2024-04-01T10:00:00Z,brand,newcomer,in,dm,z2,hello\n")
    assert run(db, "ingest", str(events))[0] == 0
    assert query(db, f"SELECT count(*) FROM identities WHERE handle = '{HANDLE}'") == [(0,)]
    assert query(db, "SELECT count(*) FROM identities WHERE handle = 'newcomer'") == [(1,)]


def test_a_forgotten_persons_orders_do_not_come_back_with_a_reimport(tmp_path: Path) -> None:
    """Re-importing the orders file brought a forgotten person's orders (and their e-mail) back."""
    db = _build(tmp_path)
    assert query(db, "SELECT count(*) FROM conversions") == [(1,)]
    assert run(db, "forget", HANDLE, "--yes")[0] == 0
    assert query(db, "SELECT count(*) FROM conversions") == [(0,)]
    orders = tmp_path / "orders-again.csv"
    orders.write_text("order_id,ts,value,currency,email,platform,handle,coupon,utm_source,utm_campaign\n"
                      "QX-ORDER-77,2024-03-05T10:00:00Z,42.50,EUR,QX.Order@example.org,,,,,\n"
                      f"QX-ORDER-78,2024-03-06T10:00:00Z,10.00,EUR,,generic,{HANDLE},,,\n"
                      "OTHER-1,2024-03-07T10:00:00Z,5.00,EUR,someone@example.org,,,,,\n")
    code, _, err = run(db, "ingest", str(orders), "--format", "conversions")
    assert code == 0, err
    assert query(db, "SELECT order_id FROM conversions ORDER BY 1") == [("OTHER-1",)]
    assert run(db, "refresh")[0] == 0
    data = _store_bytes(db)
    assert b"qx.order@example.org" not in data.lower() and b"QX-ORDER-7" not in data
