"""The YouTube importer, end to end into a real DuckDB store.

Fixtures under tests/fixtures/youtube/ are written by hand with invented people: ``api/`` holds a
commentThreads.list page, a comments.list page and a videos.list page in the Data API's shape;
``newer/`` a later, overlapping pair of commentThreads pages (a JSON array); ``takeout/`` and
``takeout_2023/`` Google Takeout's comments.csv in its post- and pre-June-2024 layouts. The shared
real sample is a commentThreads.list response of 100 threads; its texts are never printed.
"""
from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

from tiescale import SourceError, Store, ingest_path
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.sources import youtube
from tests.conftest import count

BRAND = "UCtiescaleBrandChannel01"
INES, TOMAS, PRIYA, OREN, LENA = ("UCinesHarrowFixture00001", "UCtomasVeldFixture000002", "UCpriyaLundFixture000003",
                                  "UCorenCastellFixture0004", "UClenaBraskFixture000005")
VIDEO = "kT3mPq9ZxY1"
THREAD_A, THREAD_B, THREAD_C, THREAD_D = ("UgxA1nesTopLevel0000AaABAg", "UgxB2tomasTopLevel000AaABAg",
                                          "UgxC3brandPinned00000AaABAg", "UgxD4orenTopLevel0000AaABAg")
API_COUNTS = {("in", "comment"): 3, ("in", "reply"): 3, ("out", "reply"): 2}


@pytest.fixture
def api(fixtures: Path) -> Path:
    return fixtures / "youtube" / "api"


@pytest.fixture
def work(api: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(api, tmp_path / "api"))


def by_kind(store: Store) -> dict[tuple[str, str], int]:
    rows = store.con.execute("SELECT direction, kind, count(*) FROM interactions GROUP BY ALL").fetchall()
    return {(d, k): n for d, k, n in rows}


def row(store: Store, sql: str, params: list[Any]) -> dict[str, Any]:
    cur = store.con.execute(sql, params)
    names = [c[0] for c in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (params, len(rows))
    return dict(zip(names, rows[0]))


def interaction(store: Store, item_id: str, person: str) -> dict[str, Any]:
    return row(store, "SELECT * RENAME (handle AS person) FROM interactions WHERE item_id = ? AND handle = ?", [item_id, person])


def tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "interactions": "SELECT platform, account, handle, ts, direction, kind, item_id, text, in_reply_to, thread "
                        "FROM interactions",
        "posts": "SELECT platform, account, post_id, ts, kind, text, in_reply_to, thread, url, likes, replies "
                 "FROM posts",
        "identities": "SELECT platform, handle, display_name, url FROM identities",
        "accounts": "SELECT platform, handle, display_name FROM accounts",
    }
    return {name: sorted(store.con.execute(sql).fetchall(), key=repr) for name, sql in queries.items()}


def rejects(store: Store) -> dict[str, str]:
    return dict(store.con.execute("SELECT record, reason FROM import_rejects").fetchall())


def edit(path: Path, change: Callable[[Any], None]) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")


def drop_channel_ids(value: Any) -> None:
    if isinstance(value, dict):
        value.pop("channelId", None)
        for v in value.values():
            drop_channel_ids(v)
    elif isinstance(value, list):
        for v in value:
            drop_channel_ids(v)


# -- detection and format check ------------------------------------------------------------------------------
def test_every_input_is_detected_and_nothing_else(api: Path, fixtures: Path) -> None:
    for path in (api, api / "threads.json", fixtures / "youtube" / "newer", fixtures / "youtube" / "takeout",
                 fixtures / "youtube" / "takeout_2023"):
        with ExportFiles(path) as files:
            assert detect(files) == "youtube", path
    for other in (fixtures / "reddit" / "listings", fixtures / "reddit" / "export", api / "videos.json"):
        with ExportFiles(other) as files:
            assert not youtube.detect(files), other


def test_a_wrong_format_is_refused_before_anything_is_written(store: Store, fixtures: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a YouTube export"):
        ingest_path(store, fixtures / "reddit" / "listings", fmt="youtube")
    with pytest.raises(SourceError, match="not a YouTube export"):
        ingest_path(store, fixtures / "reddit" / "export", fmt="youtube")
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"kind": "youtube#commentThreadListResponse", "items": "not a list"}))
    with pytest.raises(SourceError, match=r"odd\.json: not a YouTube Data API list response"):
        ingest_path(store, odd, account=BRAND)
    assert count(store, "SELECT count(*) FROM imports") == 0


# -- the Data API --------------------------------------------------------------------------------------------
def test_api_pages_import_with_exact_counts(store: Store, api: Path) -> None:
    summary = ingest_path(store, api)
    assert summary.format == "youtube" and summary.status == "ok"
    assert by_kind(store) == API_COUNTS
    assert summary.duplicates == 1  # replies.json repeats Tomas's reply carried by the thread
    assert summary.new_posts == 3  # the brand's pinned comment and its two replies
    assert store.con.execute("SELECT handle, display_name FROM accounts").fetchall() == [(BRAND, "Tiescale Roasters")]
    assert sorted(store.con.execute("SELECT handle, display_name, url FROM identities").fetchall()) == [
        (INES, "Ines Harrow", f"http://www.youtube.com/channel/{INES}"),  # as the API gives it
        (OREN, "Oren Castell", f"http://www.youtube.com/channel/{OREN}"),
        (PRIYA, "Priya Lund", f"http://www.youtube.com/channel/{PRIYA}"),
        (TOMAS, "Tomas Veld", f"http://www.youtube.com/channel/{TOMAS}"),
    ]
    top = interaction(store, THREAD_A, INES)
    assert (top["direction"], top["kind"], top["thread"], top["in_reply_to"]) == ("in", "comment", THREAD_A, VIDEO)
    assert top["text"] == "Love the tutorial <3\nMore please!"  # textOriginal, not the HTML
    assert top["ts"] == datetime(2024, 2, 10, 8, 0, tzinfo=timezone.utc)
    assert interaction(store, THREAD_B, TOMAS)["text"] == "Which beans did you use?"
    assert interaction(store, THREAD_D, OREN)["text"] == "Great & clear\nthanks"  # textDisplay only: HTML to text
    answer = interaction(store, THREAD_A + ".9zBrandReply01", INES)
    assert (answer["direction"], answer["kind"]) == ("out", "reply")
    assert (answer["in_reply_to"], answer["thread"]) == (THREAD_A, THREAD_A)
    reply_to_brand = interaction(store, THREAD_C + ".9zPriyaReply01", PRIYA)
    assert (reply_to_brand["direction"], reply_to_brand["in_reply_to"]) == ("in", THREAD_C)
    pinned = row(store, "SELECT * FROM posts WHERE post_id = ?", [THREAD_C])
    assert (pinned["kind"], pinned["likes"], pinned["replies"], pinned["in_reply_to"]) == ("comment", 30, 1, VIDEO)
    assert pinned["url"] == f"https://www.youtube.com/watch?v={VIDEO}&lc={THREAD_C}"
    assert count(store, "SELECT count(*) FROM interactions WHERE item_id = ?", [THREAD_C]) == 0  # nobody to answer


def test_a_second_import_adds_nothing(store: Store, api: Path) -> None:
    ingest_path(store, api)
    before = tables(store)
    assert ingest_path(store, api).status == "unchanged"
    again = ingest_path(store, api / "threads.json", account=BRAND)  # parsed again: only duplicates
    assert again.total_new == 0 and again.new_posts == 0 and again.duplicates == 6
    assert tables(store) == before


def test_a_newer_overlapping_export_adds_only_new_items(store: Store, api: Path, fixtures: Path) -> None:
    ingest_path(store, api)
    newer = ingest_path(store, fixtures / "youtube" / "newer")
    assert newer.new_interactions == {"comment": 1, "reply": 1}
    assert newer.new_posts == 1
    assert newer.duplicates == 4  # Ines's thread (3) and Tomas's comment
    assert interaction(store, "UgxF6lenaTopLevel0000AaABAg", LENA)["kind"] == "comment"
    assert interaction(store, THREAD_B + ".9zBrandReply03", TOMAS)["direction"] == "out"


# -- the own channel -----------------------------------------------------------------------------------------
def test_the_owner_comes_from_videos_list_or_the_flag(store: Store, work: Path) -> None:
    for name in ("threads.json", "replies.json"):
        edit(work / name, drop_channel_ids)
    ingest_path(store, work)  # videos.json says who owns the video
    assert by_kind(store) == API_COUNTS
    (work / "videos.json").unlink()
    with Store(work.parent / "other.duckdb") as other:
        with pytest.raises(SourceError, match="cannot tell the own channel.*pass --account"):
            ingest_path(other, work)
        ingest_path(other, work, account=BRAND)
        assert by_kind(other) == API_COUNTS


def test_comments_on_another_channels_video(store: Store, work: Path) -> None:
    """Only what is by the account or addressed to it counts on someone else's video."""
    stranger = "UCsomeOtherChannel000009"

    def move(value: Any) -> None:
        if isinstance(value, dict):
            value.update({k: v for k, v in (("channelId", stranger), ("videoId", "otherVideo1")) if k in value})
            for v in value.values():
                move(v)
        elif isinstance(value, list):
            for v in value:
                move(v)
    edit(work / "threads.json", lambda page: move(page["items"][:3]))  # threads A, B, C: another channel's video
    (work / "replies.json").unlink()
    summary = ingest_path(store, work, account=BRAND)
    assert by_kind(store) == {("in", "comment"): 1, ("in", "reply"): 1, ("out", "reply"): 1, ("out", "comment"): 1}
    assert interaction(store, THREAD_C, stranger)["kind"] == "comment"  # the brand commented on their video
    assert interaction(store, THREAD_C + ".9zPriyaReply01", PRIYA)["direction"] == "in"  # answers the brand
    why = f"on a video of channel {stranger}, not addressed to the account"
    assert rejects(store) == {
        f"comment {THREAD_A}": f"comment by {INES} {why}",
        f"comment {THREAD_A}.9zTomasReply01": f"comment by {TOMAS} {why}",
        f"comment {THREAD_B}": f"comment by {TOMAS} {why}",
    }
    assert summary.rejected == 3


# -- bad input ---------------------------------------------------------------------------------------------------
def test_malformed_items_are_rejected_and_the_rest_imports(store: Store, work: Path) -> None:
    def spoil(value: Any) -> None:
        good = value["items"][0]
        no_top = {"kind": "youtube#commentThread", "id": "UgxNoTop", "snippet": {"videoId": VIDEO}}
        bad_time = json.loads(json.dumps(good))
        bad_time["id"] = bad_time["snippet"]["topLevelComment"]["id"] = "UgxBadTime"
        bad_time["snippet"]["topLevelComment"]["snippet"]["publishedAt"] = "yesterday"
        bad_time.pop("replies")
        no_author = json.loads(json.dumps(bad_time))
        no_author["id"] = no_author["snippet"]["topLevelComment"]["id"] = "UgxNoAuthor"
        no_author["snippet"]["topLevelComment"]["snippet"].pop("authorChannelId")
        value["items"] += [no_top, bad_time, no_author, {"kind": "youtube#playlist", "id": "PL1"}, 7]
    edit(work / "threads.json", spoil)
    summary = ingest_path(store, work)
    assert by_kind(store) == API_COUNTS
    assert rejects(store) == {
        "item 5 (UgxNoTop)": "comment thread without a topLevelComment",
        "comment UgxBadTime": "publishedAt: unreadable timestamp 'yesterday'",
        "comment UgxNoAuthor": "comment without authorChannelId",
        "item 8 (PL1)": "not a comment thread, comment or video (kind 'youtube#playlist')",
        "item 9": "not a comment thread, comment or video (kind None)",
    }
    assert summary.status == "partial" and summary.rejected == 5


def test_a_truncated_file_is_a_source_error_and_changes_nothing(store: Store, api: Path, work: Path) -> None:
    ingest_path(store, api)
    before = tables(store)
    data = (work / "replies.json").read_bytes()
    (work / "replies.json").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(SourceError, match=r"replies\.json.*malformed JSON"):
        ingest_path(store, work)
    assert tables(store) == before
    assert count(store, "SELECT count(*) FROM imports") == 1


# -- Google Takeout -------------------------------------------------------------------------------------------------
def test_takeout_comments_are_posts_of_the_channel(store: Store, fixtures: Path) -> None:
    summary = ingest_path(store, fixtures / "youtube" / "takeout")
    assert summary.new_posts == 3 and summary.total_new == 0  # Takeout never names the parent's author
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [(BRAND,)]
    first = row(store, "SELECT * FROM posts WHERE post_id = ?", ["UgyT1brandOnOtherVideo0AaABAg"])
    assert first["text"] == "Great roast profile, @someone what temperature?"
    assert first["ts"] == datetime(2024, 1, 20, 15, 0, 0, 120000, tzinfo=timezone.utc)
    reply = row(store, "SELECT * FROM posts WHERE post_id = ?", ["UgzP4otherParent00AaABAg.9zBrandTk01"])
    assert (reply["in_reply_to"], reply["thread"]) == ("UgzP4otherParent00AaABAg", "UgzP4otherParent00AaABAg")
    ingest_path(store, fixtures / "youtube" / "takeout_2023")
    old = row(store, "SELECT * FROM posts WHERE post_id = ?", ["UgwOld2brandReply00000AaABAg.9aReply"])
    assert old["text"] == 'Agreed, "dial in" first.'
    assert count(store, "SELECT count(*) FROM posts") == 5


def test_takeout_with_api_pages_names_whom_the_channel_answered(store: Store, api: Path, fixtures: Path,
                                                                 tmp_path: Path) -> None:
    both = Path(shutil.copytree(api, tmp_path / "both"))
    shutil.copytree(fixtures / "youtube" / "takeout", both, dirs_exist_ok=True)
    summary = ingest_path(store, both)
    answer = interaction(store, THREAD_A + ".9zBrandTk02", INES)
    assert (answer["direction"], answer["kind"]) == ("out", "reply")
    assert summary.new_posts == 6
    assert by_kind(store)[("out", "reply")] == 3


# -- the shared real sample -----------------------------------------------------------------------------------
@pytest.mark.shared_data
def test_shared_comment_threads(store: Store, shared_data: Path) -> None:
    folder = shared_data / "exports" / "youtube"
    sample = folder / "search-comments.converted.json"
    with pytest.raises(SourceError, match="pass --account"):  # no snippet.channelId in this response
        ingest_path(store, sample)
    owner = re.search(r"channelId: '([^']+)'", (folder / "list-videos.js").read_text(encoding="utf-8"))
    assert owner, "list-videos.js names the video's channel"
    summary = ingest_path(store, sample, account=owner.group(1))
    # 100 threads + 41 replies = 141 comments; the owner wrote 12 replies and no top-level comment,
    # the 29 other replies sit under other people's comments, on the owner's video.
    assert by_kind(store) == {("in", "comment"): 100, ("in", "reply"): 29, ("out", "reply"): 12}
    assert summary.new_posts == 12 and summary.rejected == 0 and summary.duplicates == 0
    assert summary.new_people == 110  # 111 distinct authors, one of them the owner
    assert count(store, "SELECT count(DISTINCT handle) FROM interactions") == 110
    assert count(store, "SELECT count(DISTINCT thread) FROM interactions") == 100
    assert (summary.first_ts.year, summary.last_ts.year) == (2017, 2020)


def test_the_parser_alone_reads_the_fixture() -> None:
    """youtube.read() on the API fixture, with no store: what it yields, and one reply from replies.json."""
    from tests.conftest import FIXTURES
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction

    records = parsed(youtube, FIXTURES / "youtube" / "api")
    assert record_counts(records) == {
        "AccountInfo": 1, "PersonInfo": 4, "post/comment": 3, "comment/in": 3, "reply/in": 4, "reply/out": 2,
    }
    reply_id = "UgxA1nesTopLevel0000AaABAg.9zTomasReply01"
    reply = next(r for r in records if isinstance(r, Interaction) and r.id == reply_id)
    assert (reply.account, reply.person, reply.person_name) == (
        "UCtiescaleBrandChannel01", "UCtomasVeldFixture000002", "Tomas Veld")
    assert (reply.direction, reply.kind, reply.text) == ("in", "reply", "Same here, very clear.")
    assert reply.in_reply_to == reply.thread == "UgxA1nesTopLevel0000AaABAg"
    assert reply.ts == datetime(2024, 2, 10, 10, 0, tzinfo=timezone.utc)
