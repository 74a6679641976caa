"""People and identities: suggestions, merge, unmerge, forget; no interaction is ever lost."""
from __future__ import annotations

from pathlib import Path

import pytest

from tiescale import (
    Store, TiescaleError, find_person, forget_person, ingest_path, merge_people, suggest_merges,
    unmerge_person,
)
from tiescale.store.identity import NOT_PERSON_DATA, PERSON_DATA
from tests.conftest import count

EVENTS = """ts,account,person,direction,kind,platform,id
2024-01-01T00:00:00Z,brand,annlee,in,reply,x,1
2024-01-02T00:00:00Z,brand,annlee@social.example,in,mention,mastodon,2
2024-01-03T00:00:00Z,brand,annlee.bsky.social,in,like,bluesky,3
2024-01-04T00:00:00Z,brand,bob,in,reply,x,4
2024-01-05T00:00:00Z,brand,bob,out,reply,x,5
2024-01-06T00:00:00Z,brand,zed,in,dm,mastodon,6
"""


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    path = tmp_path / "e.csv"
    path.write_text(EVENTS)
    ingest_path(store, path)
    return store


def interactions(store: Store) -> list[tuple]:
    return store.con.execute("SELECT * EXCLUDE (import_id) FROM interactions ORDER BY ALL").fetchall()


def test_same_platform_handle_is_one_person(loaded: Store) -> None:
    assert count(loaded, "SELECT count(*) FROM identities WHERE handle = 'bob'") == 1
    assert count(loaded, "SELECT count(*) FROM people") == 5


def test_suggestions_find_the_same_handle_across_platforms(loaded: Store) -> None:
    suggestions = suggest_merges(loaded.con)
    labels = {frozenset((s.into_label, s.from_label)) for s in suggestions}
    assert frozenset(("annlee", "annlee@social.example")) in labels
    assert frozenset(("annlee", "annlee.bsky.social")) in labels
    assert all("bob" not in pair and "zed" not in pair for pair in labels)
    assert all(0 < s.confidence <= 1 and s.reason for s in suggestions)


def test_email_match_is_the_most_confident(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(EVENTS)
    ingest_path(store, path)
    store.con.execute("UPDATE identities SET email = 'z@example.com' WHERE handle IN ('zed', 'bob')")
    top = suggest_merges(store.con)[0]
    assert {top.into_label, top.from_label} == {"bob", "zed"} and top.confidence == 0.95
    assert top.reason == "same e-mail"


def test_merge_and_unmerge_never_touch_interactions(loaded: Store) -> None:
    before = interactions(loaded)
    merge_id = merge_people(loaded.con, "x:annlee", "mastodon:annlee@social.example")
    merge_people(loaded.con, "x:annlee", "bluesky:annlee.bsky.social")
    person = find_person(loaded.con, "x:annlee")
    assert find_person(loaded.con, "mastodon:annlee@social.example") == person
    assert count(loaded, "SELECT count(*) FROM identities WHERE person_id = ?", [person]) == 3
    assert interactions(loaded) == before
    unmerge_person(loaded.con, f"merge:{merge_id}")
    assert find_person(loaded.con, "mastodon:annlee@social.example") != person
    assert find_person(loaded.con, "bluesky:annlee.bsky.social") == person
    unmerge_person(loaded.con, "x:annlee")
    assert count(loaded, "SELECT count(*) FROM identities WHERE person_id = ?", [person]) == 1
    assert interactions(loaded) == before
    with pytest.raises(TiescaleError):
        unmerge_person(loaded.con, "x:annlee")


def test_merging_a_person_with_themself_is_refused(loaded: Store) -> None:
    with pytest.raises(TiescaleError, match="already the same person"):
        merge_people(loaded.con, "bob", "x:bob")


def test_ambiguous_and_unknown_names_are_clear_errors(loaded: Store, tmp_path: Path) -> None:
    other = tmp_path / "o.csv"
    other.write_text("ts,account,person,direction,kind,platform\n2024-02-01T00:00:00Z,brand,bob,in,dm,mastodon\n")
    ingest_path(loaded, other)
    with pytest.raises(TiescaleError, match="several people"):
        find_person(loaded.con, "bob")
    with pytest.raises(TiescaleError, match="no person"):
        find_person(loaded.con, "nobody")


def test_forget_deletes_everything_and_reimport_does_not_bring_them_back(loaded: Store, tmp_path: Path) -> None:
    counts = forget_person(loaded.con, "x:bob")
    assert counts["interactions"] == 2 and counts["identities"] == 1
    assert count(loaded, "SELECT count(*) FROM interactions WHERE handle = 'bob'") == 0
    assert count(loaded, "SELECT count(*) FROM identities WHERE handle = 'bob'") == 0
    again = tmp_path / "again.csv"
    again.write_text(EVENTS + "2024-01-07T00:00:00Z,brand,bob,in,dm,x,7\n")
    ingest_path(loaded, again)
    assert count(loaded, "SELECT count(*) FROM interactions WHERE handle = 'bob'") == 0
    assert count(loaded, "SELECT count(*) FROM interactions") == 4
    # the store keeps only a keyed hash of the identity (its secret lives beside the store, not in it),
    # so a guessed handle cannot be tested against the list
    from tiescale.store.forgetting import forget_key, keyed_hash

    key = forget_key(loaded.con, create=False)
    assert key is not None
    assert count(loaded, f"SELECT count(*) FROM forgotten WHERE handle_hash = '{keyed_hash(key, 'x', 'bob')}'") == 1
    assert count(loaded, "SELECT count(*) FROM forgotten WHERE handle_hash = sha256('bob')") == 0


# -- the declaration of where person data lives ---------------------------------------------------------
#: Column names that name a person (a handle, a person id, an e-mail, a name shown for them).
PERSON_COLUMNS = {"person", "person_id", "person_ref", "handle", "username", "email", "into_person", "from_person",
                  "label", "display_name", "name", "merged_into"}


def _catalogue(store: Store) -> dict[str, set[str]]:
    """Every base table of the store (a fresh one: every migration applied) and its columns."""
    tables: dict[str, set[str]] = {}
    for row in store.rows("""SELECT c.table_name, c.column_name FROM information_schema.columns c
                             JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
                             WHERE c.table_schema = 'main' AND t.table_type = 'BASE TABLE'"""):
        tables.setdefault(row["table_name"], set()).add(row["column_name"])
    return tables


def test_every_table_that_names_a_person_is_declared(store: Store) -> None:
    declared = {d.table: d for d in PERSON_DATA}
    undeclared = []
    for table, columns in sorted(_catalogue(store).items()):
        personal = columns & PERSON_COLUMNS
        if not personal or table in NOT_PERSON_DATA:
            continue
        if table not in declared:
            undeclared.append(f"{table} ({', '.join(sorted(personal))})")
        else:
            missing = personal - set(declared[table].names)
            assert not missing, f"{table}: columns {sorted(missing)} name a person but are not in its declaration"
    assert not undeclared, ("tables with person data that tiescale.store.identity.PERSON_DATA does not declare "
                            "(forget would leave them behind): " + "; ".join(undeclared))


def test_the_declaration_names_real_tables_and_columns(store: Store) -> None:
    catalogue = _catalogue(store)
    for data in PERSON_DATA:
        assert data.table in catalogue, f"PERSON_DATA names a table the store does not have: {data.table}"
        columns = catalogue[data.table]
        for column in (*data.names, data.handle_column, data.person_column):
            assert column is None or column in columns, f"{data.table}.{column} does not exist"
        if "identity" in data.forget_by:
            assert data.handle_column and "platform" in columns, data.table
        if "person" in data.forget_by:
            assert data.person_column, data.table
    for table in NOT_PERSON_DATA:
        assert table in catalogue and table not in {d.table for d in PERSON_DATA}, table


def test_an_undeclared_table_with_person_data_is_caught(store: Store) -> None:
    store.con.execute("CREATE TABLE shiny_new_feature (person_id BIGINT, note VARCHAR)")
    with pytest.raises(AssertionError, match="shiny_new_feature"):
        test_every_table_that_names_a_person_is_declared(store)


def test_forget_accepts_a_store_as_well_as_its_connection(loaded: Store) -> None:
    assert find_person(loaded, "x:bob") == find_person(loaded.con, "x:bob")
    counts = forget_person(loaded, "x:bob")
    assert counts["interactions"] == 2 and counts["identities"] == 1
    assert count(loaded, "SELECT count(*) FROM interactions WHERE handle = 'bob'") == 0
