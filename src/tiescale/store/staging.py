"""Staging: records of one import land in temporary tables before the load (:mod:`.load`).

Python parsers' records are batched into Arrow tables; the events fast path fills the
same tables straight from DuckDB's readers. Either way the load sees one shape.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from ..records import (
    DIRECTIONS, AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Record, Rejected, Skipped,
)
from ..sources._files import MAX_VALUE_CHARS
from ..timeparse import plausibility_problem

STAGE_INTERACTIONS = """
CREATE TEMP TABLE stage_interactions (
    seq BIGINT, platform VARCHAR, account VARCHAR, person VARCHAR, ts TIMESTAMPTZ,
    direction VARCHAR, kind VARCHAR, item_id VARCHAR, text VARCHAR, in_reply_to VARCHAR,
    thread VARCHAR, person_name VARCHAR, file VARCHAR, record VARCHAR, reject_reason VARCHAR,
    key_hash UBIGINT  -- optional: the load's KEY_HASH_SQL, when the stager computed it already
)"""
STAGE_OTHERS = [
    """CREATE TEMP TABLE stage_posts (
        seq BIGINT, platform VARCHAR, account VARCHAR, post_id VARCHAR, ts TIMESTAMPTZ, kind VARCHAR,
        text VARCHAR, in_reply_to VARCHAR, thread VARCHAR, url VARCHAR, likes BIGINT, reposts BIGINT,
        replies BIGINT)""",
    """CREATE TEMP TABLE stage_people (
        platform VARCHAR, handle VARCHAR, display_name VARCHAR, email VARCHAR, url VARCHAR, username VARCHAR)""",
    """CREATE TEMP TABLE stage_accounts (
        platform VARCHAR, handle VARCHAR, display_name VARCHAR, account_id VARCHAR, username VARCHAR)""",
    """CREATE TEMP TABLE stage_follows (
        platform VARCHAR, account VARCHAR, person VARCHAR, relation VARCHAR, snapshot_at TIMESTAMPTZ,
        person_name VARCHAR)""",
    """CREATE TEMP TABLE stage_rejects (file VARCHAR, record VARCHAR, reason VARCHAR)""",
    """CREATE TEMP TABLE stage_skipped (file VARCHAR, record VARCHAR, reason VARCHAR)""",
]
STAGE_TABLES = ["stage_interactions", "stage_posts", "stage_people", "stage_accounts", "stage_follows", "stage_rejects",
                "stage_skipped"]


def create_stage(con: duckdb.DuckDBPyConnection) -> None:
    drop_stage(con)
    con.execute(STAGE_INTERACTIONS)
    for sql in STAGE_OTHERS:
        con.execute(sql)


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    for table in STAGE_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def interaction_problem(item: Interaction, now: datetime) -> str | None:
    """Why an interaction cannot be stored, or ``None``."""
    for field in ("platform", "account", "person", "kind"):
        if not getattr(item, field):
            return f"missing {field}"
    if item.direction not in DIRECTIONS:
        return f"direction must be 'in' or 'out', not {item.direction!r}"
    if item.ts is not None:
        if item.ts.tzinfo is None:
            return "timestamp without a timezone"
        return plausibility_problem(item.ts, now)
    return None


class StageWriter:
    """Buffers records and appends them to the stage tables in Arrow batches."""

    BATCH = 50_000

    def __init__(self, con: duckdb.DuckDBPyConnection, file: str, now: datetime) -> None:
        self.con = con
        self.file = file
        self.now = now
        self.rows_read = 0
        self.rejected = 0
        self.skipped = 0
        self._seq = 0
        self._buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in STAGE_TABLES}

    def add(self, record: Record) -> Rejected | None:
        """Stage one record; returns it as :class:`Rejected` when it was refused."""
        self._seq += 1
        if (oversized := _oversized_field(record)) is not None:
            # One cap for every parser: a value longer than the cap is not stored, and its record
            # is one rejected row (named, without the value), whatever the format.
            return self._refuse_oversized(record, oversized)
        if isinstance(record, Interaction):
            self.rows_read += 1
            problem = interaction_problem(record, self.now)
            ref = f"id {record.id}" if record.id else f"record {self._seq}"
            self._push("stage_interactions", (
                self._seq, record.platform, record.account, record.person, record.ts, record.direction,
                record.kind, record.id, record.text, record.in_reply_to, record.thread, record.person_name,
                self.file, ref, problem, None,
            ))
            if problem:
                self.rejected += 1
                return Rejected(self.file, ref, problem)
        elif isinstance(record, Post):
            self.rows_read += 1
            if record.ts is not None and (problem := plausibility_problem(record.ts, self.now)):
                return self._reject(Rejected(self.file, f"post {record.id}", problem))
            self._push("stage_posts", (
                self._seq, record.platform, record.account, record.id, record.ts, record.kind, record.text,
                record.in_reply_to, record.thread, record.url, record.likes, record.reposts, record.replies,
            ))
        elif isinstance(record, Rejected):
            self.rows_read += 1
            return self._reject(record)
        elif isinstance(record, Skipped):
            self.rows_read += 1
            self.skipped += 1
            self._push("stage_skipped", (record.file, record.record, record.reason))
        elif isinstance(record, PersonInfo):
            self._push("stage_people", (
                record.platform, record.handle, record.display_name, record.email, record.url, record.username,
            ))
        elif isinstance(record, AccountInfo):
            self._push("stage_accounts", (record.platform, record.handle, record.display_name, record.account_id,
                                          record.username))
        elif isinstance(record, FollowEdge):
            self.rows_read += 1
            self._push("stage_follows", (
                record.platform, record.account, record.person, record.relation, record.snapshot_at,
                record.person_name,
            ))
        else:  # pragma: no cover - a parser bug
            raise TypeError(f"not a tiescale record: {record!r}")
        return None

    def _refuse_oversized(self, record: Record, field: str) -> Rejected | None:
        reason = f"{field} longer than the {MAX_VALUE_CHARS:,}-character cap: record not stored"
        if isinstance(record, Interaction):
            ref = f"id {record.id[:200]}" if record.id else f"record {self._seq}"
        elif isinstance(record, Post):
            ref = f"post {(record.id or '')[:200]}"
        elif isinstance(record, (PersonInfo, FollowEdge)):
            handle = record.handle if isinstance(record, PersonInfo) else record.person
            ref = f"person {(handle or '')[:200]}"
        elif isinstance(record, AccountInfo):
            ref = f"account {(record.handle or '')[:200]}"
        else:
            ref = f"record {self._seq}"
        if isinstance(record, (Interaction, Post, FollowEdge, Rejected, Skipped)):
            self.rows_read += 1
        return self._reject(Rejected(self.file, ref, reason))

    def _reject(self, rejected: Rejected) -> Rejected:
        self.rejected += 1
        self._push("stage_rejects", (rejected.file, rejected.record, rejected.reason))
        return rejected

    def _push(self, table: str, row: tuple[Any, ...]) -> None:
        buffer = self._buffers[table]
        buffer.append(row)
        if len(buffer) >= self.BATCH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self._buffers[table]
        if not rows:
            return
        described = self.con.execute(f"DESCRIBE {table}").fetchall()
        columns = [c[0] for c in described]
        types = {c[0]: c[1] for c in described}
        arrays = []
        for i, name in enumerate(columns):
            values = [r[i] for r in rows]
            arrow_type = {
                "BIGINT": pa.int64(), "UBIGINT": pa.uint64(), "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
            }.get(types[name], pa.string())
            try:
                arrays.append(pa.array(values, type=arrow_type))
            except UnicodeEncodeError:  # lone surrogates from JSON escapes ("\ud83d"): keep the rest
                arrays.append(pa.array([_clean(v) for v in values], type=arrow_type))
        # registered by name: replacement scans of Python variables are off once Ibis shares the connection
        self.con.register("staged_batch", pa.Table.from_arrays(arrays, names=columns))
        try:
            listed = ", ".join(columns)
            self.con.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM staged_batch")
        finally:
            self.con.unregister("staged_batch")
        rows.clear()

    def flush(self) -> None:
        for table in STAGE_TABLES:
            self._flush(table)


def _oversized_field(record: Record) -> str | None:
    """The name of the first string field longer than the value cap, or ``None``."""
    for name in _STRING_FIELDS[type(record)]:
        value = getattr(record, name)
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            return name
    return None


_STRING_FIELDS: dict[type, tuple[str, ...]] = {
    kind: tuple(f.name for f in dataclasses.fields(kind))
    for kind in (Interaction, Post, PersonInfo, AccountInfo, FollowEdge, Rejected, Skipped)
}


def _clean(value: Any) -> Any:
    """A string with unpaired surrogates made encodable (they become U+FFFD)."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value
