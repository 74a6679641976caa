"""The brand's own account by its @name, not its id (issue 19, point 2): stored at import
(``accounts.username``, migration 23) and preferred by every surface; an older store migrates."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from tiescale.insights.links import accounts_shown
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.surfaces.cli import main

#: An X archive with account.js and DMs only (no tweets: no post link names the account).
DMS_ONLY = "x-archive/dms-only"
OWN_ID = "1380241455226167296"
ASKER = "1498765432109876543"
OWN_SHOWN = "@harborroasters (Harbor Roasters)"
ACCOUNT_NAMES = 23


def cli(db: Path, *args: str, columns: int = 80) -> str:
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_dms_only_archive_names_its_account_by_username(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "dms.duckdb"
    cli(db, "ingest", str(fixtures / DMS_ONLY))
    with Store(db) as store:
        assert store.rows("SELECT handle, username, display_name FROM accounts") == [
            {"handle": OWN_ID, "username": "harborroasters", "display_name": "Harbor Roasters"}]
        assert not store.scalar("SELECT count(*) FROM posts")  # nothing but the stored name to go on
    queue = json.loads(cli(db, "queue", "--format", "json"))
    waiting = next(r for r in queue if r["reason"] == "unanswered")
    assert waiting["account"] == OWN_ID  # the contract: the handle as imported
    assert waiting["account_shown"] == OWN_SHOWN
    assert waiting["person_shown"] == f"id {ASKER}"  # a person known by id only: marked as one
    assert waiting["url"] == f"https://x.com/messages/{OWN_ID}-{ASKER}"
    table = cli(db, "queue")
    assert OWN_SHOWN in table and f"id {ASKER}" in table
    # --account takes the @name too (the handle is the X id)
    assert json.loads(cli(db, "queue", "--account", "@harborroasters", "--format", "json")) == queue
    assert json.loads(cli(db, "content", "--account", "harborroasters", "--format", "json"))["account"]

    person = cli(db, "person", f"x:{ASKER}")
    assert f"with {OWN_SHOWN} on x:" in person
    assert not re.search(rf"(?<![-/\d]){OWN_ID}(?![-\d])", person)  # the id only inside the DM link
    profile = json.loads(cli(db, "person", f"x:{ASKER}", "--format", "json"))
    assert [c["account_shown"] for c in profile["connections"]] == [OWN_SHOWN]
    assert {t["account_shown"] for t in profile["timeline"]} == {OWN_SHOWN}
    assert {c["account"] for c in profile["connections"]} == {OWN_ID}


def test_without_a_username_the_display_name_then_the_marked_id(fixtures: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(fixtures / DMS_ONLY, archive)
    account = archive / "data" / "account.js"
    account.write_text(account.read_text(encoding="utf-8").replace('"username" : "harborroasters",', ""),
                       encoding="utf-8")
    with Store(tmp_path / "a.duckdb") as store:
        ingest_path(store, archive, fmt="x-archive")
        assert accounts_shown(store)[("x", OWN_ID)].label == "Harbor Roasters"
    account.write_text(account.read_text(encoding="utf-8").replace('"accountDisplayName" : "Harbor Roasters"',
                                                                    '"accountDisplayName" : ""'), encoding="utf-8")
    with Store(tmp_path / "b.duckdb") as store:
        ingest_path(store, archive, fmt="x-archive")
        assert accounts_shown(store)[("x", OWN_ID)].label == f"id {OWN_ID}"


def test_a_store_from_before_migration_23_opens_and_migrates(fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        ingest_path(store, fixtures / DMS_ONLY, fmt="x-archive")
        store.con.execute("ALTER TABLE accounts DROP COLUMN username")
        store.con.execute("DELETE FROM schema_version WHERE version >= ?", [ACCOUNT_NAMES])
        interactions = store.scalar("SELECT count(*) FROM interactions")
    with Store(path, read_only=True) as store:  # a reader migrates it too (once), then reads
        assert store.schema_version >= ACCOUNT_NAMES
        assert store.rows("SELECT handle, username FROM accounts") == [{"handle": OWN_ID, "username": None}]
        assert accounts_shown(store)[("x", OWN_ID)].label == "Harbor Roasters"  # no username yet: the name
        assert store.scalar("SELECT count(*) FROM interactions") == interactions  # the data is untouched
    newer = tmp_path / "newer"  # a newer archive of the same account (an unchanged file is not read again)
    shutil.copytree(fixtures / DMS_ONLY, newer)
    with (newer / "data" / "account.js").open("a", encoding="utf-8") as account:
        account.write("\n")
    with Store(path) as store:
        ingest_path(store, newer, fmt="x-archive")  # names it
        assert store.scalar("SELECT username FROM accounts") == "harborroasters"
        assert accounts_shown(store)[("x", OWN_ID)].label == OWN_SHOWN
        assert store.scalar("SELECT count(*) FROM interactions") == interactions  # duplicates, not new rows


def test_other_importers_store_the_accounts_username(fixtures: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "tg.duckdb") as store:
        ingest_path(store, fixtures / "telegram/export_2024", fmt="telegram")
        assert store.scalar("SELECT username FROM accounts") == "sigridbakery"
        (handle,) = store.con.execute("SELECT handle FROM accounts").fetchone() or ("",)
        assert accounts_shown(store)[("telegram", handle)].label.startswith("@sigridbakery")
    with Store(tmp_path / "dc.duckdb") as store:  # a Discord data package: account/user.json
        ingest_path(store, fixtures / "discord/package", fmt="discord")
        assert accounts_shown(store)[("discord", "900000000000000001")].label == "@sigridbakes (Sigrid)"
    with Store(tmp_path / "bs.duckdb") as store:  # a Bluesky feed keys the account by DID; its posts name it
        ingest_path(store, fixtures / "bluesky/author_feed.json", fmt="bluesky")
        (did,) = store.con.execute("SELECT handle FROM accounts").fetchone() or ("",)
        assert did.startswith("did:plc:")
        assert accounts_shown(store)[("bluesky", did)].label == "@harbor.example.com (Harbor Coffee)"


# -- tiescale people: names, and each row's link under the table -----------------------------------
def test_people_table_lists_each_rows_link_and_names_the_account(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "people.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "ingest", str(fixtures / "x-archive/archive")])
    assert result.exit_code in (0, 1), result.output  # 1: the fixture holds rejected rows on purpose
    rows = json.loads(cli(db, "people", "--format", "json", "--limit", "0"))
    assert {r["account_shown"] for r in rows} == {"@harbourcoffee (Harbour Coffee Co)"}
    assert {r["person"]: r["person_shown"] for r in rows}["2100000001"] == "@ada_lindqvist (Ada Lindqvist)"
    table = cli(db, "people", "--limit", "0")
    # one account: named once, in the title, by its @name (never the id); names, not ids, in the rows
    assert "Connections by relationship score with @harbourcoffee (Harbour Coffee Co) on x" in table
    assert "1200000001" not in table
    listed = [line.split() for line in table.splitlines() if re.match(r"^\s+\d+\s+x:", line)]
    # the same rows in the same order: under the table, row n as "n  platform:handle  url", whole
    assert listed == [[str(n), f"x:{r['person']}", *([r["url"]] if r["url"] else [])] for n, r in enumerate(rows, 1)]
    assert any(line[1:] == ["x:2100000001", "https://x.com/ada_lindqvist"] for line in listed)
    wide = cli(db, "people", "--limit", "0", columns=200)
    assert "@ada_lindqvist (Ada Lindqvist)" in wide and "id 2100000006" in wide and "from them" in wide
    assert "1200000001" not in wide


def test_people_table_with_two_accounts_has_the_account_column(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "two.duckdb"
    CliRunner().invoke(main, ["--db", str(db), "ingest", str(fixtures / "x-archive/archive")])
    events = tmp_path / "events.csv"
    events.write_text("ts,account,person,direction,kind,platform,id,text\n"
                      "2023-08-29T10:00:00Z,ann[/]shop,bea.example,in,dm,bluesky,m1,[bold]hi[/]\n"
                      "2023-08-29T11:00:00Z,ann[/]shop,bea.example,out,dm,bluesky,m2,hello\n", encoding="utf-8")
    cli(db, "ingest", str(events))
    table = cli(db, "people", "--limit", "0", columns=200)  # a wide terminal: no cell is cut
    assert table.splitlines()[0].strip() == "Connections by relationship score"
    assert "┃ account " in table and "┃ platform " in table
    assert "ann[/]shop" in table and "@harbourcoffee (Harbour Coffee Co)" in table  # markup shown as written
    assert "https://bsky.app/profile/bea.example" in table


def test_people_title_escapes_an_account_named_with_markup(tmp_path: Path) -> None:
    db = tmp_path / "markup.duckdb"
    events = tmp_path / "events.csv"
    events.write_text("ts,account,person,direction,kind,id,text\n"
                      "2024-03-01T10:00:00Z,[red]shop[/],ann,in,dm,m1,hi\n"
                      "2024-03-01T11:00:00Z,[red]shop[/],ann,out,dm,m2,hello\n", encoding="utf-8")
    cli(db, "ingest", str(events))
    table = cli(db, "people")
    assert "Connections by relationship score with [red]shop[/] on " in table
