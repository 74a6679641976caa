"""Migration 18 (engage_sends, snippets) on an older store; saved replies; forget clears sent answers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tiescale.records import UsageError
from tiescale.store.db import Store
from tiescale.store.identity import forget_person
from tiescale.store.ingest import ingest_path
from tiescale.surfaces.cli import main
from tiescale.sync.snippets import add_snippet, fill_placeholders, fill_snippet, list_snippets, remove_snippet

ENGAGE = 18


def write_events(path: Path) -> Path:
    path.write_text("ts,account,person,direction,kind,platform,id,text\n"
                    "2024-03-01T10:00:00+00:00,brand.example,ada.example,in,reply,bluesky,"
                    "at://did:plc:ada/app.bsky.feed.post/3kada,Do you ship to Oslo?\n", encoding="utf-8")
    return path


def test_a_store_from_before_migration_18_opens_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        ingest_path(store, write_events(tmp_path / "e.csv"))
        store.con.execute("DROP TABLE engage_sends")
        store.con.execute("DROP TABLE snippets")
        store.con.execute("DELETE FROM schema_version WHERE version >= ?", [ENGAGE])
    with Store(path) as store:
        assert store.schema_version >= ENGAGE
        assert store.scalar("SELECT count(*) FROM engage_sends") == 0
        add_snippet(store, "thanks", "Thank you {first_name}!")
        assert [s["name"] for s in list_snippets(store)] == ["thanks"]
        assert store.scalar("SELECT count(*) FROM interactions") == 1  # the data is untouched


def test_snippets_fill_placeholders_and_refuse_unknown_ones(store: Store, tmp_path: Path) -> None:
    ingest_path(store, write_events(tmp_path / "e.csv"))
    person = int(store.scalar("SELECT person_id FROM identities WHERE handle = 'ada.example'"))
    add_snippet(store, "ship", "Hi {name}, yes we ship to Norway.")
    assert fill_snippet(store, "ship", person, extra="Order by Friday.") == \
        "Hi ada.example, yes we ship to Norway.\nOrder by Friday."
    # a placeholder is a word in braces, nothing more: no attribute access, no format spec
    with pytest.raises(UsageError, match="unknown placeholder"):
        add_snippet(store, "bad", "{name.__class__} {secret}")
    with pytest.raises(UsageError, match="unknown placeholder"):
        fill_placeholders(store, "hello {password}", person)
    assert fill_placeholders(store, "{{name}} {0} {handle}", person) == "{ada.example} {0} ada.example"
    with pytest.raises(UsageError, match="no snippet 'nope'"):
        fill_snippet(store, "nope", person)
    assert remove_snippet(store, "ship") and not remove_snippet(store, "ship")


def test_snippets_cli_add_list_remove(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "snippets", "add", "welcome", "Welcome {first_name}!"]).exit_code == 0
    listed = json.loads(runner.invoke(main, ["--db", db, "snippets", "list", "--format", "json"]).output)
    assert [(s["name"], s["body"]) for s in listed] == [("welcome", "Welcome {first_name}!")]
    assert runner.invoke(main, ["--db", db, "snippets", "remove", "welcome"]).exit_code == 0
    gone = runner.invoke(main, ["--db", db, "snippets", "remove", "welcome"])
    assert gone.exit_code == 2 and "no snippet 'welcome'" in gone.output


def test_forget_removes_the_answers_sent_to_a_person(store: Store, tmp_path: Path) -> None:
    ingest_path(store, write_events(tmp_path / "e.csv"))
    person = int(store.scalar("SELECT person_id FROM identities WHERE handle = 'ada.example'"))
    store.con.execute("""INSERT INTO engage_sends (send_key, platform, account, person, person_id, kind, text,
                         record_key, status, created_at) VALUES ('k', 'bluesky', 'brand.example', 'ada.example', ?,
                         'reply', 'Yes we do', 'r', 'sent', now())""", [person])
    forget_person(store, "bluesky:ada.example")
    assert store.scalar("SELECT count(*) FROM engage_sends") == 0
