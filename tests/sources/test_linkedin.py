"""LinkedIn "Get a copy of your data" CSVs: invented fixtures (2018 and newer), and the real sample."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tiescale.records import SourceError
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.sources import facebook, instagram, linkedin
from tiescale.store.ingest import ingest_path

from ..conftest import FIXTURES, count
from ._util import copy, interactions, posts, totals

OLD = FIXTURES / "linkedin" / "export_2018"
NEW = FIXTURES / "linkedin" / "export_2024"
ME = "Sigrid Østergaard"
UTC = timezone.utc


def _append(path: Path, *lines: str) -> None:
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write("".join(line + "\r\n" for line in lines))


def test_detected_as_linkedin_only() -> None:
    for folder in (OLD, NEW):
        with ExportFiles(folder) as files:
            assert detect(files) == "linkedin"
            assert not facebook.detect(files) and not instagram.detect(files)


def test_2018_export_with_exact_counts(store) -> None:
    summary = ingest_path(store, OLD)
    assert summary.format == "linkedin" and summary.status == "ok" and summary.rejected == 0
    assert interactions(store, "linkedin") == {
        ("follow", "in"): 4,  # connections
        ("dm", "in"): 2, ("dm", "out"): 1,
        ("invitation", "in"): 1, ("invitation", "out"): 1,
    }
    assert posts(store, "linkedin") == {"post": 2}  # Shares.csv: UTF-16 with TAB separators
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [(ME,)]
    # no URLs in 2018 exports: people are keyed by full name, e-mail kept
    assert store.con.execute(
        "SELECT display_name, email FROM identities WHERE handle = 'Bjørn Åkesson'"
    ).fetchall() == [("Bjørn Åkesson", "bjorn@example.invalid")]
    assert count(store, "SELECT count(*) FROM identities WHERE handle = 'Nguyễn Văn An'") == 1
    assert store.con.execute(
        "SELECT ts FROM interactions WHERE handle = 'Bjørn Åkesson' AND kind = 'follow'"
    ).fetchall() == [(datetime(2018, 1, 8, 18, 14, tzinfo=UTC),)]
    assert store.con.execute("SELECT text, ts FROM posts WHERE url IS NOT NULL").fetchall() == [
        ("Vi har åbnet i Århus!", datetime(2018, 6, 8, 8, 15, 44, tzinfo=UTC))
    ]
    assert count(store, "SELECT count(*) FROM interactions WHERE text = "
                 "'Har du brug for mere rugmel?' || chr(13) || chr(10) || 'Vi har fået en ny levering.'") == 1


def test_newer_export_keys_people_by_profile_url(store) -> None:
    summary = ingest_path(store, NEW)
    assert summary.status == "ok" and summary.rejected == 0
    assert interactions(store, "linkedin") == {
        ("follow", "in"): 3,  # below the 'Notes:' preamble
        ("dm", "in"): 1, ("dm", "out"): 3,  # one message to two people is two touchpoints
        ("invitation", "out"): 1,
    }
    assert posts(store, "linkedin") == {"post": 1, "comment": 1}
    bjorn = "https://www.linkedin.com/in/bjorn-aakesson"
    assert store.con.execute(
        "SELECT kind, direction FROM interactions WHERE handle = ? ORDER BY ts", [bjorn]
    ).fetchall() == [("follow", "in"), ("dm", "in"), ("dm", "out")]
    assert store.con.execute("SELECT display_name, url FROM identities WHERE handle = ?", [bjorn]).fetchall() == [
        ("Bjørn Åkesson", bjorn)
    ]
    assert count(store, "SELECT count(*) FROM identities") == 4  # Bjørn, Mette, Kasper, Tove
    assert count(store, "SELECT count(*) FROM posts WHERE text LIKE 'Nyt år, nyt \"surdejs\"-kursus%'") == 1


def test_second_import_adds_nothing(store, tmp_path: Path) -> None:
    ingest_path(store, NEW)
    before = totals(store)
    assert ingest_path(store, NEW).status == "unchanged"
    same = copy(NEW, tmp_path / "same")
    (same / "Reactions.csv").write_text("Date,Type,Link\n")  # read again
    again = ingest_path(store, same)
    assert again.status == "ok" and again.total_new == 0 and again.new_posts == 0
    assert totals(store)[:5] == before[:5]


def test_overlapping_newer_export_adds_only_new_rows(store, tmp_path: Path) -> None:
    ingest_path(store, NEW)
    later = copy(NEW, tmp_path / "later")
    _append(later / "Connections.csv", "Tove,Lindqvist,https://www.linkedin.com/in/tovelindqvist,,,,12 Jan 2024")
    _append(later / "messages.csv", "2-YWJjMTIz==,,Bjørn Åkesson,https://www.linkedin.com/in/bjorn-aakesson,"
            f"{ME},https://www.linkedin.com/in/sigrid-oestergaard,2024-04-01 08:00:00 UTC,,Tak!,INBOX")
    summary = ingest_path(store, later)
    assert summary.new_interactions == {"follow": 1, "dm": 1} and summary.new_posts == 0
    assert summary.duplicates == 8


def test_bad_rows_are_rejected_with_their_line(store, tmp_path: Path) -> None:
    export = copy(NEW, tmp_path / "export")
    _append(export / "Connections.csv",
            "Ada,Holm,https://www.linkedin.com/in/adaholm,,,,sometime",  # line 8 (Notes: preamble, header on 4)
            "Only,Three,Fields")  # line 9
    _append(export / "Invitations.csv", f"Ada Holm,{ME},\"1/11/24, 9:00 AM\",,SIDEWAYS,,")  # line 3
    summary = ingest_path(store, export)
    assert summary.status == "partial" and summary.rejected == 3
    assert sorted((Path(r.file).name, r.record, r.reason) for r in summary.rejects) == [
        ("Connections.csv", "line 8", "unreadable timestamp 'sometime'"),
        ("Connections.csv", "line 9", "3 fields where the header has 7"),
        ("Invitations.csv", "line 3", "direction must be INCOMING or OUTGOING, not 'SIDEWAYS'"),
    ]
    assert interactions(store, "linkedin")[("follow", "in")] == 3


def test_truncated_files_are_a_source_error_and_the_store_is_unchanged(store, tmp_path: Path) -> None:
    ingest_path(store, NEW)
    before = totals(store)
    cut_csv = copy(NEW, tmp_path / "cut_csv")
    shares = cut_csv / "Shares.csv"
    data = shares.read_bytes()
    shares.write_bytes(data[: data.index(b'"Nyt') + 10])  # ends inside the quoted commentary
    with pytest.raises(SourceError, match="Shares.csv.*truncated"):
        ingest_path(store, cut_csv)
    cut_utf16 = copy(OLD, tmp_path / "cut_utf16")
    shares = cut_utf16 / "Shares.csv"
    shares.write_bytes(shares.read_bytes()[:-1])  # half a UTF-16 character
    with pytest.raises(SourceError, match="Shares.csv"):
        ingest_path(store, cut_utf16)
    assert totals(store) == before


def test_wrong_format_is_refused_before_writing(store, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a LinkedIn export"):
        ingest_path(store, FIXTURES / "facebook" / "export_v1", fmt="linkedin")
    (tmp_path / "Connections.csv").write_text("name,followers\nada,3\n")
    with pytest.raises(SourceError, match="Connections.csv: not a LinkedIn table"):
        ingest_path(store, tmp_path / "Connections.csv", fmt="linkedin")
    assert count(store, "SELECT count(*) FROM imports") == 0


def test_own_account_without_profile(store, tmp_path: Path) -> None:
    export = copy(OLD, tmp_path / "export")
    (export / "Profile.csv").unlink()
    ingest_path(store, export)  # the sender of the OUTGOING message
    assert store.con.execute("SELECT DISTINCT account FROM interactions").fetchall() == [(ME,)]
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "Connections.csv").write_bytes((OLD / "Connections.csv").read_bytes())
    with pytest.raises(SourceError, match="pass --account"):
        ingest_path(store, lone)
    assert ingest_path(store, lone, account=ME).duplicates == 4


# -- the real sample (../shared/data) ----------------------------------------------------------
@pytest.mark.shared_data
def test_real_export(store, shared_data: Path) -> None:
    folder = shared_data / "exports" / "linkedin"
    with ExportFiles(folder) as files:
        assert detect(files) == "linkedin"
        linkedin.check(files)
    summary = ingest_path(store, folder)
    assert summary.format == "linkedin" and summary.rejected == 0
    assert store.con.execute("SELECT handle FROM accounts").fetchall() == [("Abhishek Mathur",)]
    assert interactions(store, "linkedin") == {
        ("follow", "in"): 41,  # Connections.csv
        ("dm", "in"): 16, ("dm", "out"): 9,  # the 25 rows of Messages.csv
        ("invitation", "in"): 7, ("invitation", "out"): 4,  # the 11 rows of Invitations.csv
    }
    assert posts(store, "linkedin") == {"post": 5}  # Shares.csv (UTF-16, TAB) has 5 rows, not ~10
    span = store.con.execute("SELECT min(ts), max(ts) FROM posts").fetchone()
    assert (span[0].year, span[1].year) == (2015, 2017)
    assert count(store, "SELECT count(*) FROM identities WHERE email = 'redacted@example.invalid'") == 41


def test_the_parser_alone_reads_the_fixture() -> None:
    """linkedin.read() on export_2024, with no store: what it yields, and one connection from Connections.csv."""
    from tests.sources._util import parsed, record_counts
    from tiescale.records import Interaction

    records = parsed(linkedin, FIXTURES / "linkedin" / "export_2024")
    assert record_counts(records) == {
        "AccountInfo": 1, "PersonInfo": 8, "follow/in": 3, "dm/in": 1, "dm/out": 3, "invitation/out": 1,
        "post/post": 1, "post/comment": 1,
    }
    # "Bjørn,Åkesson,https://www.linkedin.com/in/bjorn-aakesson,,Åkesson Mølle,Miller,08 Jan 2018"
    connected = next(r for r in records if isinstance(r, Interaction) and r.kind == "follow")
    assert (connected.person, connected.person_name) == ("https://www.linkedin.com/in/bjorn-aakesson", "Bjørn Åkesson")
    assert (connected.account, connected.direction, connected.id) == ("Sigrid Østergaard", "in", "connected:2018-01-08")
    assert connected.ts == datetime(2018, 1, 8, tzinfo=timezone.utc)
