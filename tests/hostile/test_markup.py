"""Issue 18, point 4: text from data never reaches Rich as markup (names, texts, paths, members)."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.hostile._util import run

NASTY = "ann[/]smith"
ROWS = [
    f"2024-03-0{d}T10:00:00Z,brand,{NASTY},in,dm,i{d},[bold]hi[/] [/red] :smile: [link=http://x]y[/link]\n"
    for d in range(1, 8)
] + [
    f"2024-03-0{d}T11:00:00Z,brand,{NASTY},out,dm,o{d},thanks [/]\n" for d in range(1, 8)
] + [
    "2024-03-02T10:00:00Z,brand,ann,in,reply,r1,a reply\n",
    "2024-03-02T11:00:00Z,brand,brand,out,post,p1,[/] buy now [red]\n",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    events = tmp_path / "events.csv"
    events.write_text("ts,account,person,direction,kind,id,text\n" + "".join(ROWS))
    code, _, err = run(path, "ingest", str(events))
    assert code == 0, err
    return path


@pytest.mark.parametrize("args", [
    ("people",), ("person", NASTY), ("merge",), ("content",), ("responsiveness",), ("queue",),
    ("people", "--format", "csv"), ("imports",), ("imports", "--rejects"),
])
def test_markup_in_names_and_texts_does_not_break_a_command(db: Path, args: tuple[str, ...]) -> None:
    code, out, err = run(db, *args)
    assert code == 0, err
    assert "MarkupError" not in out + err


def test_a_person_named_with_markup_is_shown_as_written(db: Path) -> None:
    code, out, _ = run(db, "people", "--format", "json")
    assert code == 0
    assert NASTY in out
    code, out, _ = run(db, "person", NASTY)
    assert code == 0
    assert NASTY in out


def test_a_path_with_markup_imports_and_prints_then_imports_lists_it(tmp_path: Path) -> None:
    (tmp_path / "exp[").mkdir()  # the path ``exp[/]events.csv``: a folder ``exp[``, a file ``]events.csv``
    events = tmp_path / "exp[/]events.csv"
    events.write_text("ts,account,person,direction,kind,id\n2024-01-01T00:00:00Z,brand,ann,in,reply,1\n")
    db = tmp_path / "s.duckdb"
    code, out, err = run(db, "ingest", str(events))
    assert code == 0, err
    assert "exp[/]events.csv" in out
    code, out, err = run(db, "imports")
    assert code == 0, err
    code, out, err = run(db, "imports", "--format", "json")
    assert code == 0, err
    assert "exp[/]events.csv" in out


def test_a_zip_member_with_markup_is_a_clean_refusal(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../[/]x.txt", "hello")
    code, _, err = run(tmp_path / "s.duckdb", "ingest", str(archive))
    assert code == 2, err
    assert "[/]x.txt" in err and "escapes" in err
