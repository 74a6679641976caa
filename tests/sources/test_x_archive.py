"""The X archive importer, end to end into a real DuckDB store.

Fixtures under tests/fixtures/x-archive/ are synthetic archives in Twitter's own file layout
(invented people). The shared real sample is used when ../shared/data is present; its message
texts are never printed: every assertion on it compares counts only.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

from tests.conftest import count
from tiescale import SourceError, Store, ingest_path
from tiescale.sources import ExportFiles, ReadOptions, x_archive
from tiescale.store.import_formats import detect_format as detect

OWNER = "1200000001"
ADA, BO, CLEO, DEV, EMI, FINN, GUS, HANA = (f"210000000{i}" for i in range(1, 9))
BASIC_INTERACTIONS = {"reply": 3, "mention": 3, "repost": 1, "quote": 2, "dm": 10, "like": 2}
BASIC_REJECTS = {  # rejected (a gap in the data) and skipped (read fine, nobody to attribute it to)
    ("tweets.js", "tweet 1700000000000000003"): "quote of @some_stranger",
    ("direct-messages-group.js", "message 1697000000000000001"): "group message whose other participants",
    ("like.js", "like 1690000000000000005"): "like without a known author",
}
BASIC_SKIPPED = {("tweets.js", "tweet 1700000000000000003"), ("like.js", "like 1690000000000000005")}


@pytest.fixture
def archive(fixtures: Path) -> Path:
    return fixtures / "x-archive" / "archive"


@pytest.fixture
def work_copy(archive: Path, tmp_path: Path) -> Path:
    """A writable copy of the fixture archive, for the tests that alter it."""
    return Path(shutil.copytree(archive, tmp_path / "copy"))


# -- helpers ------------------------------------------------------------------------------------------
def zip_folder(src: Path, dest: Path, top: str = "") -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            archive.write(path, (top + "/" if top else "") + path.relative_to(src).as_posix())
    return dest


def edit_ytd(path: Path, change: Callable[[Any], Any]) -> None:
    """Rewrite one archive file: its JSON value goes through ``change``, the JS prefix stays."""
    text = path.read_text(encoding="utf-8")
    prefix, _, body = text.partition("= ")
    value = change(json.loads(body))
    path.write_text(prefix + "= " + json.dumps(value, indent=2, separators=(",", " : ")), encoding="utf-8")


def tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an import writes, without import ids and timestamps of the import itself."""
    queries = {
        "interactions": "SELECT platform, account, handle, ts, direction, kind, item_id, text, in_reply_to, thread, "
                        "dedupe_key FROM interactions",
        "posts": "SELECT platform, account, post_id, ts, kind, text, in_reply_to, thread, url, likes, reposts "
                 "FROM posts",
        "snapshots": "SELECT platform, account, relation, snapshot_at, person FROM follower_snapshots",
        "identities": "SELECT platform, handle, display_name, username FROM identities",
        "accounts": "SELECT platform, handle, display_name, account_id FROM accounts",
    }
    return {name: sorted(store.con.execute(sql).fetchall(), key=repr) for name, sql in queries.items()}


def kinds(store: Store) -> dict[str, int]:
    return dict(store.con.execute("SELECT kind, count(*) FROM interactions GROUP BY kind").fetchall())


def post_kinds(store: Store) -> dict[str, int]:
    return dict(store.con.execute("SELECT kind, count(*) FROM posts GROUP BY kind").fetchall())


def reject_keys(summary: Any) -> dict[tuple[str, str], str]:
    return {(Path(r.file.split(":")[-1]).name, r.record): r.reason for r in [*summary.rejects, *summary.skips]}


def assert_basic_rejects(summary: Any) -> None:
    found = reject_keys(summary)
    assert set(found) == set(BASIC_REJECTS)
    skipped = {(Path(r.file.split(":")[-1]).name, r.record) for r in summary.skips}
    assert skipped == BASIC_SKIPPED
    for key, reason in BASIC_REJECTS.items():
        assert found[key].startswith(reason)


# -- the fixture archive --------------------------------------------------------------------------------
def test_fixture_archive_imports_with_exact_counts(store: Store, archive: Path) -> None:
    summary = ingest_path(store, archive)
    assert summary.format == "x-archive"
    assert summary.status == "partial"
    assert summary.new_interactions == BASIC_INTERACTIONS
    assert summary.new_posts == 10
    assert (summary.rejected, summary.skipped) == (1, 2)
    assert_basic_rejects(summary)
    assert summary.rows_read == 10 + 21 + 3 + 6  # posts, interactions, rejects, follow edges
    assert post_kinds(store) == {"post": 2, "reply": 4, "repost": 1, "quote": 3}
    assert count(store, "SELECT count(*) FROM posts WHERE post_id = '1700000000000000011'") == 0  # a later edit
    assert store.con.execute("SELECT * FROM accounts").fetchall()[0][:4] == ("x", OWNER, "Harbour Coffee Co", OWNER)
    assert count(store, "SELECT count(DISTINCT account) FROM interactions") == 1


def test_fixture_interactions_are_attributed_as_the_archive_says(store: Store, archive: Path) -> None:
    ingest_path(store, archive)
    rows = store.con.execute(
        "SELECT handle, direction, kind, item_id, in_reply_to, thread FROM interactions "
        "WHERE kind IN ('reply', 'mention', 'repost', 'quote', 'like') ORDER BY kind, handle, item_id"
    ).fetchall()
    assert rows == [
        (ADA, "out", "like", "1690000000000000001", None, None),  # author known from our reply to it
        (CLEO, "out", "like", "1690000000000000004", None, None),  # author named in the URL
        (BO, "out", "mention", "1700000000000000009", "1690000000000000001", "1690000000000000001"),
        (CLEO, "out", "mention", "1700000000000000007", None, None),
        (DEV, "out", "mention", "1700000000000000007", None, None),
        (ADA, "out", "quote", "1700000000000000005", "1690000000000000002", None),  # @name resolved by mentions
        (BO, "out", "quote", "1700000000000000004", "1690000000000000003", None),  # not also a mention
        (ADA, "out", "reply", "1700000000000000009", "1690000000000000001", "1690000000000000001"),
        (DEV, "out", "reply", "1700000000000000002", None, None),
        (EMI, "out", "reply", "1600000000000000001", "1590000000000000001", "1590000000000000001"),
        (EMI, "out", "repost", "1700000000000000006", None, None),
    ]
    assert count(store, "SELECT count(*) FROM interactions WHERE kind = 'like' AND ts IS NOT NULL") == 0
    reply_ts = store.con.execute("SELECT ts FROM interactions WHERE item_id = '1700000000000000009' LIMIT 1")
    reply_ts = reply_ts.fetchone()[0]
    assert reply_ts == datetime(2023, 8, 24, 16, 2, 10, tzinfo=timezone.utc)
    text = store.con.execute(
        "SELECT text, likes, reposts, url FROM posts WHERE post_id = '1700000000000000010'").fetchone()
    assert text == ("Fresh beans from Huila today & oat milk is back", 12, 3,
                    "https://x.com/harbourcoffee/status/1700000000000000010")


def test_fixture_direct_messages(store: Store, archive: Path) -> None:
    ingest_path(store, archive)
    rows = store.con.execute(
        "SELECT direction, handle, count(*) FROM interactions WHERE kind = 'dm' GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert rows == [("in", ADA, 1), ("in", FINN, 2), ("in", GUS, 1), ("out", ADA, 1), ("out", BO, 1),
                    ("out", CLEO, 1), ("out", EMI, 1), ("out", FINN, 1), ("out", GUS, 1)]
    group_out = store.con.execute(
        "SELECT list(handle ORDER BY handle), any_value(thread) FROM interactions WHERE item_id = '1696000000000000002'"
    ).fetchone()
    assert group_out == ([BO, CLEO, EMI, GUS], "1696000000000000000")
    text = store.con.execute("SELECT text FROM interactions WHERE item_id = '1695000000000000002'").fetchone()[0]
    assert text == "We can roast 5 kg for you by Friday & deliver"


def test_fixture_people_and_follow_lists(store: Store, archive: Path) -> None:
    ingest_path(store, archive)
    people = {h: (u, n) for h, n, u in store.con.execute(
        "SELECT handle, display_name, username FROM identities").fetchall()}
    assert set(people) == {ADA, BO, CLEO, DEV, EMI, FINN, GUS, HANA}
    assert people[ADA] == ("ada_lindqvist", "Ada Lindqvist")
    assert people[FINN] == (None, None)  # known from DMs only, which give ids
    snapshots = store.con.execute(
        "SELECT relation, snapshot_at, list(person ORDER BY person) FROM follower_snapshots GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    generated = datetime(2023, 9, 1, 10, 0, tzinfo=timezone.utc)
    assert snapshots == [("follower", generated, [ADA, BO, CLEO, HANA]), ("following", generated, [ADA, EMI])]


# -- idempotency, containers ---------------------------------------------------------------------------
def test_second_import_adds_nothing(store: Store, archive: Path, tmp_path: Path) -> None:
    ingest_path(store, archive)
    before = tables(store)
    assert ingest_path(store, archive).status == "unchanged"
    again = ingest_path(store, zip_folder(archive, tmp_path / "same.zip"))  # other bytes, same content
    assert again.total_new == 0 and again.new_posts == 0 and again.new_people == 0
    assert again.duplicates == sum(BASIC_INTERACTIONS.values())
    assert tables(store) == before


def test_zip_and_folder_give_the_same_store(tmp_path: Path, archive: Path) -> None:
    results = []
    for name, path in (("folder", archive), ("zip", zip_folder(archive, tmp_path / "archive.zip")),
                       ("nested", zip_folder(archive, tmp_path / "nested.zip", top="twitter-2023-09-01-a1b2c3"))):
        with Store(tmp_path / f"{name}.duckdb") as store:
            summary = ingest_path(store, path)
            assert summary.format == "x-archive"
            assert (summary.new_interactions, summary.new_posts) == (BASIC_INTERACTIONS, 10)
            assert_basic_rejects(summary)
            results.append(tables(store))
    assert results[0] == results[1] == results[2]


def test_detect_recognises_folder_and_zip_and_nothing_else(tmp_path: Path, archive: Path, fixtures: Path) -> None:
    for path in (archive, archive / "data", fixtures / "x-archive" / "follower-snapshots",
                 zip_folder(archive, tmp_path / "a.zip", top="twitter-2023-09-01-a1b2c3")):
        with ExportFiles(path) as files:
            assert detect(files) == "x-archive"
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "tweets.js").write_text("console.log('not an archive')\n")
    with ExportFiles(fake) as files:
        assert not x_archive.detect(files)


def test_a_newer_overlapping_export_adds_only_what_is_new(store: Store, archive: Path, work_copy: Path) -> None:
    ingest_path(store, archive)
    data = work_copy / "data"
    new_reply = {"tweet": {"id_str": "1710000000000000001", "created_at": "Mon Sep 04 09:00:00 +0000 2023",
                           "full_text": "@cleo_ramos the mural looks great",
                           "favorite_count": "1", "retweet_count": "0",
                           "in_reply_to_status_id_str": "1690000000000000004", "in_reply_to_user_id_str": CLEO,
                           "in_reply_to_screen_name": "cleo_ramos",
                           "entities": {"user_mentions": [{"screen_name": "cleo_ramos", "name": "Cleo Ramos",
                                                           "id_str": CLEO, "indices": ["0", "11"]}], "urls": []}}}
    edit_ytd(data / "tweets.js", lambda items: [new_reply] + items)
    new_dm = {"messageCreate": {"recipientId": OWNER, "reactions": [], "urls": [], "text": "Friday works",
                                "mediaUrls": [], "senderId": FINN, "id": "1711000000000000001",
                                "createdAt": "2023-09-05T08:00:00.000Z"}}

    def add_dm(conversations: list[Any]) -> list[Any]:
        conversations[0]["dmConversation"]["messages"].insert(0, new_dm)
        return conversations
    edit_ytd(data / "direct-messages.js", add_dm)
    def follower(person: str) -> dict[str, Any]:
        return {"follower": {"accountId": person, "userLink": f"https://twitter.com/intent/user?user_id={person}"}}
    edit_ytd(data / "follower.js", lambda _: [follower(p) for p in (ADA, BO, CLEO, DEV)])  # Hana left, Dev came
    manifest = data / "manifest.js"
    manifest.write_text(manifest.read_text().replace("2023-09-01T10:00:00.000Z", "2023-10-01T10:00:00.000Z"))

    summary = ingest_path(store, work_copy)
    assert summary.new_interactions == {"reply": 1, "dm": 1, "follow": 1, "unfollow": 1}
    assert summary.new_posts == 1
    assert summary.duplicates == sum(BASIC_INTERACTIONS.values())
    events = store.con.execute(
        "SELECT kind, direction, handle, ts FROM interactions WHERE kind IN ('follow', 'unfollow') ORDER BY kind"
    ).fetchall()
    at = datetime(2023, 10, 1, 10, 0, tzinfo=timezone.utc)
    assert events == [("follow", "in", DEV, at), ("unfollow", "in", HANA, at)]


# -- what the archive holds in older or thinner shapes ------------------------------------------------
def test_old_layout_tweet_js_with_parts_and_singular_dm_file(store: Store, fixtures: Path) -> None:
    summary = ingest_path(store, fixtures / "x-archive" / "old-layout")
    assert summary.status == "ok"
    assert summary.new_interactions == {"reply": 1, "mention": 1, "dm": 1}
    assert post_kinds(store) == {"reply": 1, "post": 1}
    assert store.con.execute("SELECT handle, direction FROM interactions WHERE kind = 'dm'").fetchall() == [(BO, "out")]


def test_owner_found_from_tweet_headers_then_from_dms(tmp_path: Path, work_copy: Path) -> None:
    data = work_copy / "data"
    (data / "account.js").unlink()
    (data / "manifest.js").unlink()
    with Store(tmp_path / "headers.duckdb") as store:
        summary = ingest_path(store, work_copy)
        assert summary.new_interactions == BASIC_INTERACTIONS
        assert store.con.execute("SELECT DISTINCT account FROM interactions").fetchall() == [(OWNER,)]
        # Without the manifest, nothing in the export dates the follower list but the file itself.
        mtime = datetime.fromtimestamp(os.stat(data / "follower.js").st_mtime, tz=timezone.utc)
        at = store.con.execute("SELECT DISTINCT snapshot_at FROM follower_snapshots WHERE relation = 'follower'")
        assert at.fetchall() == [(mtime,)]
    (data / "tweet-headers.js").unlink()
    with Store(tmp_path / "dms.duckdb") as store:
        assert ingest_path(store, work_copy).new_interactions == BASIC_INTERACTIONS
        assert store.con.execute("SELECT DISTINCT account FROM interactions").fetchall() == [(OWNER,)]


def test_the_export_names_the_account_over_the_option(store: Store, archive: Path) -> None:
    ingest_path(store, archive, account="999")
    assert store.con.execute("SELECT DISTINCT account FROM interactions").fetchall() == [(OWNER,)]


def test_follower_snapshots_need_a_numeric_account(store: Store, fixtures: Path) -> None:
    folder = fixtures / "x-archive" / "follower-snapshots"
    with pytest.raises(SourceError, match="cannot tell the own account; pass --account"):
        ingest_path(store, folder)
    with pytest.raises(SourceError, match="not a numeric X account id"):
        ingest_path(store, folder, account="@harbourcoffee")
    assert count(store, "SELECT count(*) FROM imports") == 0
    summary = ingest_path(store, folder, account=OWNER)
    assert summary.new_interactions == {"follow": 4, "unfollow": 2}
    sizes = store.con.execute(
        "SELECT relation, snapshot_at::DATE::VARCHAR, count(*) FROM follower_snapshots GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert sizes == [("follower", "2022-01-10", 2), ("follower", "2022-06-15", 4), ("follower", "2023-02-01", 4),
                     ("following", "2022-01-10", 1), ("following", "2022-06-15", 2), ("following", "2023-02-01", 1)]
    events = store.con.execute(
        "SELECT ts::DATE::VARCHAR, direction, kind, handle FROM interactions ORDER BY ALL").fetchall()
    assert events == [
        ("2022-06-15", "in", "follow", CLEO), ("2022-06-15", "in", "follow", DEV), ("2022-06-15", "out", "follow", EMI),
        ("2023-02-01", "in", "follow", HANA), ("2023-02-01", "in", "unfollow", ADA),
        ("2023-02-01", "out", "unfollow", ADA),
    ]


# -- malformed input ------------------------------------------------------------------------------------
def test_a_malformed_tweet_is_rejected_and_the_rest_imports(store: Store, work_copy: Path) -> None:
    def spoil(items: list[Any]) -> list[Any]:
        items[3]["tweet"]["created_at"] = "sometime last week"  # the self-reply 1700000000000000008
        items[9]["tweet"].pop("id_str")  # the reply to Dev, 1700000000000000002
        items[9]["tweet"].pop("id")
        return items + ["not a tweet"]
    edit_ytd(work_copy / "data" / "tweets.js", spoil)
    summary = ingest_path(store, work_copy)
    found = reject_keys(summary)
    assert found[("tweets.js", "tweet 1700000000000000008")].startswith("unreadable timestamp 'sometime last week'")
    assert found[("tweets.js", "item 10")] == "tweet without an id_str"
    assert found[("tweets.js", "item 11")] == "not a tweet object"
    assert summary.rejected == 1 + 3
    assert summary.status == "partial"
    assert summary.new_posts == 10 - 2
    assert summary.new_interactions == {**BASIC_INTERACTIONS, "reply": 2}


def test_a_truncated_tweets_js_is_a_source_error_and_changes_nothing(store: Store, work_copy: Path,
                                                                       fixtures: Path) -> None:
    ingest_path(store, fixtures / "x-archive" / "old-layout")
    before = tables(store), count(store, "SELECT count(*) FROM imports")
    tweets = work_copy / "data" / "tweets.js"
    tweets.write_bytes(tweets.read_bytes()[: tweets.stat().st_size // 2])
    with pytest.raises(SourceError) as caught:
        ingest_path(store, work_copy)
    assert caught.value.file.endswith("tweets.js")
    assert caught.value.reason.startswith("malformed JSON")
    assert re.fullmatch(r"line \d+", caught.value.record or "")
    assert (tables(store), count(store, "SELECT count(*) FROM imports")) == before


def test_a_file_without_the_window_ytd_prefix_is_a_source_error(store: Store, work_copy: Path) -> None:
    likes = work_copy / "data" / "like.js"
    likes.write_text(likes.read_text().partition("= ")[2])
    with pytest.raises(SourceError, match=r"like\.js, line 1: not an X archive data file"):
        ingest_path(store, work_copy)
    assert count(store, "SELECT count(*) FROM interactions") == 0


def test_bad_bytes_are_a_clear_source_error(store: Store, work_copy: Path) -> None:
    dms = work_copy / "data" / "direct-messages.js"
    dms.write_bytes(dms.read_bytes().replace(b"Perfect", b"Perf\xffct"))
    with pytest.raises(SourceError, match=r"direct-messages\.js, line \d+: bytes that are not UTF-8"):
        ingest_path(store, work_copy)
    assert count(store, "SELECT count(*) FROM posts") == 0


def test_a_damaged_zip_member_is_a_source_error(store: Store, archive: Path, tmp_path: Path) -> None:
    packed = zip_folder(archive, tmp_path / "archive.zip")
    with zipfile.ZipFile(packed) as archive_zip:
        info = archive_zip.getinfo("data/tweets.js")
    data = bytearray(packed.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF  # inside the compressed bytes
    packed.write_bytes(bytes(data))
    with pytest.raises(SourceError, match=r"archive\.zip:data/tweets\.js: damaged zip member"):
        ingest_path(store, packed)
    assert count(store, "SELECT count(*) FROM imports") == 0


def test_check_refuses_what_is_not_an_x_archive(store: Store, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("ts,account,person,direction,kind\n2024-01-01T00:00:00Z,me,you,in,dm\n")
    with pytest.raises(SourceError, match="not an X archive"):
        ingest_path(store, events, fmt="x-archive")
    with pytest.raises(SourceError, match="not an X archive"), ExportFiles(events) as files:
        x_archive.check(files)


def test_reading_is_pure_and_streams_records(archive: Path) -> None:
    with ExportFiles(archive) as files:
        records = list(x_archive.read(files, ReadOptions()))
    names = {type(r).__name__ for r in records}
    assert names == {"AccountInfo", "Post", "Interaction", "PersonInfo", "FollowEdge", "Rejected", "Skipped"}


# -- the shared real sample ---------------------------------------------------------------------------
def _sample_counts(data: Path) -> dict[str, int]:
    """Counts straight from the shared files; only numbers leave this function (no text is shown)."""
    def items(name: str) -> list[Any]:
        text = (data / name).read_text(encoding="utf-8")
        return list(json.loads(text[text.index("=") + 1:]))
    tweets = [item["tweet"] for item in items("tweet.js")]
    conversations = [item["dmConversation"] for item in items("direct-messages.js")]
    return {
        "tweets": len(tweets),
        "with reply @name": sum(1 for t in tweets if t.get("in_reply_to_screen_name")),
        "with reply target": sum(1 for t in tweets if t.get("in_reply_to_user_id_str")
                                 or t.get("in_reply_to_status_id_str")),
        "conversations": len(conversations),
        "messages": sum(len(c["messages"]) for c in conversations),
        "likes": len(items("like.js")),
    }


@pytest.mark.shared_data
def test_shared_sample_counts(store: Store, shared_data: Path) -> None:
    data = shared_data / "exports" / "x-archive" / "data"
    # What SOURCE.txt describes, checked against the files: its 1,377 "replies" are the tweets that
    # name a replied-to @name; 1,406 tweets have a reply target (29 name no @name: deleted accounts).
    assert _sample_counts(data) == {"tweets": 1827, "with reply @name": 1377, "with reply target": 1406,
                                    "conversations": 72, "messages": 900, "likes": 12}
    with ExportFiles(data) as files:  # account.js was dropped from the sample; manifest.js names the owner
        owner = next(x_archive.read(files, ReadOptions()))
    assert (owner.handle, owner.display_name) == ("3128746474", "Lars Brinkhoff")

    summary = ingest_path(store, data, account="3128746474")
    assert summary.new_posts == 1827
    assert post_kinds(store) == {"post": 332, "reply": 1406, "quote": 75, "repost": 14}
    assert summary.new_interactions == {"reply": 1003, "mention": 981, "quote": 43, "repost": 14, "dm": 904, "like": 4}
    dm = dict(store.con.execute(
        "SELECT direction, count(*) FROM interactions WHERE kind = 'dm' GROUP BY ALL").fetchall())
    assert dm == {"in": 488, "out": 416}  # 900 one-to-one messages and 4 received in group chats
    assert count(store, "SELECT count(DISTINCT thread) FROM interactions WHERE kind = 'dm'") == 72 + 4
    reasons = [r.reason.split(":")[0] for r in summary.skips]
    assert (summary.rejected, summary.skipped, summary.status) == (0, 36, "ok")
    assert reasons.count("like without a known author") == 8  # 12 likes: 4 by authors we replied to
    assert sum(1 for r in reasons if r.startswith("quote of @")) == 28
    assert store.con.execute("SELECT handle, account_id FROM accounts").fetchall() == [("3128746474", "3128746474")]
    snapshots = store.con.execute(
        "SELECT relation, snapshot_at, count(*) FROM follower_snapshots GROUP BY ALL ORDER BY ALL").fetchall()
    at = datetime(2023, 8, 20, 11, 6, 14, 174000, tzinfo=timezone.utc)
    assert snapshots == [("follower", at, 764), ("following", at, 79)]


@pytest.mark.shared_data
def test_shared_sample_follower_snapshots(store: Store, shared_data: Path) -> None:
    summary = ingest_path(store, shared_data / "exports" / "x-archive" / "follower-snapshots", account="3128746474")
    assert summary.status == "ok"
    sizes = store.con.execute(
        "SELECT relation, snapshot_at::DATE::VARCHAR, count(*) FROM follower_snapshots GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert [n for rel, _, n in sizes if rel == "follower"] == [405, 561, 644, 764]
    assert [n for rel, _, n in sizes if rel == "following"] == [59, 75, 81, 79]
    assert [d for rel, d, _ in sizes if rel == "follower"] == ["2021-03-22", "2022-04-29", "2022-10-30", "2023-08-20"]
    events = store.con.execute(
        "SELECT direction, ts::DATE::VARCHAR, kind, count(*) FROM interactions GROUP BY ALL ORDER BY ALL").fetchall()
    assert [e for e in events if e[0] == "in"] == [
        ("in", "2022-04-29", "follow", 173), ("in", "2022-04-29", "unfollow", 17),
        ("in", "2022-10-30", "follow", 94), ("in", "2022-10-30", "unfollow", 11),
        ("in", "2023-08-20", "follow", 173), ("in", "2023-08-20", "unfollow", 53),
    ]
    assert summary.new_interactions == {"follow": 471, "unfollow": 92}
    # Each snapshot is the one before, plus who came, less who left.
    by_day = {d: n for rel, d, n in sizes if rel == "follower"}
    days = sorted(by_day)
    flows = {(d, k): n for direction, d, k, n in events if direction == "in"}
    for before, after in itertools.pairwise(days):
        assert by_day[before] + flows[(after, "follow")] - flows[(after, "unfollow")] == by_day[after]


def test_the_parser_alone_reads_the_fixture() -> None:
    """x_archive.read() on the fixture, with no store: what it yields, and one reply as the file has it."""
    from tests.conftest import FIXTURES
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction

    records = parsed(x_archive, FIXTURES / "x-archive" / "archive")
    assert record_counts(records) == {
        "AccountInfo": 1, "PersonInfo": 5, "FollowEdge": 6, "Skipped": 2, "Rejected": 1,
        "post/post": 2, "post/reply": 4, "post/repost": 1, "post/quote": 3,
        "reply/out": 3, "mention/out": 3, "repost/out": 1, "quote/out": 2, "dm/out": 6, "dm/in": 4, "like/out": 2,
    }
    reply = next(r for r in records if isinstance(r, Interaction) and r.id == "1600000000000000001")  # tweets-part1.js
    assert (reply.platform, reply.account, reply.person, reply.direction, reply.kind) == (
        "x", "1200000001", "2100000005", "out", "reply")
    assert reply.ts == datetime(2023, 1, 2, 9, 0, tzinfo=timezone.utc)
    assert reply.text == "@emi_kowalski happy new year to you too!"
    assert reply.in_reply_to == reply.thread == "1590000000000000001"
