"""The Bluesky importer: a generated repository CAR, saved API JSON, and the shared real samples."""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import count
from tiescale.records import SourceError
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bluesky"
OWN = "did:plc:hbrcf6ee7yzq2mxk4w3vt5ab"
CAR_KINDS = {"reply": 2, "mention": 2, "quote": 2, "like": 1, "repost": 1, "follow": 2}


def _make_car() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bluesky_make_car", FIXTURES / "make_car.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write
    return module


make_car = _make_car()


def _kinds(store: Store, table: str = "interactions", where: str = "TRUE") -> dict[str, int]:
    return dict(store.con.execute(f"SELECT kind, count(*) FROM {table} WHERE {where} GROUP BY kind").fetchall())


def _totals(store: Store) -> tuple[int, int, int, int]:
    return tuple(count(store, f"SELECT count(*) FROM {t}")  # type: ignore[return-value]
                 for t in ("interactions", "posts", "identities", "imports"))


def _write_car(path: Path, records: dict, rev: str = "3kzzzzzzzzz2a") -> Path:
    path.write_bytes(make_car.build_car(OWN, records, rev))
    return path


# -- the repository CAR -------------------------------------------------------------------------
def test_committed_car_is_what_make_car_builds() -> None:
    assert (FIXTURES / "repo.car").read_bytes() == make_car.build_car(OWN, make_car.RECORDS)


def test_detection_and_wrong_format(store: Store, fixtures: Path, tmp_path: Path) -> None:
    for path in (FIXTURES / "repo.car", FIXTURES / "notifications.json", FIXTURES / "messages.json", FIXTURES):
        with ExportFiles(path) as files:
            assert detect(files) == "bluesky", path
    events = tmp_path / "bluesky-events.json"  # an events file mentioning at:// ids is not a Bluesky response
    events.write_text(json.dumps({"ts": "2024-01-01T00:00:00Z", "account": "a", "person": "b", "direction": "in",
                                  "kind": "like", "id": "at://did:plc:x/app.bsky.feed.like/1"}) + "\n")
    with ExportFiles(events) as files:
        assert detect(files) == "events"
    mastodon = fixtures / "mastodon" / "archive-20240310120000-5e1f0c"
    with pytest.raises(SourceError, match="not a Bluesky export"):
        ingest_path(store, mastodon, fmt="bluesky")
    assert _totals(store) == (0, 0, 0, 0)


def test_car_imports_exact_counts(store: Store) -> None:
    summary = ingest_path(store, FIXTURES / "repo.car")
    assert summary.format == "bluesky" and summary.status == "ok"
    assert summary.new_interactions == CAR_KINDS
    assert _kinds(store, "posts") == {"post": 2, "reply": 3, "quote": 1, "repost": 1}
    assert store.con.execute("SELECT handle, display_name, account_id FROM accounts").fetchall() == [
        (OWN, "Harbor Coffee", OWN)]
    rows = store.con.execute(
        "SELECT kind, handle, item_id FROM interactions ORDER BY kind, handle").fetchall()
    post = f"at://{OWN}/app.bsky.feed.post/"
    assert rows == [
        ("follow", make_car.BEA, f"at://{OWN}/app.bsky.graph.follow/3kaaaaaaaaj2a"),
        ("follow", make_car.DEE, f"at://{OWN}/app.bsky.graph.follow/3kaaaaaaaak2a"),
        ("like", make_car.BEA, f"at://{OWN}/app.bsky.feed.like/3kaaaaaaaag2a"),  # the like of an own post is not
        ("mention", make_car.BEA, post + "3kaaaaaaaab2a"),
        ("mention", make_car.DEE, post + "3kaaaaaaaac2a"),  # cal is mentioned there too, but replied to
        ("quote", make_car.EVE, post + "3kaaaaaaaae2a"),
        ("quote", make_car.FAY, post + "3kaaaaaaaaf2a"),  # recordWithMedia, in a reply to bea
        ("reply", make_car.BEA, post + "3kaaaaaaaaf2a"),
        ("reply", make_car.CAL, post + "3kaaaaaaaac2a"),
        ("repost", make_car.CAL, f"at://{OWN}/app.bsky.feed.repost/3kaaaaaaaai2a"),
    ]
    # The self-reply (thread continuation) is a post of kind reply, and no interaction.
    assert store.con.execute("SELECT kind, in_reply_to, url FROM posts WHERE post_id = ?",
                             [post + "3kaaaaaaaad2a"]).fetchone() == (
        "reply", post + "3kaaaaaaaaa2a", f"https://bsky.app/profile/{OWN}/post/3kaaaaaaaad2a")
    assert store.con.execute("SELECT min(ts)::VARCHAR FROM interactions WHERE kind = 'follow'").fetchone() == (
        "2024-02-01 10:00:00+00",)
    # Mention facets name the handle people know.
    assert store.con.execute("SELECT username FROM identities WHERE handle = ?", [make_car.DEE]).fetchone() == (
        "dee.example.org",)


def test_second_import_adds_nothing(store: Store, tmp_path: Path) -> None:
    ingest_path(store, FIXTURES / "repo.car")
    before = _totals(store)
    assert ingest_path(store, FIXTURES / "repo.car").status == "unchanged"
    again = ingest_path(store, _write_car(tmp_path / "again.car", make_car.RECORDS, rev="3kzzzzzzzzz3a"))
    assert again.status == "ok" and again.total_new == 0 and again.new_posts == 0
    assert again.duplicates == sum(CAR_KINDS.values())
    assert _totals(store)[:3] == before[:3]


def test_overlapping_newer_car_adds_only_new_items(store: Store, tmp_path: Path) -> None:
    ingest_path(store, FIXTURES / "repo.car")
    records = dict(make_car.RECORDS)
    del records["app.bsky.feed.post/3kaaaaaaaaa2a"]  # deleted since: stays in the store
    records["app.bsky.feed.post/3kaaaaaaaam2a"] = {
        "$type": "app.bsky.feed.post", "text": "New single origin on the board",
        "reply": {"root": make_car._ref(make_car.EVE, "3keeeeeeeee2a"),
                  "parent": make_car._ref(make_car.EVE, "3keeeeeeeee2a")},
        "createdAt": "2024-03-08T08:00:00.000Z"}
    records["app.bsky.feed.like/3kaaaaaaaao2a"] = {
        "$type": "app.bsky.feed.like", "subject": make_car._ref(make_car.FAY, "3kfffffffff2a"),
        "createdAt": "2024-03-08T09:00:00.000Z"}
    summary = ingest_path(store, _write_car(tmp_path / "newer.car", records, rev="3kzzzzzzzzz4a"))
    assert summary.new_interactions == {"reply": 1, "like": 1}
    assert summary.new_posts == 1 and count(store, "SELECT count(*) FROM posts") == 8


def test_malformed_records_are_rejected_and_the_rest_imports(store: Store, tmp_path: Path) -> None:
    records = dict(make_car.RECORDS)
    records["app.bsky.feed.like/3kaaaaaaaap2a"] = {"$type": "app.bsky.feed.like", "createdAt": "2024-03-08T09:00:00Z"}
    records["app.bsky.feed.post/3kaaaaaaaaq2a"] = {"$type": "app.bsky.feed.post", "text": "x", "createdAt": "soon"}
    records["app.bsky.graph.follow/3kaaaaaaaar2a"] = {"$type": "app.bsky.graph.follow", "subject": 7,
                                                      "createdAt": "2024-03-08T09:00:00Z"}
    summary = ingest_path(store, _write_car(tmp_path / "bad.car", records))
    assert summary.status == "partial" and summary.rejected == 3
    assert sorted((r.record, r.reason) for r in summary.rejects) == [
        ("app.bsky.feed.like/3kaaaaaaaap2a", "no subject uri"),
        ("app.bsky.feed.post/3kaaaaaaaaq2a", "unreadable timestamp 'soon'"),
        ("app.bsky.graph.follow/3kaaaaaaaar2a", "no subject DID"),
    ]
    assert summary.new_interactions == CAR_KINDS


@pytest.mark.parametrize("cut", [10, 300, -7])
def test_truncated_car_is_an_error_and_the_store_is_unchanged(store: Store, tmp_path: Path, cut: int) -> None:
    ingest_path(store, FIXTURES / "notifications.json")
    before = _totals(store)
    data = (FIXTURES / "repo.car").read_bytes()
    broken = tmp_path / "broken.car"
    broken.write_bytes(data[:cut])
    with pytest.raises(SourceError, match="broken.car"):
        ingest_path(store, broken, fmt="bluesky")
    assert _totals(store) == before


def test_car_without_a_commit_root_is_an_error(store: Store, tmp_path: Path) -> None:
    data = make_car.build_car(OWN, {})
    prefix = b"\x01\x71\x12\x20"  # CIDv1 dag-cbor sha-256: the first one is the header's root
    root = data[data.index(prefix):][:36]
    path = tmp_path / "odd.car"
    path.write_bytes(data.replace(root, prefix + bytes(32), 1))  # a root that is not among the blocks
    with pytest.raises(SourceError, match="not a repository export"):
        ingest_path(store, path)


# -- saved API JSON ---------------------------------------------------------------------------
def test_notifications_import_inbound_interactions(store: Store) -> None:
    summary = ingest_path(store, FIXTURES / "notifications.json")
    assert summary.status == "ok"
    # 7 notifications: the starter-pack join is not a touchpoint and is skipped.
    assert summary.new_interactions == {"like": 1, "repost": 1, "follow": 1, "mention": 1, "reply": 1, "quote": 1}
    assert count(store, "SELECT count(*) FROM interactions WHERE direction <> 'in' OR account <> ?", [OWN]) == 0
    assert store.con.execute("SELECT text, in_reply_to FROM interactions WHERE kind = 'reply'").fetchone() == (
        "Will you have oat milk?", f"at://{OWN}/app.bsky.feed.post/3kaaaaaaaaa2a")
    assert store.con.execute(
        "SELECT display_name, username, url FROM identities WHERE handle = ?", [make_car.BEA]).fetchone() == (
        "Bea Lindqvist", "bea.example.com", f"https://bsky.app/profile/{make_car.BEA}")
    assert store.con.execute("SELECT ts::VARCHAR FROM interactions WHERE kind = 'like'").fetchone() == (
        "2024-03-01 09:10:00+00",)  # the record's createdAt


def test_chat_needs_the_own_account(store: Store) -> None:
    with pytest.raises(SourceError, match="pass --account"):
        ingest_path(store, FIXTURES / "messages.json")
    with pytest.raises(SourceError, match="not a DID"):
        ingest_path(store, FIXTURES / "messages.json", account="harbor.example.com")
    summary = ingest_path(store, FIXTURES / "messages.json", account=OWN)
    assert summary.new_interactions == {"dm": 4}
    assert store.con.execute(
        "SELECT direction, handle, text IS NULL FROM interactions ORDER BY ts").fetchall() == [
        ("in", make_car.BEA, False), ("out", make_car.BEA, True),  # a deleted message: sent, no text
        ("in", make_car.BEA, False), ("out", make_car.BEA, False)]


def test_author_feed_imports_own_posts_and_reposts(store: Store) -> None:
    summary = ingest_path(store, FIXTURES / "author_feed.json")
    assert summary.new_interactions == {"repost": 2, "reply": 1, "mention": 1}
    assert _kinds(store, "posts") == {"post": 2, "reply": 1, "repost": 1}  # eve's repost has no record uri
    assert store.con.execute("SELECT likes, reposts, replies FROM posts WHERE post_id LIKE '%3kaaaaaaaam2a'"
                             ).fetchone() == (4, 1, 0)
    assert store.con.execute("SELECT display_name FROM identities WHERE handle = ?", [make_car.CAL]).fetchone() == (
        "Cal Rivera",)
    assert store.con.execute("SELECT handle, display_name FROM accounts").fetchall() == [(OWN, "Harbor Coffee")]


def test_whole_export_folder_dedupes_across_files(store: Store) -> None:
    summary = ingest_path(store, FIXTURES)  # the CAR tells the own DID, so the chat file needs no --account
    assert summary.status == "ok"
    assert _kinds(store, where="direction = 'out'") == {**CAR_KINDS, "repost": 3, "dm": 2}
    assert _kinds(store, where="direction = 'in'") == {
        "like": 1, "repost": 1, "follow": 1, "mention": 1, "reply": 1, "quote": 1, "dm": 2}
    assert _kinds(store, "posts") == {"post": 3, "reply": 3, "quote": 1, "repost": 2}


def test_malformed_items_and_files(store: Store, tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "notifications.json").read_text())
    data["notifications"][0]["reason"] = "telepathy"
    data["notifications"][1]["record"]["createdAt"] = "later"
    data["notifications"][1]["indexedAt"] = None
    del data["notifications"][2]["author"]
    (tmp_path / "notifications.json").write_text(json.dumps(data))
    summary = ingest_path(store, tmp_path / "notifications.json")
    assert summary.rejected == 3 and summary.new_interactions == {"mention": 1, "reply": 1, "quote": 1}
    assert sorted(r.reason for r in summary.rejects) == [
        "no author DID or uri", "unknown notification reason 'telepathy'", "unreadable timestamp 'later'"]

    before = _totals(store)
    text = (FIXTURES / "notifications.json").read_text()
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    with pytest.raises(SourceError, match="malformed JSON"):
        ingest_path(store, tmp_path / "cut.json", fmt="bluesky")
    assert _totals(store) == before


# -- the shared real samples ----------------------------------------------------------------------
CAR_STEPS = {  # file -> (posts by kind, interactions by kind, display name)
    "msttest-01-new.car": ({}, {}, None),
    "msttest-02-login.car": ({}, {}, None),
    "msttest-03-setprofile.car": ({}, {}, "msttest"),
    "msttest-04-firstpost.car": ({"post": 1}, {}, "msttest"),
    "msttest-05-firstlike.car": ({"post": 1}, {"like": 1}, "msttest"),
    "msttest-06-reply.car": ({"post": 1, "reply": 1}, {"like": 1}, "msttest"),  # a reply to itself
    "msttest-07-handlechange.car": ({"post": 1, "reply": 1}, {"like": 1}, "msttest"),
}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(CAR_STEPS))
def test_real_cars(store: Store, shared_data: Path, name: str) -> None:
    posts, kinds, display = CAR_STEPS[name]
    summary = ingest_path(store, shared_data / "exports" / "bluesky" / "dnproto-car-repos" / name)
    assert summary.format == "bluesky" and summary.status == "ok"
    assert _kinds(store, "posts") == posts and summary.new_interactions == kinds
    assert store.con.execute("SELECT handle, display_name FROM accounts").fetchall() == [
        ("did:plc:tyme6enconikdp7rnxkywdcg", display)]


def _cassette(shared_data: Path, name: str, tmp_path: Path, index: int = 0) -> Path:
    """The raw XRPC JSON body of one recorded response, as a user would save it."""
    yaml = pytest.importorskip("yaml")
    path = shared_data / "exports" / "bluesky" / "bskyr-vcr-cassettes" / f"{name}.yml"
    interaction = yaml.safe_load(path.read_text())["http_interactions"][index]
    target = tmp_path / f"{name}.json"
    target.write_text(interaction["response"]["body"]["string"])
    return target


@pytest.mark.shared_data
def test_real_notifications(store: Store, shared_data: Path, tmp_path: Path) -> None:
    summary = ingest_path(store, _cassette(shared_data, "n_notifications", tmp_path))
    # 50 notifications, counted by reason in the JSON: 17 follow, 13 like, 11 mention, 7 quote, 2 repost.
    assert summary.status == "ok" and summary.rows_read == 50
    assert summary.new_interactions == {"follow": 17, "like": 13, "mention": 11, "quote": 7, "repost": 2}
    assert store.con.execute("SELECT DISTINCT account, direction FROM interactions").fetchall() == [
        ("did:plc:5c2r73erhng4bszmxlfdtscf", "in")]  # the DID all reasonSubjects point at
    assert summary.new_people == 28  # 28 distinct authors


@pytest.mark.shared_data
def test_real_chat(store: Store, shared_data: Path, tmp_path: Path) -> None:
    messages = _cassette(shared_data, "c_messages", tmp_path)
    with pytest.raises(SourceError, match="pass --account"):
        ingest_path(store, messages)
    own = json.loads(_cassette(shared_data, "repo_auth_direct", tmp_path).read_text())["did"]
    summary = ingest_path(store, messages, account=own)
    # 4 messages: 2 sent by the logged-in account, 2 by the one other member.
    assert summary.new_interactions == {"dm": 4}
    assert store.con.execute("SELECT direction, count(DISTINCT handle), count(*) FROM interactions GROUP BY 1 "
                             "ORDER BY 1").fetchall() == [("in", 1, 2), ("out", 1, 2)]


@pytest.mark.shared_data
def test_real_author_feed_and_records(store: Store, shared_data: Path, tmp_path: Path) -> None:
    summary = ingest_path(store, _cassette(shared_data, "f_autfeed", tmp_path))
    # 50 feed items: 43 own posts (12 posts, 7 quotes, 24 replies of which 1 to itself) and
    # 7 reposts of others' posts (an older API: no repost record uri, so no repost post).
    assert _kinds(store, "posts") == {"post": 12, "quote": 7, "reply": 24}
    assert summary.new_interactions == {"reply": 23, "quote": 6, "mention": 4, "repost": 7}
    assert count(store, "SELECT count(*) FROM posts WHERE likes IS NULL") == 0
    # listRecords of the same repo: 50 post records (15 posts, 8 quotes, 27 replies), a superset
    # of the feed's 43: only the 7 others and their interactions are new (the same at:// ids).
    records = ingest_path(store, _cassette(shared_data, "r_listrcd", tmp_path))
    assert records.format == "bluesky" and records.new_posts == 7
    assert records.new_interactions == {"reply": 2, "mention": 2, "quote": 1}
    assert _kinds(store, "posts") == {"post": 15, "quote": 8, "reply": 27}
    assert count(store, "SELECT count(DISTINCT account) FROM posts") == 1


def test_unread_api_responses_in_a_folder_are_reported(store: Store, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "notifications.json", tmp_path)
    (tmp_path / "followers.json").write_text(json.dumps(
        {"subject": {"did": OWN, "handle": "harbor.example.com"}, "followers": [{"did": make_car.BEA}]}))
    summary = ingest_path(store, tmp_path)
    assert summary.format == "bluesky" and summary.total_new == 6
    assert [(Path(r.file).name, r.record) for r in summary.rejects] == [("followers.json", "whole file")]


def test_the_parser_alone_reads_the_fixture() -> None:
    """bluesky.read() on repo.car, with no store: what it yields, and the like record made by make_car.py."""
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction
    from tiescale.sources import bluesky

    records = parsed(bluesky, FIXTURES / "repo.car")
    assert record_counts(records) == {
        "AccountInfo": 2, "PersonInfo": 3, "post/post": 2, "post/reply": 3, "post/quote": 1, "post/repost": 1,
        "like/out": 1, "mention/out": 2, "reply/out": 2, "quote/out": 2, "repost/out": 1, "follow/out": 2,
    }
    like = next(r for r in records if isinstance(r, Interaction) and r.kind == "like")
    assert like.account == OWN
    assert like.person == "did:plc:bea2kx7qwz5mnv3rt6yp4ucd" and like.direction == "out"
    assert like.in_reply_to == "at://did:plc:bea2kx7qwz5mnv3rt6yp4ucd/app.bsky.feed.post/3kbbbbbbbbb2a"
    assert like.ts == datetime(2024, 3, 6, 14, 0, tzinfo=timezone.utc)
