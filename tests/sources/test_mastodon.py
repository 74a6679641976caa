"""The Mastodon importer against a hand-written export, and against the shared real sample."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import count
from tiescale.records import SourceError
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon" / "archive-20240310120000-5e1f0c"
ME = "https://coast.example/users/harbor"
OWN = "harbor@coast.example"
BASE_KINDS = {"reply": 3, "mention": 3, "dm": 1, "repost": 1, "like": 3}


def _copy(tmp_path: Path, name: str = "archive-20240410120000-7a7a7a") -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURE, target)
    return target


def _outbox(folder: Path) -> dict:
    return json.loads((folder / "outbox.json").read_text())


def _write_outbox(folder: Path, outbox: dict) -> None:
    (folder / "outbox.json").write_text(json.dumps(outbox))


def _interactions(store: Store) -> dict[str, int]:
    return dict(store.con.execute("SELECT kind, count(*) FROM interactions GROUP BY kind").fetchall())


def _snapshot(store: Store) -> tuple[int, int, int]:
    return (count(store, "SELECT count(*) FROM interactions"), count(store, "SELECT count(*) FROM posts"),
            count(store, "SELECT count(*) FROM follower_snapshots"))


def test_detects_the_export_and_refuses_other_formats(store: Store, fixtures: Path) -> None:
    with ExportFiles(FIXTURE) as files:
        assert detect(files) == "mastodon"
    with ExportFiles(fixtures / "bluesky") as files:
        assert detect(files) != "mastodon"
    with pytest.raises(SourceError, match="not a Mastodon export"):
        ingest_path(store, fixtures / "bluesky", fmt="mastodon")
    assert count(store, "SELECT count(*) FROM imports") == 0


def test_fixture_imports_exact_counts(store: Store) -> None:
    summary = ingest_path(store, FIXTURE)
    assert summary.format == "mastodon" and summary.status == "ok" and summary.rejected == 0
    assert summary.new_interactions == BASE_KINDS
    assert dict(store.con.execute("SELECT kind, count(*) FROM posts GROUP BY kind").fetchall()) == {
        "post": 4, "reply": 4, "repost": 2}
    assert store.con.execute("SELECT handle, display_name, account_id FROM accounts").fetchall() == [
        (OWN, "Harbor Coffee", ME)]
    rows = store.con.execute(
        "SELECT handle, direction, kind, ts IS NULL FROM interactions ORDER BY kind, handle").fetchall()
    assert rows == [
        ("cal@fedi.example", "out", "dm", False),
        ("bea@social.example", "out", "like", True),  # undated: the export has no time for likes
        ("cal@fedi.example", "out", "like", True),
        ("eve@misskey.example", "out", "like", True),  # the Misskey note resolved through the reply to it
        ("bea@social.example", "out", "mention", False),
        ("cal@fedi.example", "out", "mention", False),
        ("dee@coast.example", "out", "mention", False),  # a local mention "@dee" gets the host of its href
        ("bea@social.example", "out", "reply", False),
        ("eve@misskey.example", "out", "reply", False),
        ("gus@other.example", "out", "reply", False),  # no mention: the author comes from the status URL
        ("fay@photos.example", "out", "repost", False),
    ]
    # The thread continuation (a reply to oneself) is a post and no interaction; the private
    # mention (direct visibility) is a dm and no post; bookmarks are not imported at all.
    assert count(store, "SELECT count(*) FROM posts WHERE post_id = ?", [f"{ME}/statuses/1004"]) == 1
    assert count(store, "SELECT count(*) FROM interactions WHERE item_id = ?", [f"{ME}/statuses/1004"]) == 0
    assert count(store, "SELECT count(*) FROM posts WHERE post_id = ?", [f"{ME}/statuses/1007"]) == 0
    assert count(store, "SELECT count(*) FROM interactions WHERE item_id LIKE '%/statuses/113'") == 0
    assert store.con.execute(
        "SELECT person, snapshot_at FROM follower_snapshots WHERE relation = 'following' ORDER BY person"
    ).fetchall() == [(p, datetime(2024, 3, 10, 12, tzinfo=timezone.utc))
                     for p in ("bea@social.example", "cal@fedi.example", "fay@photos.example")]
    assert store.con.execute("SELECT url FROM identities WHERE handle = 'bea@social.example'").fetchone() == (
        "https://social.example/@bea",)


def test_html_becomes_inert_plain_text(store: Store) -> None:
    ingest_path(store, FIXTURE)
    (text,) = store.con.execute("SELECT text FROM posts WHERE post_id = ?", [f"{ME}/statuses/1008"]).fetchone()
    assert text == "Menu update see the list\nRistretto is back."
    for bad in ("<", ">", "script", "alert", "javascript:", "onclick", "onerror", "onmouseover", "color:red"):
        assert bad not in text
    (mention,) = store.con.execute("SELECT text FROM posts WHERE post_id = ?", [f"{ME}/statuses/1001"]).fetchone()
    assert mention == "Open at seven tomorrow & every day this week."


def test_second_import_adds_nothing(store: Store, tmp_path: Path) -> None:
    ingest_path(store, FIXTURE)
    before = _snapshot(store)
    assert ingest_path(store, FIXTURE).status == "unchanged"
    copy = _copy(tmp_path, "archive-20240310120000-5e1f0c")
    (copy / "avatar.png").write_bytes(b"\x89PNG")  # different bytes, same content: the merge itself dedupes
    again = ingest_path(store, copy)
    assert again.status == "ok" and again.total_new == 0 and again.new_posts == 0
    assert again.duplicates == sum(BASE_KINDS.values())
    assert _snapshot(store) == before


def test_overlapping_newer_export_adds_only_new_items(store: Store, tmp_path: Path) -> None:
    ingest_path(store, FIXTURE)
    newer = _copy(tmp_path)
    outbox = _outbox(newer)
    reply = json.loads(json.dumps(outbox["orderedItems"][2]))  # the reply to bea, as a template
    reply["id"] = f"{ME}/statuses/1012/activity"
    reply["published"] = reply["object"]["published"] = "2024-04-01T09:00:00Z"
    reply["object"].update(id=f"{ME}/statuses/1012", url="https://coast.example/@harbor/1012",
                           inReplyTo="https://social.example/users/bea/statuses/150")
    reply["object"]["tag"] = reply["object"]["tag"][:1]
    outbox["orderedItems"].append(reply)
    _write_outbox(newer, outbox)
    likes = json.loads((newer / "likes.json").read_text())
    likes["orderedItems"].insert(0, "https://photos.example/users/fay/statuses/340")
    (newer / "likes.json").write_text(json.dumps(likes))
    (newer / "following_accounts.csv").write_text(
        "Account address,Show boosts,Notify on new posts,Languages\n"
        "bea@social.example,true,false,\ncal@fedi.example,true,false,\nhal@roast.example,true,false,\n")

    summary = ingest_path(store, newer)
    assert summary.new_interactions == {"reply": 1, "like": 1, "follow": 1, "unfollow": 1}
    assert summary.new_posts == 1
    assert store.con.execute(
        "SELECT handle, kind, ts FROM interactions WHERE kind IN ('follow', 'unfollow') ORDER BY kind").fetchall() == [
        ("hal@roast.example", "follow", datetime(2024, 4, 10, 12, tzinfo=timezone.utc)),
        ("fay@photos.example", "unfollow", datetime(2024, 4, 10, 12, tzinfo=timezone.utc)),
    ]


def test_malformed_items_are_rejected_and_the_rest_imports(store: Store, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    outbox = _outbox(folder)
    outbox["orderedItems"][0]["published"] = "yesterday-ish"
    outbox["orderedItems"].insert(3, "not an activity")
    outbox["orderedItems"].append({"id": f"{ME}/statuses/1099/activity", "type": "Create",
                                   "published": "2024-03-09T10:00:00Z", "object": f"{ME}/statuses/1099"})
    _write_outbox(folder, outbox)
    likes = json.loads((folder / "likes.json").read_text())
    likes["orderedItems"] += ["https://odd.example/objects/5f2c", 42]
    (folder / "likes.json").write_text(json.dumps(likes))

    summary = ingest_path(store, folder)
    assert summary.status == "partial" and (summary.rejected, summary.skipped) == (4, 1)
    reasons = sorted((r.record, r.reason) for r in summary.rejects)
    assert reasons == [
        ("item 1", "unreadable timestamp 'yesterday-ish'"),
        ("item 13", "Create without an embedded object"),
        ("item 4", "not a JSON object"),
        ("like 6", "not a status URL"),
    ]
    assert [(r.record, r.reason) for r in summary.skips] == [
        ("like 5", "the export does not say who wrote https://odd.example/objects/5f2c")]
    assert summary.new_interactions == BASE_KINDS  # the rejected post had no interaction
    assert count(store, "SELECT count(*) FROM posts") == 9
    assert count(store, "SELECT count(*) FROM import_rejects") == 4
    assert count(store, "SELECT count(*) FROM import_skipped") == 1


def test_truncated_file_is_an_error_and_the_store_is_unchanged(store: Store, tmp_path: Path) -> None:
    ingest_path(store, FIXTURE)
    before = _snapshot(store), count(store, "SELECT count(*) FROM imports")
    folder = _copy(tmp_path)
    data = (folder / "outbox.json").read_bytes()
    (folder / "outbox.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"outbox\.json.*malformed JSON"):
        ingest_path(store, folder)
    assert (_snapshot(store), count(store, "SELECT count(*) FROM imports")) == before


def test_wrong_shape_is_an_error(store: Store, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "outbox.json").write_text('{"@context": "https://www.w3.org/ns/activitystreams", "items": 3}')
    with pytest.raises(SourceError, match="orderedItems"):
        ingest_path(store, folder)
    assert count(store, "SELECT count(*) FROM interactions") == 0


def test_snapshot_date_falls_back_to_the_newest_activity(store: Store, tmp_path: Path) -> None:
    ingest_path(store, _copy(tmp_path, "my-mastodon-export"))
    assert store.con.execute("SELECT DISTINCT snapshot_at FROM follower_snapshots").fetchall() == [
        (datetime(2024, 3, 8, 8, tzinfo=timezone.utc),)]


def test_single_files_and_the_own_account(store: Store, tmp_path: Path) -> None:
    outbox_only = ingest_path(store, FIXTURE / "outbox.json")  # the account from the activities' actor
    assert outbox_only.new_interactions == {k: v for k, v in BASE_KINDS.items() if k != "like"}
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [(OWN,)]
    with pytest.raises(SourceError, match="pass --account"):
        ingest_path(store, FIXTURE / "likes.json")
    likes = ingest_path(store, FIXTURE / "likes.json", account="@Harbor@coast.example")
    # Alone, the Misskey note's author is unknown (the outbox's reply to it told it): reported.
    assert likes.new_interactions == {"like": 2} and (likes.rejected, likes.skipped) == (0, 1)
    assert count(store, "SELECT count(*) FROM accounts") == 1


@pytest.mark.shared_data
def test_real_sample(store: Store, shared_data: Path) -> None:
    folder = shared_data / "exports" / "mastodon"
    items = json.loads((folder / "outbox.json").read_text())["orderedItems"]
    creates = [i for i in items if i["type"] == "Create"]
    assert (len(items), len(creates), len(items) - len(creates)) == (1586, 1260, 326)
    assert sum(1 for i in creates if i["object"]["inReplyTo"]) == 422

    summary = ingest_path(store, folder)
    assert summary.format == "mastodon"
    # 1,260 Notes: 35 are private mentions (31 to one person -> dm; 4 to nobody, not imported);
    # 1,225 published: 821 posts and 404 replies (228 of them thread continuations).
    # 326 boosts: posts of kind repost; 6 boost the account's own statuses -> 320 interactions.
    assert dict(store.con.execute("SELECT kind, count(*) FROM posts GROUP BY kind").fetchall()) == {
        "post": 821, "reply": 404, "repost": 326}
    assert summary.new_interactions == {"reply": 176, "mention": 121, "repost": 320, "dm": 31, "like": 1107}
    # 1,115 liked URLs: 1,107 with a known author, all undated; 8 Misskey/Friendica-style URLs
    # whose author the export does not tell are skipped and reported (not an error: status ok).
    assert count(store, "SELECT count(*) FROM interactions WHERE kind = 'like' AND ts IS NULL") == 1107
    assert count(store, "SELECT count(*) FROM interactions WHERE ts IS NULL") == 1107
    assert (summary.rejected, summary.skipped, summary.status) == (0, 8, "ok")
    assert {r.record[:5] for r in summary.skips} == {"like "}
    assert store.con.execute("SELECT handle, display_name FROM accounts").fetchall() == [
        ("dealingwith@indieweb.social", "dealingwith")]
    assert count(store, "SELECT count(*) FROM follower_snapshots") == 0  # no follows CSV in the sample
    assert ingest_path(store, folder).status == "unchanged"


def test_zip_export_takes_its_date_from_the_archive_name(store: Store, tmp_path: Path) -> None:
    archive = Path(shutil.make_archive(str(tmp_path / "archive-20240411093000-c0ffee"), "zip", FIXTURE))
    summary = ingest_path(store, archive)
    assert summary.format == "mastodon" and summary.new_interactions == BASE_KINDS
    assert store.con.execute("SELECT DISTINCT snapshot_at FROM follower_snapshots").fetchall() == [
        (datetime(2024, 4, 11, 9, 30, tzinfo=timezone.utc),)]


def test_the_parser_alone_reads_the_fixture(fixtures: Path) -> None:
    """mastodon.read() on the fixture archive, with no store: what it yields, and one mention from outbox.json."""
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction
    from tiescale.sources import mastodon

    records = parsed(mastodon, fixtures / "mastodon" / "archive-20240310120000-5e1f0c")
    assert record_counts(records) == {
        "AccountInfo": 1, "PersonInfo": 6, "FollowEdge": 3, "post/post": 4, "post/reply": 4, "post/repost": 2,
        "mention/out": 3, "reply/out": 3, "dm/out": 1, "repost/out": 1, "like/out": 3,
    }
    mention = next(r for r in records if isinstance(r, Interaction) and r.kind == "mention")
    assert mention.id == "https://coast.example/users/harbor/statuses/1002"
    assert (mention.account, mention.person, mention.direction) == ("harbor@coast.example", "bea@social.example", "out")
    assert mention.text == "Beans from @bea arrive tomorrow, roasted by @dee"  # the HTML content, as text
    assert mention.ts == datetime(2024, 3, 2, 9, 0, tzinfo=timezone.utc)
