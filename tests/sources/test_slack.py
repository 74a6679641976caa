"""Slack workspace exports (2016 and current layouts), through the CLI into a real DuckDB store."""
from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tiescale.sources import ExportFiles
from tiescale.sources import slack
from tiescale.store.import_formats import detect_format

from ..conftest import FIXTURES
from ._cli import counts, ingest, post_counts, query, snapshot

NEW = FIXTURES / "slack" / "export_2024"
OLD = FIXTURES / "slack" / "export_2016"
EXPECTED_NEW = {
    ("like", "in"): 3, ("like", "out"): 1,  # reactions with their users, both ways
    ("mention", "in"): 2,  # <@U01SIGRID> in #general and <@U01SIGRID|sigrid> in the private #vip
    ("reply", "in"): 2, ("reply", "out"): 1,  # thread replies (one without parent_user_id)
    ("dm", "in"): 2, ("dm", "out"): 3,  # a DM and a group DM (one message to two people); not Ana-Bo's DM
}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def test_both_layouts_are_detected() -> None:
    for folder in (NEW, OLD):
        with ExportFiles(folder) as files:
            assert detect_format(files) == "slack"


def test_one_member_end_to_end(db: Path) -> None:
    code, out, err = ingest(db, str(NEW), "--account", "sigrid@bakery.example")
    assert code == 0, err
    assert counts(db, "slack") == EXPECTED_NEW
    assert post_counts(db, "slack") == {"post": 1, "reply": 1}
    assert "rows skipped 2" in out  # the join and the bot message
    assert query(db, "SELECT handle, display_name FROM accounts") == [("U01SIGRID", "Sigrid Østergaard")]
    assert query(db, "SELECT display_name, email, username FROM identities WHERE handle = 'U02ANA'") == [
        ("Ana Lima", "ana@example.com", "ana")]
    assert query(db, "SELECT text FROM interactions WHERE kind = 'mention' AND handle = 'U02ANA'") == [
        ("@sigrid do you ship to Norway? Prices > 10 EUR?",)]
    assert query(db, "SELECT count(*) FROM identities WHERE handle IN ('U01SIGRID', 'U05BOT')") == [(0,)]


def test_the_workspace_as_a_brand_community(db: Path) -> None:
    code, _, err = ingest(db, str(NEW))  # no --account: the owners and admins speak for the brand
    assert code == 0, err
    assert query(db, "SELECT handle FROM accounts") == [("workspace:T0BAKERY",)]
    assert counts(db, "slack") == EXPECTED_NEW


def test_the_2016_layout(db: Path) -> None:
    code, out, err = ingest(db, str(OLD))
    assert code == 0, err
    assert counts(db, "slack") == {("mention", "in"): 1, ("mention", "out"): 1}
    assert post_counts(db, "slack") == {"post": 1}
    assert "rows skipped 1" in out


def test_the_same_export_read_for_another_member_is_a_new_import(db: Path) -> None:
    """"Already imported" compares the --account too: ana's side of the workspace is other records."""
    assert ingest(db, str(NEW), "--account", "sigrid")[0] == 0
    sigrid = query(db, "SELECT count(*) FROM interactions")[0][0]
    code, out, err = ingest(db, str(NEW), "--account", "ana")
    assert code == 0, err
    assert "already imported" not in out
    assert query(db, "SELECT count(*) FROM interactions WHERE account = 'U02ANA'")[0][0] > 0
    assert query(db, "SELECT count(*) FROM interactions")[0][0] > sigrid
    assert query(db, "SELECT account FROM imports ORDER BY import_id") == [("sigrid",), ("ana",)]
    code, out, _ = ingest(db, str(NEW), "--account", "ana")
    assert code == 0 and "already imported" in out


def test_second_import_adds_nothing_and_a_zip_of_the_same_export_neither(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(NEW), "--account", "sigrid")[0] == 0
    before = snapshot(db)
    code, out, _ = ingest(db, str(NEW), "--account", "sigrid")
    assert code == 0 and "already imported" in out
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(NEW.rglob("*.json")):
            zipped.write(path, "Bakery Slack export/" + path.relative_to(NEW).as_posix())
    code, out, err = ingest(db, str(archive), "--account", "sigrid")
    assert code == 0, err
    assert snapshot(db)[:5] == before[:5]


def test_a_malformed_day_file_is_one_line_exit_2_and_the_store_unchanged(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(OLD))[0] == 0
    before = snapshot(db)
    broken = tmp_path / "broken"
    shutil.copytree(NEW, broken)
    day = broken / "general" / "2024-03-02.json"
    day.write_text(day.read_text()[:40], encoding="utf-8")
    code, _, err = ingest(db, str(broken), "--account", "sigrid")
    assert code == 2
    assert "2024-03-02.json" in err and "malformed JSON" in err and len(err.strip().splitlines()) == 1
    assert snapshot(db) == before


def test_a_member_that_is_not_there_and_a_message_without_ts(db: Path, tmp_path: Path) -> None:
    code, _, err = ingest(db, str(NEW), "--account", "nobody")
    assert code == 2 and "no member of this workspace" in err
    odd = tmp_path / "odd"
    shutil.copytree(OLD, odd)
    day = odd / "random" / "2016-02-07.json"
    day.write_text(json.dumps([{"type": "message", "user": "U0BBB", "text": "<@U0AAA> hi", "ts": "soon"}]))
    code, out, _ = ingest(db, str(odd))
    assert code == 1 and "rows rejected 1" in out and "message 1: unreadable ts 'soon'" in out


# -- the real samples (../shared/data) -----------------------------------------------------------
def _raw(folder: Path) -> Counter[str]:
    """Message kinds counted straight from the day files, by separate code."""
    seen: Counter[str] = Counter()
    for day in folder.glob("*/*.json"):
        for message in json.loads(day.read_text(encoding="utf-8")):
            subtype = message.get("subtype")
            seen["bot" if message.get("bot_id") or subtype == "bot_message" else subtype or "message"] += 1
    return seen


@pytest.mark.shared_data
def test_real_samples(tmp_path: Path, shared_data: Path) -> None:
    old = shared_data / "exports" / "slack" / "slack-export-viewer-2016"
    raw = _raw(old)
    assert raw == {"bot": 97, "message": 49, "channel_join": 8, "file_share": 3, "file_comment": 1}
    db = tmp_path / "old.duckdb"
    code, out, err = ingest(db, str(old), "--account", "hamza")
    assert code == 0, err
    assert post_counts(db, "slack") == {"post": 33}  # hamza's 32 messages and 1 file share
    assert counts(db, "slack") == {("mention", "out"): 13, ("mention", "in"): 1}
    assert f"rows skipped {raw['bot'] + raw['channel_join']}" in out
    new = shared_data / "exports" / "slack" / "slackdump-fixture-2025"
    db = tmp_path / "new.duckdb"
    code, out, err = ingest(db, str(new))  # the workspace's one owner speaks for it
    assert code == 0, err
    assert post_counts(db, "slack") == {"post": 8, "reply": 2}
    assert counts(db, "slack") == {("reply", "in"): 1, ("reply", "out"): 1}
    assert "rows skipped 3" in out  # a join, a deleted thread parent (tombstone), a bot's message
    with ExportFiles(new) as files:
        assert slack.detect(files)
