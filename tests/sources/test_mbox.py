"""E-mail in mbox (a Gmail-Takeout-like mailbox, mailing-list archives), through the CLI into a real DuckDB store."""
from __future__ import annotations

import mailbox
import shutil
from pathlib import Path

import pytest

from tiescale.sources import ExportFiles
from tiescale.store.db import Store
from tiescale.store.identity import suggest_merges
from tiescale.store.import_formats import detect_format

from ..conftest import FIXTURES
from ._cli import counts, ingest, query, snapshot

TAKEOUT = FIXTURES / "mbox" / "takeout"
MAILBOX = TAKEOUT / "All mail Including Spam and Trash.mbox"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def test_detected() -> None:
    for path in (TAKEOUT, MAILBOX):
        with ExportFiles(path) as files:
            assert detect_format(files) == "mbox"


def test_mailbox_end_to_end(db: Path) -> None:
    code, out, err = ingest(db, str(TAKEOUT))  # the owner: the sender of the messages labelled Sent
    assert code == 1, err  # one message has an unreadable Date: reported, the rest imported
    assert "rows rejected 1" in out and "message at line 97: unreadable Date 'sometime last week'" in out
    assert "rows skipped 2" in out  # a newsletter (List-Unsubscribe) and a no-reply sender
    assert query(db, "SELECT handle FROM accounts") == [("hello@bakery.example",)]
    assert counts(db, "email") == {("dm", "in"): 3, ("dm", "out"): 2}  # one reply to two people (To + Cc)
    assert query(db, "SELECT in_reply_to, thread FROM interactions WHERE handle = 'bo@example.com' AND direction = 'in'") == [
        ("s1@bakery.example", "a1@mail.example.com")]
    assert query(db, "SELECT display_name, email FROM identities WHERE handle = 'mia@example.org'") == [
        ("Mia Müller", "mia@example.org")]
    assert query(db, "SELECT text FROM interactions WHERE handle = 'mia@example.org'") == [
        ("Kuchen für Sonntag\nKann ich einen Kuchen für Sonntag bestellen?",)]  # plain part, not HTML or attachment


def test_the_same_address_on_slack_suggests_a_merge(db: Path) -> None:
    assert ingest(db, str(TAKEOUT), "--account", "hello@bakery.example")[0] == 1
    assert ingest(db, str(FIXTURES / "slack" / "export_2024"), "--account", "sigrid")[0] == 0
    with Store(db) as store:
        reasons = {s.reason for s in suggest_merges(store)}
    assert "same e-mail" in reasons  # ana@example.com on Slack and in the mailbox


def test_second_import_adds_nothing(db: Path, tmp_path: Path) -> None:
    ingest(db, str(TAKEOUT))
    before = snapshot(db)
    code, out, _ = ingest(db, str(TAKEOUT))
    assert "already imported" in out
    copy = tmp_path / "copy.mbox"  # the same messages written again by Python's mailbox module
    box = mailbox.mbox(str(copy))
    for message in mailbox.mbox(str(MAILBOX)):
        box.add(message)
    box.flush()
    box.close()
    code, _, err = ingest(db, str(copy), "--account", "hello@bakery.example")
    assert code == 1, err
    assert snapshot(db)[:5] == before[:5]


def test_bad_account_and_wrong_file_are_one_line_exit_2_and_the_store_unchanged(db: Path, tmp_path: Path) -> None:
    ingest(db, str(TAKEOUT))
    before = snapshot(db)
    code, _, err = ingest(db, str(MAILBOX), "--account", "bakery")
    assert code == 2 and "e-mail address" in err and len(err.strip().splitlines()) == 1
    not_mail = tmp_path / "notes.mbox"
    not_mail.write_text("Dear diary,\nnothing here.\n")
    code, _, err = ingest(db, str(not_mail), "--format", "mbox")
    assert code == 2 and "notes.mbox: not an mbox file" in err
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    shutil.copy(MAILBOX, unknown / "inbox.mbox")
    text = (unknown / "inbox.mbox").read_bytes().replace(b"X-Gmail-Labels: Sent", b"X-Gmail-Labels: Inbox")
    (unknown / "inbox.mbox").write_bytes(text.replace(b"Delivered-To: hello@bakery.example\r\n", b""))
    code, _, err = ingest(db, str(unknown))
    assert code == 2 and "pass --account" in err
    assert snapshot(db) == before


# -- the real samples (../shared/data) -----------------------------------------------------------
@pytest.mark.shared_data
def test_real_samples(tmp_path: Path, shared_data: Path) -> None:
    root = shared_data / "exports" / "mbox" / "perceval"
    for name in ("mbox_complex.mbox", "mbox_multipart.mbox"):  # mailing lists: every message has a List-Id
        messages = list(mailbox.mbox(str(root / name)))
        assert all(m["List-Id"] for m in messages)
        code, out, err = ingest(tmp_path / f"{name}.duckdb", str(root / name), "--account", "someone@example.com")
        assert code == 0 and f"rows skipped {len(messages)}" in out, err
    archive = root / "pipermail_2015_november.mbox"
    assert len(mailbox.mbox(str(archive))) == 4
    db = tmp_path / "list.duckdb"
    code, out, err = ingest(db, str(archive), "--account", "andy@example.com")
    assert code == 0, err
    # Andy's answer to Jesus (In-Reply-To his message; no To header in a pipermail archive) is the one edge;
    # Jesus answered a Message-ID the archive rewrote, so his reply is not tied to Andy's message
    assert counts(db, "email") == {("dm", "out"): 1}
    assert query(db, "SELECT handle FROM interactions") == [("jgb@gsyc.es",)]
    assert "rows skipped 3" in out
