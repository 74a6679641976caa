"""The canonical events format (DESIGN.md section 2): CSV, JSON Lines or Parquet.

CSV and Parquet files on disk take a fast path: DuckDB reads and validates them straight
into the stage table. JSON Lines (and members of a zip) go through the Python reader.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Iterator

import duckdb

from ..records import Interaction, Rejected, Record, SourceError
from ..timeparse import BadTimestamp, parse_ts, plausibility_problem
from . import ReadOptions
from ._files import MAX_LINE_BYTES, ExportFiles, decode_text

FORMAT = "events"
REQUIRED = ("ts", "account", "person", "direction", "kind")
OPTIONAL = ("platform", "id", "text", "in_reply_to", "thread")
SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def _kind_of(name: str) -> str | None:
    return SUFFIXES.get(Path(name).suffix.lower())


def _columns(files: ExportFiles, name: str) -> list[str] | None:
    """Column names of one member, or ``None`` when it cannot be read as a table."""
    kind = _kind_of(name)
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


def _members(files: ExportFiles) -> list[str]:
    return [n for n in files.names() if _kind_of(n)]


def detect(files: ExportFiles) -> bool:
    members = _members(files)
    return len(members) == len(files.names()) > 0 and all(
        set(REQUIRED) <= set(_columns(files, m) or ()) for m in members
    )


def check(files: ExportFiles) -> None:
    """Refuse, before anything is written, a file that is not in the events format."""
    members = _members(files)
    if not members:
        raise SourceError(str(files.path), "not a canonical events file (.csv, .jsonl or .parquet expected)")
    for member in members:
        columns = _columns(files, member)
        if columns is None:
            raise SourceError(files.display(member), "cannot read the header row as a canonical events table")
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise SourceError(files.display(member), f"missing required column(s): {', '.join(missing)}", "header")


# -- the fast path ---------------------------------------------------------------------------
def stage_fast(con: duckdb.DuckDBPyConnection, files: ExportFiles, options: ReadOptions, label: str, now: datetime) -> bool:
    """Stage CSV and Parquet members with DuckDB; returns False when the Python path must run."""
    members = _members(files)
    if any(_kind_of(m) == "jsonl" for m in members):
        return False
    for member in members:
        with _on_disk(files, member) as local:
            _stage_member(con, local, _kind_of(member) or "csv", files.display(member), options)
    return True


class _on_disk:
    """A member as a local file path (zip members are copied to a temporary file)."""

    def __init__(self, files: ExportFiles, member: str) -> None:
        self.files, self.member, self.tmp = files, member, None

    def __enter__(self) -> str:
        if self.files.path.is_dir():
            return str(self.files.path / self.member)
        if self.files.path.is_file() and not self.files._zip:  # noqa: SLF001
            return str(self.files.path)
        self.tmp = tempfile.NamedTemporaryFile(suffix=Path(self.member).suffix, delete=False)
        with self.files.open_binary(self.member) as src:
            shutil.copyfileobj(src, self.tmp)
        self.tmp.close()
        return self.tmp.name

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            Path(self.tmp.name).unlink(missing_ok=True)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ts_expr(column_type: str) -> str:
    if column_type.startswith("TIMESTAMP"):
        return "ts::TIMESTAMPTZ"
    if column_type in ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "UBIGINT", "HUGEINT", "DECIMAL"):
        return "to_timestamp(CASE WHEN abs(ts) > 1e11 THEN ts / 1000 ELSE ts END)"
    return """CASE WHEN try_cast(ts AS DOUBLE) IS NOT NULL
        THEN try(to_timestamp(CASE WHEN abs(ts::DOUBLE) > 1e11 THEN ts::DOUBLE / 1000 ELSE ts::DOUBLE END))
        ELSE try_cast(trim(ts::VARCHAR) AS TIMESTAMPTZ) END"""


def _stage_member(con: duckdb.DuckDBPyConnection, local: str, kind: str, display: str, options: ReadOptions) -> None:
    path = _sql_literal(local)
    if kind == "parquet":
        source = f"read_parquet({path})"
    else:
        source = (
            f"read_csv({path}, header = true, all_varchar = true, ignore_errors = true, "
            f"store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_scans', "
            f"max_line_size = {MAX_LINE_BYTES}, null_padding = false)"
        )
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        described = {r[0].strip().lower(): r[1] for r in rows}
        actual = {r[0].strip().lower(): '"' + r[0].replace('"', '""') + '"' for r in rows}
    except duckdb.Error as exc:
        raise SourceError(display, f"cannot read the file ({str(exc).splitlines()[0][:200]})") from None
    missing = [c for c in REQUIRED if c not in described]
    if missing:
        raise SourceError(display, f"missing required column(s): {', '.join(missing)}", "header")
    optional = {c: (actual[c] if c in described else "NULL") for c in OPTIONAL}
    req = {c: actual[c] for c in REQUIRED}
    offset = con.execute("SELECT coalesce(max(seq), 0) FROM stage_interactions").fetchone()[0]
    account_default = _sql_literal(options.account) if options.account else "NULL"
    first_row_line = 2 if kind == "csv" else 1
    row_word = "line" if kind == "csv" else "row"
    try:
        con.execute(f"""
            INSERT INTO stage_interactions
            SELECT seq, platform, account, person, ts, direction, kind, item_id, text, in_reply_to, thread,
                   NULL, {_sql_literal(display)},
                   '{row_word} ' || (seq - {offset} + {first_row_line - 1}),
                   CASE
                     WHEN ts_raw IS NULL OR trim(ts_raw::VARCHAR) = '' THEN 'missing ts'
                     WHEN ts IS NULL THEN 'unreadable timestamp ' || left(ts_raw::VARCHAR, 60)
                     WHEN ts < TIMESTAMPTZ '1990-01-01' THEN 'timestamp ' || ts_raw::VARCHAR || ' is before 1990'
                     WHEN ts > now() + INTERVAL 1 DAY THEN 'timestamp ' || ts_raw::VARCHAR || ' is in the future'
                     WHEN account IS NULL OR account = '' THEN 'missing account'
                     WHEN person IS NULL OR person = '' THEN 'missing person'
                     WHEN direction IS NULL OR direction NOT IN ('in', 'out')
                       THEN 'direction must be in or out, not ' || coalesce(direction, 'empty')
                     WHEN kind IS NULL OR kind = '' THEN 'missing kind'
                   END
            FROM (
                SELECT {offset} + row_number() OVER () AS seq,
                       coalesce(nullif(trim(platform::VARCHAR), ''), 'generic') AS platform,
                       coalesce(nullif(trim(account::VARCHAR), ''), {account_default}) AS account,
                       trim(person::VARCHAR) AS person,
                       {_ts_expr(described['ts'])} AS ts, ts AS ts_raw,
                       lower(trim(direction::VARCHAR)) AS direction, lower(trim(kind::VARCHAR)) AS kind,
                       nullif(id::VARCHAR, '') AS item_id, text::VARCHAR AS text,
                       nullif(in_reply_to::VARCHAR, '') AS in_reply_to, nullif(thread::VARCHAR, '') AS thread
                FROM (SELECT {req['ts']} AS ts, {req['account']} AS account, {req['person']} AS person,
                             {req['direction']} AS direction, {req['kind']} AS kind, {optional['platform']} AS platform,
                             {optional['id']} AS id, {optional['text']} AS text,
                             {optional['in_reply_to']} AS in_reply_to, {optional['thread']} AS thread
                      FROM {source})
            )
        """)
    except duckdb.Error as exc:
        raise SourceError(display, f"cannot read the file ({str(exc).splitlines()[0][:200]})") from None
    if kind == "csv":
        _collect_csv_rejects(con, display)


def _collect_csv_rejects(con: duckdb.DuckDBPyConnection, display: str) -> None:
    try:
        rows = con.execute(
            "SELECT line, error_type, left(error_message, 160) FROM csv_rejects ORDER BY line"
        ).fetchall()
    except duckdb.Error:
        return
    for line, error_type, message in rows:
        reason = {
            "INVALID ENCODING": "bytes that are not UTF-8",
            "INVALID UNICODE": "bytes that are not UTF-8",
            "TOO MANY COLUMNS": "more fields than the header",
            "MISSING COLUMNS": "fewer fields than the header",
            "LINE SIZE OVER MAXIMUM": "line longer than the cap",
            "UNQUOTED VALUE": "badly quoted field",
        }.get(str(error_type).replace("_", " ").upper(), message.splitlines()[0] if message else str(error_type))
        con.execute("INSERT INTO stage_rejects VALUES (?, ?, ?)", [display, f"line {line}", reason])
    con.execute("DROP TABLE IF EXISTS csv_rejects")
    con.execute("DROP TABLE IF EXISTS csv_scans")


# -- the Python path (JSON Lines) ---------------------------------------------------------------
def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    for member in _members(files):
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
            if not isinstance(value, dict):
                yield Rejected(display, f"line {number}", "not a JSON object")
                continue
            yield _row_to_interaction(value, display, f"line {number}", options)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _row_to_interaction(row: dict[str, object], display: str, ref: str, options: ReadOptions) -> Record:
    if _text(row.get("ts")) is None:
        return Rejected(display, ref, "missing ts")
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
