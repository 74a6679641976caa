"""Discord: DiscordChatExporter JSON and Discord's own data package, through the CLI into a real DuckDB store."""
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

DM = FIXTURES / "discord" / "dce_dm"
PACKAGE = FIXTURES / "discord" / "package"
ME = "900000000000000001"
ANA = "900000000000000002"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def test_detected() -> None:
    for folder in (DM, PACKAGE):
        with ExportFiles(folder) as files:
            assert detect_format(files) == "discord"


def test_exporter_dm_end_to_end(db: Path) -> None:
    code, out, err = ingest(db, str(DM), "--account", "sigridbakes")
    assert code == 0, err
    assert counts(db, "discord") == {("dm", "in"): 1, ("dm", "out"): 1, ("like", "in"): 1}  # not to the bot
    assert "rows skipped 2" in out  # the bot's message and a pin
    assert query(db, "SELECT in_reply_to FROM interactions WHERE direction = 'out'") == [("920000000000000001",)]
    assert query(db, "SELECT display_name, username FROM identities WHERE handle = ?", [ANA]) == [("Ana", "ana.lima")]


def test_exporter_needs_the_account(db: Path) -> None:
    code, _, err = ingest(db, str(DM))
    assert code == 2 and "pass --account" in err and len(err.strip().splitlines()) == 1
    assert snapshot(db) in ((), (0, 0, 0, 0, 0, 0, 0))


def test_data_package_zip_end_to_end(db: Path, tmp_path: Path) -> None:
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(PACKAGE).as_posix())
    code, _, err = ingest(db, str(archive))
    assert code == 0, err
    assert query(db, "SELECT handle FROM accounts") == [(ME,)]
    assert counts(db, "discord") == {("dm", "out"): 2}  # messages.json of a DM
    assert post_counts(db, "discord") == {"post": 2}  # messages.csv of a server channel, a quoted newline kept
    assert query(db, "SELECT text FROM posts ORDER BY ts LIMIT 1") == [("Merry Christmas, everyone!\nSee you in January",)]
    before = snapshot(db)
    code, _, err = ingest(db, str(PACKAGE))  # the same package unzipped: nothing new
    assert code == 0, err
    assert snapshot(db)[:5] == before[:5]


def test_second_import_adds_nothing(db: Path) -> None:
    assert ingest(db, str(DM), "--account", ME)[0] == 0
    before = snapshot(db)
    code, out, _ = ingest(db, str(DM), "--account", ME)
    assert code == 0 and "already imported" in out and snapshot(db)[:5] == before[:5]


def test_malformed_file_is_one_line_exit_2_and_the_store_unchanged(db: Path, tmp_path: Path) -> None:
    assert ingest(db, str(PACKAGE))[0] == 0
    before = snapshot(db)
    broken = tmp_path / "broken"
    shutil.copytree(PACKAGE, broken)
    (broken / "messages" / "c111" / "messages.json").write_text('[{"ID": 1, "Timestamp": ', encoding="utf-8")
    code, _, err = ingest(db, str(broken))
    assert code == 2 and "messages.json" in err and "malformed JSON" in err and len(err.strip().splitlines()) == 1
    assert snapshot(db) == before
    odd = tmp_path / "odd"
    shutil.copytree(PACKAGE, odd)
    with open(odd / "messages" / "c222" / "messages.csv", "a", encoding="utf-8") as handle:
        handle.write("940000000000000003,not a time,hello,\r\n")
    code, out, _ = ingest(db, str(odd))
    assert code == 1 and "rows rejected 1" in out and "row 3" in out


# -- the real sample (../shared/data) -------------------------------------------------------------
@pytest.mark.shared_data
def test_real_sample(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "exports" / "discord" / "dce-example-guild"
    adam = "521486476985155645"
    own_messages, kinds = set(), set()
    for path in folder.rglob("*.json"):
        for message in json.loads(path.read_text(encoding="utf-8"))["messages"]:
            kinds.add(message["type"])
            if message["author"]["id"] == adam and message["type"] in ("Default", "Reply"):
                own_messages.add(message["id"])
    db = tmp_path / "guild.duckdb"
    code, out, err = ingest(db, str(folder), "--account", "Adam")
    assert code == 0, err
    assert sum(post_counts(db, "discord").values()) == len(own_messages) == 22  # the re-exported channel dedupes
    assert post_counts(db, "discord") == {"post": 20, "reply": 2}
    # replies by reference.messageId (a thread's reply to its channel included) and mentions, both ways
    assert counts(db, "discord") == {("reply", "out"): 2, ("reply", "in"): 2, ("mention", "in"): 2,
                                     ("mention", "out"): 1}
    assert "rows skipped 4" in out and {"GuildMemberJoin", "ThreadCreated"} <= kinds
