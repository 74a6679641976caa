"""Facebook "Download your information" JSON: invented fixtures, and the real sample when present."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tiescale.records import SourceError
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.sources import facebook, instagram
from tiescale.store.ingest import ingest_path

from ..conftest import FIXTURES, count
from ._util import copy, interactions, posts, totals

V1 = FIXTURES / "facebook" / "export_v1"
V2 = FIXTURES / "facebook" / "export_v2"
ME = "Sigrid Østergaard"
BJORN_THREAD = "messages/inbox/bjrnkesson_k3j2h1g0f9/message_1.json"


def test_detected_as_facebook_never_instagram() -> None:
    for folder in (V1, V2):
        with ExportFiles(folder) as files:
            assert detect(files) == "facebook"
            assert not instagram.detect(files)


def test_v1_imports_every_kind_with_exact_counts(store) -> None:
    summary = ingest_path(store, V1)
    assert summary.format == "facebook" and summary.status == "ok" and summary.rejected == 0
    assert interactions(store, "facebook") == {
        ("dm", "in"): 4,  # Bjørn x2 (one a sticker), Mette, Tove; the group "Subscribe" notice is skipped
        ("dm", "out"): 5,  # Bjørn x2 (one under her earlier name), the group message to 3 people
        ("comment", "out"): 2,  # to Mette and Bjørn; the comment on her own post has nobody to credit
        ("like", "out"): 1,  # Tove's photo; "likes a post." names nobody
    }
    assert posts(store, "facebook") == {"post": 2, "comment": 3}
    assert store.con.execute("SELECT handle, account_id FROM accounts WHERE platform = 'facebook'").fetchall() == [
        (ME, "sigrid.oestergaard")
    ]
    # seven messages: reactions inside a thread are not messages
    assert count(store, "SELECT count(DISTINCT dedupe_key) FROM interactions WHERE kind = 'dm'") == 7


def test_mojibake_is_repaired(store) -> None:
    ingest_path(store, V1)
    people = {r[0] for r in store.con.execute("SELECT handle FROM identities WHERE platform = 'facebook'").fetchall()}
    assert people == {"Bjørn Åkesson", "Mette Lund", "Tove Lindqvist"}
    texts = {r[0] for r in store.con.execute("SELECT text FROM interactions WHERE text IS NOT NULL").fetchall()}
    assert "Så ses vi på lørdag?" in texts and "Helt enig 👍" in texts
    assert count(store, "SELECT count(*) FROM posts WHERE text = 'Glædelig jul fra bageriet i Ærøskøbing'") == 1
    assert count(store, "SELECT count(*) FROM interactions WHERE text LIKE '%Ã%' OR handle LIKE '%Ã%'") == 0


def test_earlier_name_counts_as_the_account_and_threads_are_paths(store) -> None:
    ingest_path(store, V1)
    row = store.con.execute(
        "SELECT handle, direction, thread, ts FROM interactions WHERE text = 'Tillykke med jobbet!'"
    ).fetchone()
    when = datetime(2021, 6, 1, 12, tzinfo=timezone.utc)
    assert row == ("Bjørn Åkesson", "out", "inbox/bjrnkesson_k3j2h1g0f9", when)
    group = store.con.execute(
        "SELECT list(handle ORDER BY handle), count(DISTINCT dedupe_key) FROM interactions "
        "WHERE text = 'Hvem vælger næste bog?'"
    ).fetchone()
    assert group == (["Bjørn Åkesson", "Mette Lund", "Tove Lindqvist"], 1)


def test_second_import_adds_nothing(store, tmp_path: Path) -> None:
    ingest_path(store, V1)
    before = totals(store)
    assert ingest_path(store, V1).status == "unchanged"
    same = copy(V1, tmp_path / "same")
    (same / "your_topics.json").write_text('{"inferred_topics_v2": ["Bread"]}')  # so it is read again
    again = ingest_path(store, same)
    assert again.total_new == 0 and again.new_posts == 0 and again.duplicates == 12
    assert totals(store)[:5] == before[:5]


def test_newer_layout_overlapping_export_adds_only_new_items(store) -> None:
    ingest_path(store, V1)
    summary = ingest_path(store, V2)
    assert summary.status == "ok" and summary.rejected == 0
    assert summary.new_interactions == {"dm": 3, "comment": 1} and summary.new_posts == 2
    assert interactions(store, "facebook") == {
        ("dm", "in"): 6, ("dm", "out"): 6, ("comment", "out"): 3, ("like", "out"): 1,
    }
    # the Danish title "... har kommenteret Kasper Nørgaards opslag." names Kasper
    assert store.con.execute(
        "SELECT handle FROM interactions WHERE kind = 'comment' AND text = 'Så fint!'"
    ).fetchall() == [("Kasper Nørgaard",)]


def test_malformed_items_are_rejected_and_the_rest_imports(store, tmp_path: Path) -> None:
    export = copy(V1, tmp_path / "export")
    thread = export / BJORN_THREAD
    data = json.loads(thread.read_text())
    data["messages"][0]["timestamp_ms"] = "soon"
    data["messages"][2] = "not a message"
    thread.write_text(json.dumps(data))
    summary = ingest_path(store, export)
    assert summary.status == "partial" and summary.rejected == 2
    assert sorted((r.record, r.reason.split(" (")[0]) for r in summary.rejects) == [
        ("message 1", "no readable timestamp_ms"), ("message 3", "not a JSON object"),
    ]
    assert all(r.file.endswith("message_1.json") for r in summary.rejects)
    assert interactions(store, "facebook")[("dm", "in")] == 2


def test_truncated_file_is_a_source_error_and_the_store_is_unchanged(store, tmp_path: Path) -> None:
    ingest_path(store, V1)
    before = totals(store)
    export = copy(V2, tmp_path / "export")
    comments = export / "your_facebook_activity/comments_and_reactions/comments.json"
    comments.write_bytes(comments.read_bytes()[:300])
    with pytest.raises(SourceError) as error:
        ingest_path(store, export)
    assert "comments.json" in str(error.value) and "malformed JSON" in str(error.value)
    assert totals(store) == before


def test_wrong_format_is_refused_before_writing(store) -> None:
    with pytest.raises(SourceError, match="Instagram export"):
        ingest_path(store, FIXTURES / "instagram" / "export_v1", fmt="facebook")
    with pytest.raises(SourceError, match="not a Facebook export"):
        ingest_path(store, FIXTURES / "linkedin" / "export_2018", fmt="facebook")
    assert count(store, "SELECT count(*) FROM imports") == 0


def test_empty_files_import_nothing(store, tmp_path: Path) -> None:
    for name, text in (("empty_list.json", "[]"), ("empty_object.json", "{}")):
        (tmp_path / name).write_text(text)
        summary = ingest_path(store, tmp_path / name, fmt="facebook")
        assert summary.status == "ok" and summary.rows_read == 0
    assert totals(store)[:5] == (0, 0, 0, 0, 0)


def test_own_account_without_profile(store, tmp_path: Path) -> None:
    export = copy(V1, tmp_path / "export")
    (export / "profile_information/profile_information.json").unlink()
    with pytest.raises(SourceError, match="pass --account"):  # Bjørn is in both threads too: ambiguous
        ingest_path(store, export)
    (export / "messages/inbox/bogklubben_p0o9i8u7y6/message_1.json").unlink()
    kasper = export / "messages/inbox/kaspernrgaard_z1x2c3v4b5"
    kasper.mkdir()
    (kasper / "message_1.json").write_bytes(
        (V2 / "your_facebook_activity/messages/inbox/kaspernrgaard_z1x2c3v4b5/message_1.json").read_bytes())
    ingest_path(store, export)  # the one participant of every thread is the account
    assert store.con.execute("SELECT DISTINCT account FROM interactions").fetchall() == [(ME,)]
    # without the profile her earlier name is not known: that message reads as someone else's
    assert interactions(store, "facebook")[("dm", "out")] == 2


# -- the real sample (../shared/data) ----------------------------------------------------------
def _sample(shared_data: Path) -> Path:
    return shared_data / "exports" / "facebook-instagram"


@pytest.mark.shared_data
def test_real_export_folder(store, shared_data: Path) -> None:
    folder = _sample(shared_data) / "objectbox" / "data" / "Facebook"
    summary = ingest_path(store, folder)
    assert summary.format == "facebook" and summary.rejected == 0
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [("Gustav Johansen",)]
    assert interactions(store, "facebook") == {
        ("dm", "in"): 4, ("dm", "out"): 3,  # the 7-message thread
        ("comment", "out"): 5,  # 6 comments; one is on "et opslag" (a post), naming nobody
        ("like", "out"): 14,  # 17 reactions; 3 are on his own links
    }
    span = store.con.execute("SELECT min(ts), max(ts) FROM interactions WHERE kind = 'dm'").fetchone()
    assert (span[0].year, span[0].month, span[1].year, span[1].month) == (2021, 5, 2022, 2)
    assert count(store, "SELECT count(DISTINCT handle) FROM interactions WHERE kind = 'dm'") == 1
    assert store.con.execute(
        "SELECT handle, count(*) FROM interactions WHERE kind = 'comment' GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("Anders Jacobsen", 4), ("Martin Levin Lembrecht", 1)]
    assert posts(store, "facebook") == {"post": 14, "comment": 6}
    assert count(store, "SELECT count(*) FROM interactions WHERE handle LIKE '%Ã%'") == 0


@pytest.mark.shared_data
def test_real_parser_files(store, shared_data: Path) -> None:
    data = _sample(shared_data) / "parser" / "data"
    with pytest.raises(SourceError) as error:
        ingest_path(store, data / "corrupt.json", fmt="facebook")
    assert "corrupt.json" in str(error.value) and "malformed JSON" in str(error.value)
    for name in ("empty_list.json", "empty_object.json"):
        assert ingest_path(store, data / name, fmt="facebook").rows_read == 0
    summary = ingest_path(store, data / "your_posts_1.json", account="Someone")
    assert summary.format == "facebook" and summary.new_posts == 14
    assert count(store, "SELECT count(*) FROM posts WHERE text LIKE '%Ã%'") == 0
    with ExportFiles(data / "profile_information.json") as files:
        assert detect(files) == "facebook"
        facebook.check(files)


def test_the_parser_alone_reads_the_fixture() -> None:
    """facebook.read() on export_v1, with no store: what it yields, and the first message of a thread."""
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction

    records = parsed(facebook, V1)
    assert record_counts(records) == {
        "AccountInfo": 1, "dm/in": 4, "dm/out": 5, "comment/out": 2, "like/out": 1, "post/comment": 3, "post/post": 2,
    }
    dm = next(r for r in records if isinstance(r, Interaction) and r.kind == "dm")  # inbox/bjrnkesson_k3j2h1g0f9
    assert (dm.account, dm.person, dm.direction) == ("Sigrid Østergaard", "Bjørn Åkesson", "in")  # mojibake repaired
    assert dm.text == "Så ses vi på lørdag?" and dm.thread == "inbox/bjrnkesson_k3j2h1g0f9"
    assert dm.ts == datetime(2023, 3, 5, 10, 0, tzinfo=timezone.utc)  # timestamp_ms 1678010400000
