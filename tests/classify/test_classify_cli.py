"""`tiescale classify`: lines, CSV with a text column, stdin; one row per input, in order."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from tiescale.classify import classify_texts
from tiescale.surfaces.cli import main

DRAFTS = [
    "Use code SPRING20 for 20% off all plants this weekend! https://shop.example.com/sale",
    "What are you brewing this morning?",
    "Tip: store beans in an airtight jar, away from light.",
    "Thanks @maya for the lovely photo!",
]


def run(args: list[str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, args, input=stdin, catch_exceptions=False)


def test_lines_file_csv_output_one_row_per_input_in_order(tmp_path: Path) -> None:
    path = tmp_path / "drafts.txt"
    path.write_text("\n".join(DRAFTS[:2]) + "\n\n" + "\n".join(DRAFTS[2:]) + "\n", encoding="utf-8")
    result = run(["classify", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["text"] for r in rows] == DRAFTS  # the blank line is not an input
    assert list(rows[0])[:4] == ["input", "label", "confidence", "cues"]
    expected = classify_texts(DRAFTS)
    assert [r["label"] for r in rows] == [v.label for v in expected]
    assert [float(r["confidence"]) for r in rows] == [v.confidence for v in expected]
    assert rows[0]["cues"] == "; ".join(expected[0].cues)


def test_csv_with_a_text_column_from_stdin_as_json() -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "Text", "channel"])
    for n, text in enumerate(DRAFTS):
        writer.writerow([n, text, "x"])
    writer.writerow([9, "", "x"])
    result = run(["classify", "-", "--format", "json"], stdin=buffer.getvalue())
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["text"] for r in rows] == DRAFTS + [""]
    assert [r["input"] for r in rows] == [1, 2, 3, 4, 5]
    assert all(r["label"] in ("promotional", "relational", "value") and isinstance(r["cues"], list) for r in rows)
    assert rows[0]["label"] == "promotional" and rows[-1]["cues"] == ["empty text"]


def test_table_for_humans_and_no_argument_reads_stdin() -> None:
    result = run(["classify"], stdin="Buy now, 2 for $10\nHappy birthday Sam!\n")
    assert result.exit_code == 0
    assert "promotional" in result.output and "relational" in result.output


def test_bad_inputs_are_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["classify", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "missing.txt: no such file" in result.output
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    result = CliRunner().invoke(main, ["classify", str(binary)])
    assert result.exit_code == 2 and "binary file" in result.output


def test_limit_keeps_the_first_inputs(tmp_path: Path) -> None:
    path = tmp_path / "drafts.txt"
    path.write_text("\n".join(DRAFTS), encoding="utf-8")
    rows = json.loads(run(["classify", str(path), "--format", "json", "--limit", "2"]).output)
    assert [r["text"] for r in rows] == DRAFTS[:2]
