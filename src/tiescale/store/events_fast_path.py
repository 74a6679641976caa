"""The events fast path: CSV and Parquet files of the canonical events format, staged by DuckDB.

The parser (:mod:`tiescale.sources.events`) reads every member as Python records; for CSV and
Parquet files this module does the same work in one SQL pass straight into the stage tables
(normalised columns, why a row is refused, the load's key hash), which is an order of magnitude
faster. It is declared as the events format's ``fast_path`` in :mod:`.import_formats`; the
ingest falls back to the parser when it declines (JSON Lines members).
"""
from __future__ import annotations

import json
from typing import Any
from collections.abc import Callable

import duckdb

from ..records import DIRECTIONS, KNOWN_KINDS, SourceError
from ..sources import MAX_LINE_BYTES, ExportFiles, ReadOptions
from ..sources.events import OPTIONAL, REQUIRED, member_kind, members
from .load import KEY_HASH_SQL


def stage_events_fast(con: duckdb.DuckDBPyConnection, files: ExportFiles, options: ReadOptions) -> bool:
    """Stage CSV and Parquet members with DuckDB; returns False when the parser must run instead."""
    found = members(files)
    if any(member_kind(m) == "jsonl" for m in found):
        return False
    for member in found:
        with files.on_disk(member) as local:
            _stage_member(con, str(local), member_kind(member) or "csv", files.display(member), options)
    return True


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row (the stage connection is a bare DuckDB connection here)."""
    found = con.execute(sql, params or []).fetchone()
    return found[0] if found else None


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ts_expr(column_type: str) -> str:
    """``ts`` as TIMESTAMPTZ, NULL when unreadable (an infinite value is unreadable too)."""
    if column_type.startswith("TIMESTAMP"):
        return "ts::TIMESTAMPTZ"
    if column_type in ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "UBIGINT", "HUGEINT", "DECIMAL"):
        return "try(to_timestamp(CASE WHEN abs(ts) > 1e11 THEN ts / 1000 ELSE ts END))"
    # Text: ISO first (the common case, and no string reads both as a finite time and a number),
    # then trimmed ISO (the cast refuses some trailing spaces), then unix seconds or milliseconds.
    return """coalesce(
        try_cast(ts::VARCHAR AS TIMESTAMPTZ),
        try_cast(trim(ts::VARCHAR) AS TIMESTAMPTZ),
        CASE WHEN try_cast(ts::VARCHAR AS DOUBLE) IS NOT NULL
             THEN try(to_timestamp(CASE WHEN abs(ts::VARCHAR::DOUBLE) > 1e11 THEN ts::VARCHAR::DOUBLE / 1000
                                        ELSE ts::VARCHAR::DOUBLE END)) END)"""


def _trimmed(column: str) -> str:
    """``trim(column)``, without copying the (nearly all) values that have no space to trim."""
    return f"CASE WHEN {column} LIKE ' %' OR {column} LIKE '% ' THEN trim({column}) ELSE {column} END"


def _lowered(column: str, usual: tuple[str, ...]) -> str:
    """``lower(trim(column))``, skipped for values already in their usual form.

    An OR of equalities, not ``IN (...)``: DuckDB plans a long IN list as a join, and a join
    would lose the file's row order in the stage insert.
    """
    usual_form = " OR ".join(f"{column} = {_sql_literal(v)}" for v in usual)
    return f"CASE WHEN {usual_form} THEN {column} ELSE lower(trim({column})) END"


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
    account_default = _sql_literal(options.account) if options.account else "NULL"
    # Each row's position in the file (for the few reject messages). Parquet gives it
    # (file_row_number). For CSV it is the row's rowid in the stage: DuckDB's order-preserving
    # parallel insert (BATCH_INSERT) appends the rows in file order, at contiguous rowids, so no
    # row_number() window (which runs on one thread) is needed. Should a plan ever insert
    # otherwise, the window numbers the rows instead.
    numbered = kind == "parquet" and "file_row_number" not in described
    if numbered:
        source = f"read_parquet({path}, file_row_number = true)"
        seq = "file_row_number + 1"
    else:
        seq = "NULL::BIGINT"
    insert = _stage_insert(source, seq, req, optional, described["ts"], account_default)
    restore = _keep_insertion_order(con)
    try:
        if not numbered and "BATCH_INSERT" not in _operators(con, insert):
            numbered = True
            insert = _stage_insert(source, "row_number() OVER ()", req, optional, described["ts"], account_default)
        inserted = _scalar(con, insert)
    except duckdb.Error as exc:
        raise SourceError(display, f"cannot read the file ({str(exc).splitlines()[0][:200]})") from None
    finally:
        restore()
    csv_rejects = kind == "csv" and _has_table(con, "csv_rejects")
    if inserted:
        if numbered:
            position = "seq"
        else:
            last_rowid = _scalar(con, "SELECT max(rowid) FROM stage_interactions")
            position = f"rowid - {last_rowid - inserted}"
        _name_rejected_rows(con, position, display, kind, csv_rejects)
    if csv_rejects:
        _collect_csv_rejects(con, display)


def _stage_insert(
    source: str, seq: str, req: dict[str, str], optional: dict[str, str], ts_type: str, account_default: str
) -> str:
    """One pass over the file: normalised columns, why a row is refused, the load's key hash."""
    return f"""
        INSERT INTO stage_interactions (seq, platform, account, person, ts, direction, kind, item_id, text,
                                        in_reply_to, thread, reject_reason, key_hash)
        SELECT seq, platform, account, person, ts, direction, kind, item_id, text, in_reply_to, thread,
               reject_reason, CASE WHEN reject_reason IS NULL THEN {KEY_HASH_SQL} END
        FROM (
            SELECT *,
                   CASE
                     WHEN ts IS NULL OR NOT isfinite(ts) THEN
                       CASE WHEN ts_raw IS NULL OR trim(ts_raw::VARCHAR) = '' THEN 'missing ts'
                            ELSE 'unreadable timestamp ' || left(ts_raw::VARCHAR, 60) END
                     WHEN ts < TIMESTAMPTZ '1990-01-01' THEN 'timestamp ' || ts_raw::VARCHAR || ' is before 1990'
                     WHEN ts > now() + INTERVAL 1 DAY THEN 'timestamp ' || ts_raw::VARCHAR || ' is in the future'
                     WHEN account IS NULL OR account = '' THEN 'missing account'
                     WHEN person IS NULL OR person = '' THEN 'missing person'
                     WHEN direction IS NULL OR NOT (direction = 'in' OR direction = 'out')
                       THEN 'direction must be in or out, not ' || coalesce(direction, 'empty')
                     WHEN kind IS NULL OR kind = '' THEN 'missing kind'
                   END AS reject_reason
            FROM (
                SELECT {seq} AS seq,
                       coalesce(nullif({_trimmed('platform::VARCHAR')}, ''), 'generic') AS platform,
                       coalesce(nullif({_trimmed('account::VARCHAR')}, ''), {account_default}) AS account,
                       {_trimmed('person::VARCHAR')} AS person,
                       {_ts_expr(ts_type)} AS ts, ts AS ts_raw,
                       {_lowered('direction::VARCHAR', DIRECTIONS)} AS direction,
                       {_lowered('kind::VARCHAR', KNOWN_KINDS)} AS kind,
                       nullif(id::VARCHAR, '') AS item_id, text::VARCHAR AS text,
                       nullif(in_reply_to::VARCHAR, '') AS in_reply_to, nullif(thread::VARCHAR, '') AS thread
                FROM (SELECT {"file_row_number, " if "file_row_number" in seq else ""}
                             {req['ts']} AS ts, {req['account']} AS account, {req['person']} AS person,
                             {req['direction']} AS direction, {req['kind']} AS kind, {optional['platform']} AS platform,
                             {optional['id']} AS id, {optional['text']} AS text,
                             {optional['in_reply_to']} AS in_reply_to, {optional['thread']} AS thread
                      FROM {source})
            )
        )
    """


def _operators(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """The physical operators DuckDB plans for ``sql``."""
    plan = con.execute("EXPLAIN (FORMAT json) " + sql).fetchall()[0][1]
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("name"), str):
                found.add(node["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(plan))
    return found


def _keep_insertion_order(con: duckdb.DuckDBPyConnection) -> Callable[[], object]:
    """Make sure the stage insert keeps the file's order; returns how to restore the setting."""
    value = _scalar(con, "SELECT current_setting('preserve_insertion_order')")
    if value:
        return lambda: None
    con.execute("SET preserve_insertion_order = true")
    return lambda: con.execute("SET preserve_insertion_order = false")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(_scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [name]))


def _name_rejected_rows(con: duckdb.DuckDBPyConnection, position: str, display: str, kind: str, csv_rejects: bool) -> None:
    """Give the rows of this file refused above their file and ``line N`` / ``row N``.

    Only those rows (few) are touched; ``position`` is the SQL for a stage row's 1-based place
    among the rows DuckDB read from the file. CSV lines count like DuckDB's own reject lines
    (the header is line 1, one record is one line), so a row's line number also counts the
    malformed records DuckDB skipped before it, found in its rejects table.
    """
    if kind != "csv":
        record = "'row ' || s.position"
        join = ""
    elif not csv_rejects:
        record = "'line ' || (s.position + 1)"
        join = ""
    else:
        # Malformed record number j (1-based, by line) sits after (line - j - 1) good rows; a row
        # with k good rows up to it follows every malformed record with (line - j - 1) < k.
        record = "'line ' || (s.position + 1 + coalesce(skipped.j, 0))"
        join = """ASOF LEFT JOIN (
                SELECT line - j - 1 AS good_before, max(j) AS j
                FROM (SELECT line, row_number() OVER (ORDER BY line) AS j FROM (SELECT DISTINCT line FROM csv_rejects))
                GROUP BY ALL
            ) skipped ON s.position > skipped.good_before"""
    con.execute(f"""
        UPDATE stage_interactions SET file = {_sql_literal(display)}, record = named.record
        FROM (SELECT s.stage_row, {record} AS record
              FROM (SELECT rowid AS stage_row, {position} AS position FROM stage_interactions
                    WHERE reject_reason IS NOT NULL AND file IS NULL) s
              {join}) named
        WHERE stage_interactions.rowid = named.stage_row
    """)


#: DuckDB's CSV error types (spelt with spaces or underscores) in words.
_CSV_ERRORS = {
    "INVALID ENCODING": "bytes that are not UTF-8",
    "INVALID UNICODE": "bytes that are not UTF-8",
    "TOO MANY COLUMNS": "more fields than the header",
    "MISSING COLUMNS": "fewer fields than the header",
    "LINE SIZE OVER MAXIMUM": "line longer than the cap",
    "UNQUOTED VALUE": "badly quoted field",
}


def _collect_csv_rejects(con: duckdb.DuckDBPyConnection, display: str) -> None:
    """Lines DuckDB's CSV reader refused become rejected rows (one per line), in SQL."""
    reasons = " ".join(f"WHEN {_sql_literal(k)} THEN {_sql_literal(v)}" for k, v in _CSV_ERRORS.items())
    try:
        con.execute(f"""
            INSERT INTO stage_rejects (file, record, reason)
            SELECT {_sql_literal(display)}, 'line ' || line,
                   CASE upper(replace(error_type::VARCHAR, '_', ' ')) {reasons}
                     ELSE coalesce(nullif(split_part(left(error_message, 160), chr(10), 1), ''), error_type::VARCHAR)
                   END
            FROM (SELECT line, first(error_type ORDER BY error_type) AS error_type,
                         first(error_message ORDER BY error_type) AS error_message
                  FROM csv_rejects GROUP BY line)
            ORDER BY line
        """)
    except duckdb.Error:
        pass
    con.execute("DROP TABLE IF EXISTS csv_rejects")
    con.execute("DROP TABLE IF EXISTS csv_scans")
