"""Instagram "Download your information" JSON: invented fixtures, and the real sample files when present."""
from __future__ import annotations

import json
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tiescale.records import SourceError
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.sources import facebook
from tiescale.store.ingest import ingest_path

from ..conftest import FIXTURES, count
from ._util import copy, interactions, posts, totals

V1 = FIXTURES / "instagram" / "export_v1"
V2 = FIXTURES / "instagram" / "export_v2"
WRITTEN_V1 = datetime(2023, 6, 1, tzinfo=timezone.utc)
WRITTEN_V2 = datetime(2023, 7, 1, tzinfo=timezone.utc)


def _export(src: Path, dst: Path, written: datetime) -> Path:
    """A copy whose files carry a known write time (the snapshot date of its follow lists)."""
    copy(src, dst)
    for path in dst.rglob("*.json"):
        os.utime(path, (written.timestamp(), written.timestamp()))
    return dst


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    return _export(V1, tmp_path / "v1", WRITTEN_V1)


@pytest.fixture
def v2(tmp_path: Path) -> Path:
    return _export(V2, tmp_path / "v2", WRITTEN_V2)


def test_detected_as_instagram_never_facebook() -> None:
    for folder in (V1, V2):
        with ExportFiles(folder) as files:
            assert detect(files) == "instagram"
            assert not facebook.detect(files)


def test_v1_imports_every_kind_with_exact_counts(store, v1: Path) -> None:
    summary = ingest_path(store, v1)
    assert summary.format == "instagram" and summary.status == "ok" and summary.rejected == 0
    assert interactions(store, "instagram") == {
        ("dm", "in"): 2, ("dm", "out"): 1,
        ("comment", "out"): 1,  # to mette.lund; the reply under her own post credits nobody
        ("like", "out"): 1,
        ("follow", "in"): 3, ("follow", "out"): 2,  # each list entry, at its own date
    }
    assert interactions(store, "instagram", derived=True) == interactions(store, "instagram")  # one snapshot only
    assert posts(store, "instagram") == {"post": 2, "comment": 2}
    assert store.con.execute("SELECT handle, display_name FROM accounts").fetchall() == [
        ("sigrid.bager", "Sigrid Østergaard")
    ]
    assert store.con.execute(
        "SELECT relation, count(*), min(snapshot_at) FROM follower_snapshots GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("follower", 3, WRITTEN_V1), ("following", 2, WRITTEN_V1)]
    assert store.con.execute(
        "SELECT ts FROM interactions WHERE handle = 'tove.l' AND kind = 'follow'"
    ).fetchall() == [(datetime(2022, 11, 30, 12, tzinfo=timezone.utc),)]
    assert store.con.execute("SELECT url FROM identities WHERE handle = 'kasper.n'").fetchall() == [
        ("https://www.instagram.com/kasper.n",)
    ]


def test_zip_export_snapshot_is_dated_by_its_entries(store, tmp_path: Path) -> None:
    archive = tmp_path / "instagram-sigrid.bager-2023-08-15.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(V1.rglob("*.json")):
            info = zipfile.ZipInfo(path.relative_to(V1).as_posix(), date_time=(2023, 8, 15, 10, 30, 0))
            out.writestr(info, path.read_bytes())
    summary = ingest_path(store, archive)
    assert summary.format == "instagram" and summary.total_new == 10 and summary.new_posts == 4
    assert store.con.execute("SELECT DISTINCT snapshot_at FROM follower_snapshots").fetchall() == [
        (datetime(2023, 8, 15, 10, 30, tzinfo=timezone.utc),)
    ]


def test_mojibake_is_repaired_and_dm_people_are_names(store, v1: Path) -> None:
    ingest_path(store, v1)
    assert store.con.execute(
        "SELECT DISTINCT handle FROM interactions WHERE kind = 'dm'"
    ).fetchall() == [("Bjørn Åkesson",)]
    assert store.con.execute(
        "SELECT direction FROM interactions WHERE text = 'Kl. 8, som altid 🥐'"
    ).fetchall() == [("out",)]
    assert count(store, "SELECT count(*) FROM posts WHERE text = 'Dagens kanelsnegle — med kardemomme'") == 1
    assert count(store, "SELECT count(*) FROM posts WHERE text = 'Før og efter ovnen'") == 1  # an album's caption
    assert count(store, "SELECT count(*) FROM interactions WHERE text LIKE '%Ã%' OR handle LIKE '%Ã%'") == 0


def test_second_import_adds_nothing(store, v1: Path) -> None:
    ingest_path(store, v1)
    before = totals(store)
    assert ingest_path(store, v1).status == "unchanged"
    (v1 / "your_topics.json").write_text("{}")  # same export, read again
    again = ingest_path(store, v1)
    assert again.status == "ok" and again.total_new == 0 and again.new_posts == 0
    assert totals(store)[:5] == before[:5]


def test_newer_layout_overlapping_export_adds_only_new_items(store, v1: Path, v2: Path) -> None:
    ingest_path(store, v1)
    summary = ingest_path(store, v2)
    assert summary.status == "ok" and summary.rejected == 0 and summary.new_posts == 2
    assert interactions(store, "instagram") == {
        ("dm", "in"): 3, ("dm", "out"): 1,
        ("comment", "out"): 2,  # + kasper.n (the newer list form of post_comments_1.json)
        ("like", "out"): 1,
        ("follow", "in"): 4,  # + kasper.n
        ("follow", "out"): 3,  # + mette.lund (the newer following.json: username in title, no value)
    }
    # the two snapshots also give what no entry can say: tove.l stopped following
    assert store.con.execute(
        "SELECT handle, direction, ts FROM interactions WHERE kind = 'unfollow'"
    ).fetchall() == [("tove.l", "in", WRITTEN_V2)]


def test_malformed_items_are_rejected_and_the_rest_imports(store, v1: Path) -> None:
    followers = v1 / "followers_and_following/followers_1.json"
    data = json.loads(followers.read_text())
    data[1] = {"title": "", "string_list_data": []}
    followers.write_text(json.dumps(data))
    comments = v1 / "comments/post_comments.json"
    data = json.loads(comments.read_text())
    data["comments_media_comments"][0]["string_list_data"][0]["timestamp"] = "yesterday"
    comments.write_text(json.dumps(data))
    summary = ingest_path(store, v1)
    assert summary.status == "partial" and summary.rejected == 2
    assert sorted((Path(r.file).name, r.record) for r in summary.rejects) == [
        ("followers_1.json", "entry 2"), ("post_comments.json", "comment 1"),
    ]
    assert interactions(store, "instagram")[("follow", "in")] == 2
    assert ("comment", "out") not in interactions(store, "instagram")


def test_truncated_file_is_a_source_error_and_the_store_is_unchanged(store, v1: Path, v2: Path) -> None:
    ingest_path(store, v1)
    before = totals(store)
    following = v2 / "connections/followers_and_following/following.json"
    following.write_bytes(following.read_bytes()[:-40])
    with pytest.raises(SourceError) as error:
        ingest_path(store, v2)
    assert "following.json" in str(error.value)
    assert totals(store) == before


def test_wrong_format_is_refused_before_writing(store) -> None:
    with pytest.raises(SourceError, match="Facebook export"):
        ingest_path(store, FIXTURES / "facebook" / "export_v1", fmt="instagram")
    with pytest.raises(SourceError, match="not an Instagram export"):
        ingest_path(store, FIXTURES / "linkedin" / "export_2024", fmt="instagram")
    assert count(store, "SELECT count(*) FROM imports") == 0


def test_no_account_anywhere_is_a_clear_error(store, tmp_path: Path) -> None:
    single = tmp_path / "followers_1.json"
    single.write_bytes((V1 / "followers_and_following/followers_1.json").read_bytes())
    with pytest.raises(SourceError, match="pass --account"):
        ingest_path(store, single)
    summary = ingest_path(store, single, account="sigrid.bager")
    assert summary.format == "instagram" and summary.new_interactions == {"follow": 3}


# -- the real sample files (../shared/data) ------------------------------------------------------
@pytest.mark.shared_data
def test_real_sample_files(store, shared_data: Path) -> None:
    data = shared_data / "exports" / "facebook-instagram" / "parser" / "data"
    summary = ingest_path(store, data / "instagram_post.json", account="me")
    assert summary.format == "instagram" and summary.new_posts == 5 and summary.rejected == 0
    assert count(store, "SELECT count(*) FROM posts WHERE text LIKE '%Ã%' OR text LIKE '%ð%'") == 0
    summary = ingest_path(store, data / "post_comments.json", account="me")
    assert summary.new_posts == 2 and summary.new_interactions == {"comment": 2}  # to the media owner 'username'
    with pytest.raises(SourceError) as error:
        ingest_path(store, data / "corrupt.json", fmt="instagram")
    assert "corrupt.json" in str(error.value)
    for name in ("empty_list.json", "empty_object.json"):
        assert ingest_path(store, data / name, fmt="instagram").rows_read == 0
    with ExportFiles(data / "personal_information.json") as files:
        assert detect(files) == "instagram"


def test_the_parser_alone_reads_the_fixture() -> None:
    """instagram.read() on export_v1, with no store: what it yields, and the first message of a thread."""
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction
    from tiescale.sources import instagram

    records = parsed(instagram, V1)
    assert record_counts(records) == {
        "AccountInfo": 1, "PersonInfo": 5, "FollowEdge": 5, "dm/in": 2, "dm/out": 1, "comment/out": 1,
        "like/out": 1, "post/comment": 2, "post/post": 2, "follow/in": 3, "follow/out": 2,
    }
    dm = next(r for r in records if isinstance(r, Interaction) and r.kind == "dm")
    assert (dm.account, dm.person, dm.direction) == ("sigrid.bager", "Bjørn Åkesson", "in")
    assert dm.text == "Hvornår åbner I på søndag?" and dm.thread == "inbox/bjrnkesson_17845612398745632"
    assert dm.ts == datetime(2023, 5, 2, 9, 0, tzinfo=timezone.utc)  # timestamp_ms 1683018000000
