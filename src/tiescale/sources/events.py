"""The canonical events format (README.md, "The canonical events format"): CSV, JSON Lines or Parquet.

A pure parser like every other. CSV and Parquet files also have a faster way into the store
(DuckDB reads and validates them straight into the stage tables): that is the store's
business, :mod:`tiescale.store.events_fast_path`, declared in :mod:`tiescale.store.import_formats`.
"""
from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from collections.abc import Iterator

from ..records import Interaction, Rejected, Record, SourceError
from ..timeparse import BadTimestamp, parse_ts, plausibility_problem
from ._files import ExportFiles, decode_text
from ._values import restore_formula
from .contract import ReadOptions

FORMAT = "events"
#: Columns every member must have, and the ones it may have.
REQUIRED = ("ts", "account", "person", "direction", "kind")
OPTIONAL = ("platform", "id", "text", "in_reply_to", "thread")
#: The ``ts`` of an undated interaction (a like: exports give no time), as ``export events`` writes it.
UNDATED = "undated"
SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def member_kind(name: str) -> str | None:
    """``csv``, ``jsonl`` or ``parquet`` by the member's suffix; ``None`` for any other file."""
    return SUFFIXES.get(Path(name).suffix.lower())


def _columns(files: ExportFiles, name: str) -> list[str] | None:
    """Column names of one member, or ``None`` when it cannot be read as a table."""
    kind = member_kind(name)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            with files.open_binary(name) as handle:
                return list(pq.ParquetFile(handle).schema_arrow.names)
        for _, line in files.iter_lines(name, cap=1024 * 1024):
            if line is None:
                return None
            text = line.decode("utf-8-sig", errors="replace").strip()
            if kind == "csv":
                import csv

                return [c.strip().lower() for c in next(csv.reader([text]))]
            value = json.loads(text)
            return list(value) if isinstance(value, dict) else None
    except Exception:
        return None
    return None


def members(files: ExportFiles) -> list[str]:
    """The members that are event tables (by suffix)."""
    return [n for n in files.names() if member_kind(n)]


def detect(files: ExportFiles) -> bool:
    found = members(files)
    return len(found) == len(files.names()) > 0 and all(
        set(REQUIRED) <= set(_columns(files, m) or ()) for m in found
    )


def check(files: ExportFiles) -> None:
    """Refuse, before anything is written, a file that is not in the events format."""
    found = members(files)
    if not found:
        raise SourceError(str(files.path), "not a canonical events file (.csv, .jsonl or .parquet expected)")
    for member in found:
        columns = _columns(files, member)
        if columns is None:
            raise SourceError(files.display(member), "cannot read the header row as a canonical events table")
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise SourceError(files.display(member), f"missing required column(s): {', '.join(missing)}", "header")


# -- the Python path ------------------------------------------------------------------------------
def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    """Every member as records: JSON Lines always; CSV and Parquet when the fast path declines.

    The store's fast path reads CSV and Parquet faster; it declines a file with lines over the
    cap or rows far wider than the header (:func:`tiescale.sources._files.csv_needs_care`), and
    folders that mix JSON Lines in. Here every such line is one rejected record.
    """
    for member in members(files):
        kind = member_kind(member)
        if kind == "csv":
            yield from _read_csv(files, member, options)
        elif kind == "parquet":
            yield from _read_parquet(files, member, options)
        else:
            yield from _read_jsonl(files, member, options)


def _read_jsonl(files: ExportFiles, member: str, options: ReadOptions) -> Iterator[Record]:
    display = files.display(member)
    for number, raw in files.iter_lines(member):
        if raw is None:
            yield Rejected(display, f"line {number}", "line longer than the cap")
            continue
        if not raw.strip():
            continue
        try:
            value = json.loads(decode_text(raw, display))
        except SourceError:
            yield Rejected(display, f"line {number}", "bytes that are not UTF-8")
            continue
        except json.JSONDecodeError as exc:
            yield Rejected(display, f"line {number}", f"malformed JSON ({exc.msg})")
            continue
        except RecursionError:
            yield Rejected(display, f"line {number}", "JSON nested too deeply")
            continue
        if not isinstance(value, dict):
            yield Rejected(display, f"line {number}", "not a JSON object")
            continue
        yield _row_to_interaction(value, display, f"line {number}", options)


def _read_csv(files: ExportFiles, member: str, options: ReadOptions) -> Iterator[Record]:
    """CSV rows, each line bounded by the line cap; a row of the wrong width is one reject."""
    display = files.display(member)
    unreadable: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for number, raw in files.iter_lines(member):
            if raw is None:
                unreadable[number] = "line longer than the cap"
                yield "\n"  # an empty line stands in: the reader counts it, nothing is parsed
                continue
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8") + "\n"
            except UnicodeDecodeError:
                unreadable[number] = "bytes that are not UTF-8"
                yield "\n"

    source = lines()
    first = next(source, None)
    if first is None:
        return
    separator = "\t" if member.lower().endswith(".tsv") else max(",\t;|", key=first.count)
    columns = [c.strip().lower() for c in next(csv.reader([first], delimiter=separator), [])]
    reader = csv.reader(source, delimiter=separator)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Rejected(display, f"line {reader.line_num + 1}", f"unreadable CSV ({str(exc)[:80]})")
            continue
        ref = f"line {reader.line_num + 1}"
        if reader.line_num + 1 in unreadable:
            yield Rejected(display, ref, unreadable.pop(reader.line_num + 1))
            continue
        if not row:
            continue
        if len(row) != len(columns):
            yield Rejected(display, ref, f"{len(row):,} fields where the header has {len(columns)}")
            continue
        # cells tiescale's own CSV export neutralised ('=...) are read back as they were
        values: dict[str, object] = {c: (restore_formula(v) if v != "" else None) for c, v in zip(columns, row)}
        yield _row_to_interaction(values, display, ref, options)


def _read_parquet(files: ExportFiles, member: str, options: ReadOptions) -> Iterator[Record]:
    import pyarrow.parquet as pq

    display = files.display(member)
    number = 0
    with files.open_binary(member) as handle:
        try:
            table = pq.ParquetFile(handle)
            for batch in table.iter_batches(batch_size=10_000):
                for row in batch.to_pylist():
                    number += 1
                    named = {str(k).strip().lower(): v for k, v in row.items()}
                    yield _row_to_interaction(named, display, f"row {number}", options)
        except (OSError, ValueError) as exc:
            raise SourceError(display, f"cannot read the file ({str(exc)[:160]})") from None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _row_to_interaction(row: dict[str, object], display: str, ref: str, options: ReadOptions) -> Record:
    if _text(row.get("ts")) is None:
        return Rejected(display, ref, "missing ts")
    ts: datetime | None = None
    if str(row["ts"]).strip().lower() != UNDATED:
        try:
            ts = parse_ts(row["ts"])
        except BadTimestamp as exc:
            return Rejected(display, ref, str(exc))
        if problem := plausibility_problem(ts):
            return Rejected(display, ref, problem)
    direction = (_text(row.get("direction")) or "").lower()
    account = _text(row.get("account")) or options.account
    for name, value in (("account", account), ("person", _text(row.get("person"))), ("kind", _text(row.get("kind")))):
        if value is None:
            return Rejected(display, ref, f"missing {name}")
    if direction not in ("in", "out"):
        return Rejected(display, ref, f"direction must be in or out, not {direction or 'empty'}")
    text = row.get("text")
    return Interaction(
        ts=ts, platform=_text(row.get("platform")) or "generic", account=account or "",
        person=_text(row.get("person")) or "", direction=direction, kind=(_text(row.get("kind")) or "").lower(),
        id=_text(row.get("id")), text=None if text is None else str(text),
        in_reply_to=_text(row.get("in_reply_to")), thread=_text(row.get("thread")),
    )
