"""TikTok "Download your data" JSON (older and current layouts), through the CLI into a real DuckDB store."""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format

from ..conftest import FIXTURES
from ._cli import counts, ingest, post_counts, query, snapshot

OLD = FIXTURES / "tiktok" / "export_2023"
NEW = FIXTURES / "tiktok" / "export_2025"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def test_both_layouts_are_detected() -> None:
    for folder in (OLD, NEW):
        with ExportFiles(folder) as files:
            assert detect_format(files) == "tiktok"


def test_older_layout_end_to_end(db: Path) -> None:
    code, out, err = ingest(db, str(OLD))
    assert code == 0, err
    assert query(db, "SELECT handle, display_name FROM accounts") == [("sigrid.bakes", "Sigrid Bakes")]
    assert counts(db, "tiktok") == {("dm", "in"): 2, ("dm", "out"): 2}
    assert post_counts(db, "tiktok") == {"post": 1, "comment": 1}
    assert query(db, "SELECT likes, url FROM posts WHERE kind = 'post'") == [
        (42, "https://www.tiktokv.com/share/video/7230000000000000000/")]
    assert query(db, "SELECT relation, count(*) FROM follower_snapshots GROUP BY ALL ORDER BY 1") == [
        ("follower", 2), ("following", 1)]
    assert query(db, "SELECT url FROM identities WHERE handle = 'bo_berg'") == [("https://www.tiktok.com/@bo_berg",)]


def test_current_layout_with_null_sections_and_a_later_snapshot(db: Path) -> None:
    assert ingest(db, str(OLD))[0] == 0
    code, _, err = ingest(db, str(NEW))
    assert code == 0, err
    assert counts(db, "tiktok") == {("dm", "in"): 3, ("dm", "out"): 3}
    assert post_counts(db, "tiktok") == {"post": 2, "comment": 3}
    # bo_berg followed in the 2023 list and is gone from the 2025 one: an unfollow, derived from the snapshots
    assert query(db, "SELECT kind, direction FROM interactions WHERE handle = 'bo_berg' AND kind LIKE '%follow'") == [
        ("unfollow", "in")]


def test_second_import_adds_nothing_also_from_a_zip(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(NEW))[0] == 0
    before = snapshot(db)
    assert "already imported" in ingest(db, str(NEW))[1]
    archive = tmp_path / "TikTok_Data_1738000000.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(NEW / "user_data_tiktok.json", "user_data_tiktok.json")
    code, _, err = ingest(db, str(archive))
    assert code == 0, err
    assert snapshot(db)[:5] == before[:5]


def test_malformed_file_is_one_line_exit_2_and_the_store_unchanged(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(OLD))[0] == 0
    before = snapshot(db)
    broken = tmp_path / "broken"
    shutil.copytree(NEW, broken)
    data = (broken / "user_data_tiktok.json").read_text(encoding="utf-8")
    (broken / "user_data_tiktok.json").write_text(data[: len(data) // 2], encoding="utf-8")
    code, _, err = ingest(db, str(broken))
    assert code == 2 and "user_data_tiktok.json" in err and "malformed JSON" in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(db) == before


def test_bad_rows_are_rejected_and_named(db: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(NEW, odd)
    data = json.loads((odd / "user_data_tiktok.json").read_text(encoding="utf-8"))
    data["Direct Message"]["Direct Messages"]["ChatHistory"]["Chat History with ana.lima:"].append(
        {"Date": "someday", "From": "ana.lima", "Content": "?"})
    (odd / "user_data_tiktok.json").write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = ingest(db, str(odd))
    assert code == 1 and "rows rejected 1" in out and "chat with ana.lima, message 3" in out
    assert counts(db, "tiktok") == {("dm", "in"): 1, ("dm", "out"): 1}


# -- the real samples (../shared/data) -----------------------------------------------------------
@pytest.mark.shared_data
def test_real_samples(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "exports" / "tiktok" / "pseudonymized-full-2025-11"
    raw = json.loads((folder / "user_data_tiktok.json").read_text(encoding="utf-8"))
    chats = raw["Direct Message"]["Direct Messages"]["ChatHistory"]
    sent = sum(1 for messages in chats.values() for m in messages if m["From"] == "owner_user")
    received = sum(len(messages) for messages in chats.values()) - sent
    assert (sent, received) == (1011, 1777)
    db = tmp_path / "full.duckdb"
    code, _, err = ingest(db, str(folder))
    assert code == 0, err
    assert counts(db, "tiktok") == {("dm", "out"): sent, ("dm", "in"): received}
    assert post_counts(db, "tiktok") == {
        "comment": len(raw["Comment"]["Comments"]["CommentsList"]), "post": len(raw["Post"]["Posts"]["VideoList"])}
    assert query(db, "SELECT relation, count(*) FROM follower_snapshots GROUP BY ALL ORDER BY 1") == [
        ("follower", len(raw["Your Activity"]["Follower"]["FansList"])),
        ("following", len(raw["Your Activity"]["Following"]["Following"]))]
    empty = shared_data / "exports" / "tiktok" / "test-account-2024-12"
    code, out, err = ingest(tmp_path / "empty.duckdb", str(empty))
    assert code == 0 and "new interactions 0" in out, err
