"""The Reddit importer, end to end into a real DuckDB store.

Fixtures under tests/fixtures/reddit/ are written by hand with invented people:
``export/`` is a data-request export (CSV), ``listings/`` saved API Listing JSON (inbox, sent,
the account's comments and submissions), ``newer/`` a later inbox that overlaps ``listings/``.
The shared real sample is PRAW's recorded API responses (betamax cassettes): the tests take the
Listing bodies out of them into tmp_path. Their texts are never printed: only counts are compared.
"""
from __future__ import annotations

import base64
import collections
import gzip
import json
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest

from tiescale import SourceError, Store, ingest_path
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.sources import reddit
from tests.conftest import count

ACCOUNT = "tiescale_brand"
EXPORT_COUNTS = {("in", "dm"): 4, ("out", "dm"): 3}
LISTING_COUNTS = {("in", "reply"): 2, ("out", "reply"): 2, ("in", "mention"): 1, ("in", "dm"): 1, ("out", "dm"): 2}


@pytest.fixture
def export(fixtures: Path) -> Path:
    return fixtures / "reddit" / "export"


@pytest.fixture
def listings(fixtures: Path) -> Path:
    return fixtures / "reddit" / "listings"


# -- helpers ------------------------------------------------------------------------------------------
def by_kind(store: Store) -> dict[tuple[str, str], int]:
    rows = store.con.execute("SELECT direction, kind, count(*) FROM interactions GROUP BY ALL").fetchall()
    return {(d, k): n for d, k, n in rows}


def post_kinds(store: Store) -> dict[str, int]:
    return dict(store.con.execute("SELECT kind, count(*) FROM posts GROUP BY kind").fetchall())


def tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "interactions": "SELECT platform, account, handle, ts, direction, kind, item_id, text, in_reply_to, thread "
                        "FROM interactions",
        "posts": "SELECT platform, account, post_id, ts, kind, text, in_reply_to, thread, url, likes, replies "
                 "FROM posts",
        "identities": "SELECT platform, handle, url FROM identities",
        "accounts": "SELECT platform, handle, account_id FROM accounts",
    }
    return {name: sorted(store.con.execute(sql).fetchall(), key=repr) for name, sql in queries.items()}


def interaction(store: Store, item_id: str, person: str) -> dict[str, Any]:
    cur = store.con.execute("SELECT * RENAME (handle AS person) FROM interactions WHERE item_id = ? AND handle = ?", [item_id, person])
    names = [c[0] for c in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (item_id, person, len(rows))
    return dict(zip(names, rows[0]))


def post(store: Store, post_id: str) -> dict[str, Any]:
    cur = store.con.execute("SELECT * FROM posts WHERE post_id = ?", [post_id])
    names = [c[0] for c in cur.description]
    return dict(zip(names, cur.fetchone()))


def rejects(store: Store) -> list[tuple[str, str, str]]:
    return sorted(store.con.execute("SELECT file, record, reason FROM import_rejects").fetchall())


def listing(children: list[Any]) -> dict[str, Any]:
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": children}}


def cassette_bodies(cassette: Path) -> Iterator[bytes]:
    """Response bodies of a betamax cassette: plain strings, or base64 (and maybe gzip) bytes."""
    for interaction_ in json.loads(cassette.read_text(encoding="utf-8"))["interactions"]:
        body = interaction_["response"]["body"]
        if body.get("string"):
            raw = body["string"].encode("utf-8")
        elif body.get("base64_string"):
            raw = base64.b64decode(body["base64_string"])
        else:
            continue
        yield gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def is_listing(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(is_listing(v) for v in value)
    return isinstance(value, dict) and value.get("kind") == "Listing"


def extract_listings(cassette: Path, dest: Path) -> Path:
    """Write the Listing bodies of a cassette as page1.json, page2.json, ... (what a user saves)."""
    dest.mkdir(parents=True, exist_ok=True)
    pages = 0
    for raw in cassette_bodies(cassette):
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if is_listing(value):
            pages += 1
            (dest / f"page{pages}.json").write_bytes(raw)
    assert pages, f"no Listing body in {cassette.name}"
    return dest


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# -- detection and format check -----------------------------------------------------------------------
def test_both_inputs_are_detected_and_nothing_else(export: Path, listings: Path, fixtures: Path) -> None:
    for path in (export, listings, fixtures / "reddit" / "newer", listings / "inbox.json", export / "messages.csv"):
        with ExportFiles(path) as files:
            assert detect(files) == "reddit", path
    with ExportFiles(fixtures / "youtube" / "api") as files:
        assert not reddit.detect(files)


def test_a_wrong_format_is_refused_before_anything_is_written(store: Store, fixtures: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"\.json: not a Reddit API Listing"):
        ingest_path(store, fixtures / "youtube" / "api", fmt="reddit")
    with pytest.raises(SourceError, match="not a Reddit export"):
        ingest_path(store, fixtures / "youtube" / "takeout", fmt="reddit")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"interactions": [{"response": {"body": {"string": json.dumps(listing([]))}}}]}))
    with pytest.raises(SourceError, match="not a Reddit API Listing"):
        ingest_path(store, other, fmt="reddit")
    assert count(store, "SELECT count(*) FROM imports") == 0


# -- the data-request export ----------------------------------------------------------------------------
def test_export_imports_with_exact_counts(store: Store, export: Path) -> None:
    summary = ingest_path(store, export)
    assert summary.format == "reddit" and summary.status == "partial"
    assert by_kind(store) == EXPORT_COUNTS
    assert summary.duplicates == 1  # messages_archive.csv repeats one row of messages.csv
    assert summary.new_posts == 5
    assert post_kinds(store) == {"comment": 3, "post": 2}
    assert count(store, "SELECT count(*) FROM identities") == 4  # quill, ferngully, driftwood, maple
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [(ACCOUNT,)]  # from / to of every message
    reasons = collections.Counter(reason for _, _, reason in rejects(store))
    assert reasons == {"modmail with the moderators of r/espresso, not with a person": 1,
                       "group chat with 2 others, not a one-to-one message": 2}
    assert summary.rejected == 3

    top = post(store, "t1_kq1a2b3")
    assert top["in_reply_to"] == "t3_1ab2cd" and top["thread"] == "t3_1ab2cd"
    assert top["text"] == "Try a finer grind & a longer preinfusion."
    assert top["ts"] == utc(2024, 3, 2, 10, 15)
    assert post(store, "t1_kq4d5e6")["text"] == "Thanks, good question!\nWe use a flat burr grinder."
    assert post(store, "t1_kq4d5e6")["in_reply_to"] == "t1_kq3zzz9"
    assert post(store, "t1_kq7g8h9")["in_reply_to"] == "t1_kq6aaa1"  # a bare parent id
    assert post(store, "t3_1ef3gh")["text"] == "Spring launch"
    answer = interaction(store, "t4_2a1b2d", "quill_harbor")
    assert (answer["direction"], answer["thread"], answer["text"]) == ("out", "t4_2a1b1c", "Yes, it shipped today.")
    chat = interaction(store, "msg-0002", "maple_rowan")
    assert (chat["direction"], chat["kind"], chat["in_reply_to"]) == ("out", "dm", "msg-0001")
    # CSV comments never name the parent's author: they are Posts only.
    assert count(store, "SELECT count(*) FROM interactions WHERE kind = 'reply'") == 0


def test_export_as_a_zip_imports_the_same(store: Store, export: Path, tmp_path: Path) -> None:
    archive = tmp_path / "reddit_export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(export.iterdir()):
            zf.write(path, path.name)
    ingest_path(store, archive)
    assert by_kind(store) == EXPORT_COUNTS
    assert count(store, "SELECT count(*) FROM posts") == 5


def test_the_account_comes_from_statistics_or_the_flag(store: Store, export: Path, tmp_path: Path) -> None:
    only_content = tmp_path / "content"
    only_content.mkdir()
    for name in ("comments.csv", "posts.csv"):
        shutil.copy(export / name, only_content / name)
    with pytest.raises(SourceError, match="cannot tell the own account; pass --account"):
        ingest_path(store, only_content)
    summary = ingest_path(store, only_content, account=ACCOUNT)
    assert summary.new_posts == 5
    (only_content / "statistics.csv").write_text("statistic,value\naccount name,Brand_Two\nis_deleted,False\n")
    ingest_path(store, only_content)
    assert sorted(store.con.execute("SELECT handle FROM accounts").fetchall()) == [("Brand_Two",), (ACCOUNT,)]


# -- API listings -------------------------------------------------------------------------------------------
def test_listings_import_with_exact_counts(store: Store, listings: Path) -> None:
    summary = ingest_path(store, listings)
    assert by_kind(store) == LISTING_COUNTS
    assert summary.duplicates == 1  # sent.json repeats the reply nested in inbox.json
    assert summary.new_posts == 4
    assert post_kinds(store) == {"comment": 3, "post": 1}
    assert store.con.execute("SELECT handle, account_id FROM accounts").fetchall() == [(ACCOUNT, "t2_brand01")]
    assert sorted(h for (h,) in store.con.execute("SELECT handle FROM identities").fetchall()) == [
        "driftwood_kit", "ferngully_ops", "maple_rowan", "quill_harbor"]
    assert store.con.execute("SELECT url FROM identities WHERE handle = 'maple_rowan'").fetchone() == (
        "https://www.reddit.com/user/maple_rowan",)
    assert sorted((r, why) for _, r, why in rejects(store)) == [
        ("t1_kq8ddd4", "author deleted"),
        ("t4_2b0ccc", "modmail with the moderators of r/espresso, not with a person")]

    reply = interaction(store, "t1_kq3zzz9", "maple_rowan")
    assert (reply["direction"], reply["kind"]) == ("in", "reply")
    assert (reply["in_reply_to"], reply["thread"]) == ("t1_kq1a2b3", "t3_1ab2cd")
    assert reply["ts"] == utc(2024, 3, 2, 10, 40)
    mention = interaction(store, "t1_kq9ccc3", "driftwood_kit")
    assert (mention["kind"], mention["text"]) == ("mention", "Ask u/tiescale_brand, their Kenyan lot is great & fresh.")
    nested = interaction(store, "t4_2b0bbb", "ferngully_ops")
    assert (nested["direction"], nested["kind"], nested["thread"]) == ("out", "dm", "t4_2b0aaa")
    # Own comments: out/reply when the parent's author is known, else only the Post.
    assert interaction(store, "t1_kq5eee5", "driftwood_kit")["direction"] == "out"  # link_author of a top-level comment
    assert interaction(store, "t1_kq6fff6", "maple_rowan")["in_reply_to"] == "t1_kq3zzz9"  # parent in inbox.json
    assert count(store, "SELECT count(*) FROM interactions WHERE item_id = 't1_kq7ggg7'") == 0
    submission = post(store, "t3_1ab2cd")
    assert submission["text"] == "Grinder advice thread\n\nAsk us anything about grinders & burrs."
    assert (submission["likes"], submission["replies"]) == (42, 7)
    assert submission["url"] == "https://www.reddit.com/r/espresso/comments/1ab2cd/grinder_advice/"


def test_export_and_listings_together_name_the_parent_of_csv_comments(store: Store, export: Path, listings: Path,
                                                                       tmp_path: Path) -> None:
    both = tmp_path / "both"
    shutil.copytree(export, both)
    shutil.copytree(listings, both, dirs_exist_ok=True)
    summary = ingest_path(store, both)
    answer = interaction(store, "t1_kq4d5e6", "maple_rowan")  # CSV comment, parent known from inbox.json
    assert (answer["direction"], answer["kind"]) == ("out", "reply")
    expected = collections.Counter(EXPORT_COUNTS) + collections.Counter(LISTING_COUNTS)
    expected[("out", "reply")] += 1
    assert by_kind(store) == dict(expected)
    assert summary.new_posts == 8  # t3_1ab2cd is in posts.csv and in submitted.json


def test_a_second_import_adds_nothing(store: Store, listings: Path) -> None:
    ingest_path(store, listings)
    before = tables(store)
    again = ingest_path(store, listings)
    assert again.status == "unchanged" and again.total_new == 0
    reparsed = ingest_path(store, listings / "inbox.json")  # another file: parsed again, all duplicates
    assert reparsed.total_new == 0 and reparsed.new_posts == 0
    assert reparsed.duplicates == 5
    assert tables(store) == before


def test_a_newer_overlapping_inbox_adds_only_new_items(store: Store, listings: Path, fixtures: Path) -> None:
    ingest_path(store, listings)
    newer = ingest_path(store, fixtures / "reddit" / "newer")
    assert newer.new_interactions == {"reply": 1, "dm": 1}
    assert newer.duplicates == 2
    assert interaction(store, "t1_kqa0001", "quill_harbor")["kind"] == "reply"
    assert interaction(store, "t4_2b0fff", "maple_rowan")["direction"] == "in"


# -- bad input ----------------------------------------------------------------------------------------------
def test_malformed_items_are_rejected_and_the_rest_imports(store: Store, listings: Path, export: Path,
                                                           tmp_path: Path) -> None:
    work = Path(shutil.copytree(listings, tmp_path / "listings"))
    inbox = json.loads((work / "inbox.json").read_text())
    bad_time = json.loads(json.dumps(inbox["data"]["children"][0]))
    bad_time["data"].update(name="t1_kqbad01", id="kqbad01", created_utc="soon", created="soon")
    inbox["data"]["children"] += ["not an item", bad_time, {"kind": "t5", "data": {"name": "t5_2qh1i"}}]
    (work / "inbox.json").write_text(json.dumps(inbox))
    summary = ingest_path(store, work)
    assert by_kind(store) == LISTING_COUNTS
    found = {(Path(f).name, r): why for f, r, why in rejects(store)}
    assert found[("inbox.json", "item 8")] == "not a Listing child ({kind, data})"
    assert found[("inbox.json", "t1_kqbad01")].startswith("created_utc: unreadable timestamp 'soon'")
    assert found[("inbox.json", "t5_2qh1i")] == "a t5 item is not a comment, submission or message"
    assert summary.rejected == 2 + 3 and summary.status == "partial"

    csv_copy = Path(shutil.copytree(export, tmp_path / "export"))
    with open(csv_copy / "comments.csv", "a", encoding="utf-8") as handle:
        handle.write("kqbad02,https://www.reddit.com/r/x/comments/1zz/t/kqbad02/,yesterday,,x,0,"
                     "https://www.reddit.com/r/x/comments/1zz/t/,,text,\n")
        handle.write("kqbad03,too,few\n")
    with Store(tmp_path / "csv.duckdb") as other:
        ingest_path(other, csv_copy)
        assert by_kind(other) == EXPORT_COUNTS
        assert count(other, "SELECT count(*) FROM posts") == 5
        csv_rejects = {r: why for f, r, why in rejects(other) if f.endswith("comments.csv")}
        assert csv_rejects == {"line 6": "unreadable date 'yesterday'", "line 7": "3 fields where the header has 10"}


def test_a_truncated_file_is_a_source_error_and_changes_nothing(store: Store, listings: Path, export: Path,
                                                                 tmp_path: Path) -> None:
    ingest_path(store, export)
    before = tables(store)
    imports = count(store, "SELECT count(*) FROM imports")
    work = Path(shutil.copytree(listings, tmp_path / "listings"))
    data = (work / "inbox.json").read_bytes()
    (work / "inbox.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"inbox\.json.*malformed JSON"):
        ingest_path(store, work)
    cut = Path(shutil.copytree(export, tmp_path / "export"))
    text = (cut / "comments.csv").read_text()
    (cut / "comments.csv").write_text(text[: text.index("flat burr")])  # inside a quoted field
    with pytest.raises(SourceError, match=r"comments\.csv.*malformed CSV"):
        ingest_path(store, cut)
    assert tables(store) == before
    assert count(store, "SELECT count(*) FROM imports") == imports


def test_public_listings_without_the_account_are_refused_clearly(store: Store, tmp_path: Path) -> None:
    public = [{"kind": "t1", "data": {"name": f"t1_pub{i}", "author": who, "body": "hi", "created_utc": 1709300000 + i,
                                      "parent_id": "t3_1pub", "link_id": "t3_1pub"}}
              for i, who in enumerate(["rowan_a", "rowan_b"])]
    path = tmp_path / "public.json"
    path.write_text(json.dumps(listing(public)))
    with pytest.raises(SourceError, match=r"cannot tell the own account \(the authors of the listing name several"):
        ingest_path(store, path)
    with pytest.raises(SourceError, match="no item is by or addressed to u/somebody_else"):
        ingest_path(store, path, account="somebody_else")
    summary = ingest_path(store, path, account="rowan_a")  # one of them: own comment, the other is refused
    assert summary.new_posts == 1 and summary.total_new == 0
    assert [why for _, _, why in rejects(store)] == ["comment by u/rowan_b is neither by nor addressed to the account"]


# -- the shared real sample (PRAW's recorded API responses) ----------------------------------------------------
INBOX_CASSETTES = {
    # cassette: (interactions by (direction, kind), duplicates, rejected) -- counted by hand from the JSON
    "test_comment_replies": ({("in", "reply"): 64}, 0, 0),
    "test_mentions": ({("in", "mention"): 16}, 0, 0),
    "test_submission_replies": ({("in", "reply"): 64}, 0, 0),
    # 252 t4 over two pages, one repeated; 9 from moderators (author null), 8 to a subreddit (#...),
    # 1 to a deleted account, 2 from the account to itself.
    "test_messages": ({("in", "dm"): 174, ("out", "dm"): 57}, 1, 20),
    "test_sent": ({("out", "dm"): 60}, 0, 4),  # 4 to a subreddit's moderators
    "test_all__with_limit": ({("in", "dm"): 172, ("in", "reply"): 20}, 0, 8),  # 6 modmail, 2 to itself
}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(INBOX_CASSETTES))
def test_shared_inbox_cassettes(store: Store, shared_data: Path, tmp_path: Path, name: str) -> None:
    pages = extract_listings(shared_data / "exports" / "reddit" / f"TestInbox.{name}.json", tmp_path / name)
    expected, duplicates, rejected = INBOX_CASSETTES[name]
    summary = ingest_path(store, pages)
    assert summary.format == "reddit"
    assert by_kind(store) == expected
    assert (summary.duplicates, summary.rejected) == (duplicates, rejected)
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [("<USERNAME>",)]  # PRAW's redaction
    assert summary.rows_read == sum(expected.values()) + duplicates + rejected


@pytest.mark.shared_data
def test_shared_user_listings(store: Store, shared_data: Path, tmp_path: Path) -> None:
    cassettes = shared_data / "exports" / "reddit"
    comments = extract_listings(cassettes / "TestRedditorListings.test_comments__new.json", tmp_path / "comments")
    summary = ingest_path(store, comments)
    # 100 comments by spez; 11 are top-level, 10 of them on another user's submission (link_author).
    assert summary.new_posts == 100 and by_kind(store) == {("out", "reply"): 10}
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [("spez",)]
    submitted = extract_listings(cassettes / "TestRedditorListings.test_submissions__new.json", tmp_path / "submitted")
    assert ingest_path(store, submitted).new_posts == 100
    assert post_kinds(store) == {"comment": 100, "post": 100}


@pytest.mark.shared_data
@pytest.mark.parametrize("cassette", ["TestSubredditStreams.test_comments", "TestCommentForest.test_replace__all_large",
                                      "TestSubredditListings.test_comments", "TestSubmission.test_comments"])
def test_shared_public_comments_import_or_are_refused_clearly(store: Store, shared_data: Path, tmp_path: Path,
                                                               cassette: str) -> None:
    """Other people's public comments are not an inbox: refused without a fitting account, partial with one."""
    pages = extract_listings(shared_data / "exports" / "reddit" / f"{cassette}.json", tmp_path / "pages")
    with pytest.raises(SourceError, match="cannot tell the own account"):
        ingest_path(store, pages)
    with pytest.raises(SourceError, match="no item is by or addressed to"):
        ingest_path(store, pages, account="nobody_in_this_listing_x")
    authors: collections.Counter[str] = collections.Counter()
    for page in pages.iterdir():
        stack = json.loads(page.read_text())
        stack = stack if isinstance(stack, list) else [stack]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                stack.extend(v for k, v in node.items() if k in ("data", "children", "replies"))
                if node.get("kind") in ("t1", "t3") and node["data"].get("author") not in (None, "[deleted]"):
                    authors[node["data"]["author"]] += 1
            elif isinstance(node, list):
                stack.extend(node)
    someone = authors.most_common(1)[0][0]
    summary = ingest_path(store, pages, account=someone)
    assert summary.new_posts >= 1  # their own comments
    assert summary.rows_read >= summary.rejected
    allowed = ("is neither by nor addressed to the account", "author deleted", "not by the account")
    assert all(any(a in why for a in allowed) for _, _, why in rejects(store))
    assert count(store, "SELECT count(*) FROM interactions WHERE handle = ?", [someone]) == 0


def test_cassette_bodies_may_be_base64_and_gzip(tmp_path: Path) -> None:
    body = json.dumps(listing([])).encode()
    cassette = tmp_path / "c.json"
    cassette.write_text(json.dumps({"interactions": [
        {"response": {"body": {"base64_string": base64.b64encode(gzip.compress(body)).decode()}}},
        {"response": {"body": {"string": "not json"}}}]}))
    pages = extract_listings(cassette, tmp_path / "pages")
    assert json.loads((pages / "page1.json").read_bytes()) == listing([])


def test_the_parser_alone_reads_the_fixture() -> None:
    """reddit.read() on the fixture export, with no store: what it yields, and one message from messages.csv."""
    from tests.conftest import FIXTURES
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction

    records = parsed(reddit, FIXTURES / "reddit" / "export")
    assert record_counts(records) == {
        "AccountInfo": 1, "PersonInfo": 4, "Rejected": 3, "post/comment": 3, "post/post": 2, "dm/in": 5, "dm/out": 3,
    }
    message = next(r for r in records if isinstance(r, Interaction) and r.id == "t4_2a1b1c")
    assert (message.account, message.person, message.direction, message.kind) == (
        "tiescale_brand", "quill_harbor", "in", "dm")
    assert message.text == "Hi, did my order ship?"
    assert message.ts == datetime(2024, 3, 3, 14, 0, tzinfo=timezone.utc)
