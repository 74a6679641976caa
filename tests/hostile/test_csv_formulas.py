"""Issue 18, point 7: every CSV tiescale writes neutralises spreadsheet formulas (OWASP's rule)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.hostile._util import query, run

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0", "+1+2", "@SUM(A1)", "-2+3",
            "\tTAB", "'=already quoted"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _dangerous(cell: str) -> bool:
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    events = tmp_path / "events.csv"
    lines = ["ts,account,person,direction,kind,id,text"]
    for n, formula in enumerate(FORMULAS):
        person = formula.replace('"', '""')
        for d in range(1, 4):
            lines.append(f'2024-03-0{d}T1{n}:00:00Z,brand,"{person}",in,dm,i{n}-{d},"{person}"')
            lines.append(f'2024-03-0{d}T1{n}:30:00Z,brand,"{person}",out,dm,o{n}-{d},"thanks {n}"')
    events.write_text("\n".join(lines) + "\n")
    code, _, err = run(path, "ingest", str(events))
    assert code == 0, err
    return path


@pytest.mark.parametrize("args", [("people", "--format", "csv", "--limit", "0"),
                                  ("queue", "--format", "csv", "--limit", "0"),
                                  ("export", "events")])
def test_no_cell_starts_a_formula(db: Path, args: tuple[str, ...]) -> None:
    code, out, err = run(db, *args)
    assert code == 0, err
    cells = _cells(out)
    assert cells
    assert not [c for c in cells if _dangerous(c)]


def test_people_csv_keeps_the_value_after_the_quote(db: Path) -> None:
    code, out, _ = run(db, "people", "--format", "csv", "--limit", "0")
    assert code == 0
    cells = set(_cells(out))
    assert "'=cmd|' /C calc'!A0" in cells


def test_exported_formulas_come_back_as_they_were(db: Path, tmp_path: Path) -> None:
    """Neutralised on the way out, restored on the way in: export then ingest keeps every text."""
    exported = tmp_path / "out.csv"
    assert run(db, "export", "events", "--output", str(exported))[0] == 0
    again = tmp_path / "again.duckdb"
    code, _, err = run(again, "ingest", str(exported))
    assert code == 0, err
    texts = "SELECT text FROM interactions ORDER BY text"
    assert query(again, texts) == query(db, texts)
