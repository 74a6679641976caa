"""WhatsApp "Export chat" text: Android and iOS layouts, through the CLI into a real DuckDB store."""
from __future__ import annotations

import re
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tiescale.sources import ExportFiles
from tiescale.sources import whatsapp
from tiescale.store.import_formats import detect_format

from ..conftest import FIXTURES
from ._cli import counts, ingest, post_counts, query, snapshot

WA = FIXTURES / "whatsapp"
ANDROID = WA / "android"
IOS = WA / "ios" / "WhatsApp Chat - Bruno Costa"
GROUP = WA / "group"
ME = "Sigrid Bakery"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def test_every_layout_is_detected() -> None:
    for folder in (ANDROID, IOS, GROUP):
        with ExportFiles(folder) as files:
            assert detect_format(files) == "whatsapp"
    with ExportFiles(FIXTURES / "linkedin" / "export_2024") as files:
        assert not whatsapp.detect(files)


def test_android_chat_end_to_end(db: Path) -> None:
    code, out, err = ingest(db, str(ANDROID))
    assert code == 0, err
    # own account inferred: the sender who is not the chat's name; BOM, CRLF, the system line, a media line
    assert query(db, "SELECT handle FROM accounts WHERE platform = 'whatsapp'") == [(ME,)]
    assert counts(db, "whatsapp") == {("dm", "in"): 4, ("dm", "out"): 1}
    assert query(db, "SELECT text FROM interactions WHERE direction = 'out'") == [("Yes, until noon.\nSee you soon!",)]
    assert query(db, "SELECT count(*) FROM interactions WHERE text IS NULL") == [(1,)]  # <Media omitted>
    assert query(db, "SELECT min(ts), max(ts) FROM interactions") == [(
        datetime(2024, 2, 3, 9, 14, tzinfo=timezone.utc), datetime(2024, 2, 14, 18, 5, tzinfo=timezone.utc))]


def test_second_import_adds_nothing_and_a_longer_export_only_the_new_line(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(ANDROID))[0] == 0
    before = snapshot(db)
    code, out, _ = ingest(db, str(ANDROID))
    assert code == 0 and "already imported" in out
    assert snapshot(db)[:5] == before[:5]  # the log notes the unchanged import; no data row is added
    later = tmp_path / "later"
    shutil.copytree(ANDROID, later)
    chat = later / "WhatsApp Chat with Ana Lima.txt"
    chat.write_bytes(chat.read_bytes() + b"15/02/2024, 8:00 AM - Sigrid Bakery: Yes, Saturday works\r\n")
    assert ingest(db, str(later))[0] == 0
    assert counts(db, "whatsapp") == {("dm", "in"): 4, ("dm", "out"): 2}


def test_ios_chat_with_invisible_marks_and_attachments(db: Path) -> None:
    code, _, err = ingest(db, str(IOS))  # the folder's name says whose chat it is
    assert code == 0, err
    assert counts(db, "whatsapp") == {("dm", "in"): 3, ("dm", "out"): 2}
    assert query(db, "SELECT ts, text FROM interactions WHERE direction = 'in' ORDER BY ts DESC LIMIT 1") == [
        (datetime(2024, 1, 13, 8, 1, 59, tzinfo=timezone.utc), "Is the shop open on Sunday?\nI would come by with my kids")]
    assert query(db, "SELECT count(*) FROM interactions WHERE text IS NULL") == [(2,)]  # image omitted, <attached: ...>


def test_group_chat_needs_the_account_and_gives_posts_and_mentions(db: Path) -> None:
    code, _, err = ingest(db, str(GROUP))
    assert code == 2 and "pass --account" in err and len(err.strip().splitlines()) == 1
    assert snapshot(db) == () or snapshot(db)[0] == 0
    code, _, err = ingest(db, str(GROUP), "--account", "sigrid bakery")
    assert code == 0, err
    assert counts(db, "whatsapp") == {("mention", "in"): 1}
    assert post_counts(db, "whatsapp") == {"post": 1}
    code, _, err = ingest(db.with_name("other.duckdb"), str(GROUP), "--account", "Nobody Here")
    assert code == 2 and "wrote no message" in err


def test_ambiguous_dates_are_an_error_unless_said(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chat = tmp_path / "WhatsApp Chat with Ana Lima.txt"
    # 1 Feb then 3 Apr, or 2 Jan then 4 Mar: both orders run forward in time
    chat.write_text("01/02/24, 10:00 - Ana Lima: Hello\n03/04/24, 11:00 - Sigrid Bakery: Hi Ana\n", encoding="utf-8")
    code, _, err = ingest(db, str(chat))
    assert code == 2 and "day-first or month-first" in err and "WhatsApp Chat with Ana Lima.txt" in err
    assert "--date-order" in err
    assert snapshot(db) in ((), (0, 0, 0, 0, 0, 0, 0))
    assert ingest(db, str(chat), "--date-order", "day-first")[0] == 0  # said on the command line
    assert [str(r[0]) for r in query(db, "SELECT ts FROM interactions ORDER BY ts")] == [
        "2024-02-01 10:00:00+00:00", "2024-04-03 11:00:00+00:00"]
    other = db.with_name("env.duckdb")
    monkeypatch.setenv(whatsapp.DATE_ORDER_ENV, "month-first")  # or in the environment
    assert ingest(other, str(chat))[0] == 0
    assert [str(r[0]) for r in query(other, "SELECT ts FROM interactions ORDER BY ts")] == [
        "2024-01-02 10:00:00+00:00", "2024-03-04 11:00:00+00:00"]
    monkeypatch.delenv(whatsapp.DATE_ORDER_ENV)
    later = tmp_path / "WhatsApp Chat with Bo.txt"  # 5 Jan then 2 Mar; May 1 then Feb 3 would go back in time
    later.write_text("05/01/24, 10:00 - Bo: Hello\n02/03/24, 11:00 - Sigrid Bakery: Hi Bo\n", encoding="utf-8")
    assert ingest(db, str(later))[0] == 0
    assert query(db, "SELECT ts FROM interactions WHERE handle = 'Bo' AND direction = 'in'") == [
        (datetime(2024, 1, 5, 10, 0, tzinfo=timezone.utc),)]


def test_unreadable_lines_are_rejected_with_their_line_number(db: Path, tmp_path: Path) -> None:
    chat = tmp_path / "WhatsApp Chat with Ana Lima.txt"
    chat.write_bytes(b"14/02/2024, 18:05 - Ana Lima: Hello\n"
                     b"15/02/2024, 18:05 - Ana Lima: caf\xe9?\n"
                     b"31/02/2024, 09:00 - Sigrid Bakery: a day that does not exist\n"
                     b"16/02/2024, 10:00 - Sigrid Bakery: Hi Ana\n")
    code, out, _ = ingest(db, str(chat))
    assert code == 1
    assert "rows rejected 2" in out
    assert "line 2" in out and "not UTF-8" in out and "line 3" in out
    assert counts(db, "whatsapp") == {("dm", "in"): 1, ("dm", "out"): 1}


def test_hostile_zip_is_refused_and_the_store_unchanged(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(ANDROID))[0] == 0
    before = snapshot(db)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../WhatsApp Chat with Ana Lima.txt", "14/02/2024, 18:05 - Ana Lima: Hello\n")
    code, _, err = ingest(db, str(evil))
    assert code == 2 and "escapes the archive" in err and len(err.strip().splitlines()) == 1
    assert snapshot(db) == before
    good = tmp_path / "chat.zip"
    with zipfile.ZipFile(good, "w") as archive:
        archive.write(IOS / "_chat.txt", "_chat.txt")
    code, _, err = ingest(db, str(good), "--account", ME)
    assert code == 0, err
    assert counts(db, "whatsapp") == {("dm", "in"): 7, ("dm", "out"): 3}


# -- the real samples (../shared/data) -----------------------------------------------------------
def _raw_messages_by(path: Path, sender: str) -> int:
    """Lines that start a message by ``sender``, counted with a plain pattern of its own."""
    stamp = re.compile(r"^\[?[\d/]+,? [\d:]+(?: [ap]\. m\.)?\]?(?: -)? (.*)$")
    found = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        match = stamp.match(line)
        if match and match.group(1).startswith(sender + ":"):
            found += 1
    return found


@pytest.mark.shared_data
def test_real_samples(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "exports" / "whatsapp" / "chat-miner-samples"
    samples = sorted(folder.glob("*.txt"))
    assert len(samples) == 5
    for number, sample in enumerate(samples):
        db = tmp_path / f"s{number}.duckdb"
        code, _, err = ingest(db, str(sample), "--account", "John Doe")
        assert code == 0, (sample.name, err)
        assert post_counts(db, "whatsapp") == {"post": _raw_messages_by(sample, "John Doe")} == {"post": 3}
        assert query(db, "SELECT count(*) FROM identities WHERE platform = 'whatsapp'")[0][0] == 4
        # every layout gives the same instants (day-first and month-first inferred from the whole file)
        assert [str(r[0]) for r in query(db, "SELECT ts FROM posts ORDER BY ts")] == [
            "2019-01-01 11:25:00+00:00", "2019-01-20 11:23:00+00:00", "2021-12-30 22:01:00+00:00"]
