"""Telegram Desktop JSON exports (result.json), through the CLI into a real DuckDB store."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format

from ..conftest import FIXTURES
from ._cli import counts, ingest, post_counts, query, snapshot

FULL = FIXTURES / "telegram" / "export_2024"
SINGLE = FIXTURES / "telegram" / "single_chat"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def test_detected() -> None:
    for folder in (FULL, SINGLE):
        with ExportFiles(folder) as files:
            assert detect_format(files) == "telegram"


def test_full_export_end_to_end(db: Path) -> None:
    code, out, err = ingest(db, str(FULL))
    assert code == 0, err
    assert query(db, "SELECT handle, display_name FROM accounts") == [("user5550001", "Sigrid Bakery")]
    assert counts(db, "telegram") == {
        ("dm", "in"): 1, ("dm", "out"): 1,  # the personal chat
        ("mention", "in"): 1,  # "@SigridBakery" in the supergroup
        ("reply", "in"): 1, ("reply", "out"): 1,  # reply_to_message_id, both ways
    }
    assert post_counts(db, "telegram") == {"post": 1, "reply": 1}
    assert "rows skipped 3" in out  # a call, the group's creation, a saved message
    assert query(db, "SELECT display_name FROM identities WHERE handle = 'user5550004'") == [("Mia Hoffmann",)]
    assert query(db, "SELECT text FROM posts WHERE kind = 'reply'") == [("Friday, Mia",)]


def test_single_chat_export_needs_the_account(db: Path) -> None:
    code, _, err = ingest(db, str(SINGLE))
    assert code == 2 and "pass --account" in err and len(err.strip().splitlines()) == 1
    code, _, err = ingest(db, str(SINGLE), "--account", "Sigrid Bakery")
    assert code == 0, err
    assert counts(db, "telegram") == {("dm", "in"): 1, ("dm", "out"): 1}


def test_second_import_adds_nothing(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(FULL))[0] == 0
    before = snapshot(db)
    assert "already imported" in ingest(db, str(FULL))[1]
    again = tmp_path / "again"
    shutil.copytree(FULL, again)
    data = json.loads((again / "result.json").read_text(encoding="utf-8"))
    data["about"] = "exported again"
    (again / "result.json").write_text(json.dumps(data), encoding="utf-8")
    code, _, err = ingest(db, str(again))
    assert code == 0, err
    assert snapshot(db)[:5] == before[:5]


def test_malformed_file_is_one_line_exit_2_and_the_store_unchanged(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(FULL))[0] == 0
    before = snapshot(db)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "result.json").write_text((FULL / "result.json").read_text(encoding="utf-8")[:900], encoding="utf-8")
    code, _, err = ingest(db, str(broken), "--format", "telegram")
    assert code == 2 and "result.json" in err and "malformed JSON" in err and len(err.strip().splitlines()) == 1
    assert snapshot(db) == before


def test_a_message_without_a_date_is_rejected(db: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(SINGLE, odd)
    data = json.loads((odd / "result.json").read_text(encoding="utf-8"))
    data["messages"].append({"id": 3, "type": "message", "date": "", "from": "Jonas Berg", "from_id": "user5550005",
                             "text": "hello?"})
    (odd / "result.json").write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = ingest(db, str(odd), "--account", "user5550001")
    assert code == 1 and "rows rejected 1" in out and "chat Jonas Berg, message 3" in out


# -- the real samples (../shared/data) -----------------------------------------------------------
@pytest.mark.shared_data
def test_real_samples(tmp_path: Path, shared_data: Path) -> None:
    root = shared_data / "exports" / "telegram" / "chat-history-manager"
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    assert len(folders) == 17
    for number, folder in enumerate(folders):
        raw = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        me = f"user{raw['personal_information']['user_id']}"
        expected: dict[tuple[str, str], int] = {}
        own_posts = services = 0
        for chat in raw["chats"]["list"]:
            for message in chat["messages"]:
                if message["type"] != "message":
                    services += 1
                    continue
                sender = message["from_id"] if isinstance(message["from_id"], str) else f"user{message['from_id']}"
                if chat["type"] == "personal_chat":
                    key = ("dm", "out" if sender == me else "in")
                    expected[key] = expected.get(key, 0) + 1
                elif sender == me:
                    own_posts += 1
        db = tmp_path / f"t{number}.duckdb"
        code, out, err = ingest(db, str(folder))
        assert code == 0, (folder.name, err)
        found = counts(db, "telegram")
        assert {k: v for k, v in found.items() if k[0] == "dm"} == expected, folder.name
        assert sum(post_counts(db, "telegram").values()) == own_posts, folder.name
        assert (f"rows skipped {services}" in out) == bool(services), folder.name
    oldest = tmp_path / "t0.duckdb"  # telegram_2020-01: integer from_ids, one reply in a group
    assert counts(oldest, "telegram") == {("dm", "in"): 11, ("dm", "out"): 5, ("reply", "out"): 1}
