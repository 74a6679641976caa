"""Opening the DuckDB store: path resolution, migrations on open, one connection."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

import duckdb

from tiescale.records import TiescaleError
from .schema import LATEST, MIGRATIONS, TEXT_FEATURE_COLUMNS_ADDED
from .text_features import refresh_text_features

DEFAULT_DB = "tiescale.duckdb"


class StoreError(TiescaleError):
    """The store cannot be opened or is from a newer tiescale."""


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` if given, else ``$TIESCALE_DB``, else ``./tiescale.duckdb``."""
    return Path(path or os.environ.get("TIESCALE_DB") or DEFAULT_DB)


class Store:
    """A tiescale store: one DuckDB file with a versioned schema."""

    def __init__(self, path: str | os.PathLike[str] | None = None, read_only: bool = False,
                 lock_wait: float | None = None) -> None:
        """``lock_wait``: seconds to wait for another process holding the file (default
        $TIESCALE_LOCK_WAIT, else 10); callers with their own retry pass 0."""
        self._depth = 0
        self.lock_wait = float(os.environ.get("TIESCALE_LOCK_WAIT", "10")) if lock_wait is None else lock_wait
        self.path = resolve_db_path(path)
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no store here yet (run `tiescale ingest` or `tiescale demo`)")
        self.con = self._connect(read_only)
        if not read_only:
            self.migrate()
            return
        applied = self._applied()
        self._check_version(applied)
        if applied != {version for version, _, _ in MIGRATIONS}:
            # a store written by an older tiescale: bring its schema up to date once, then read
            self.con.close()
            self.con = self._connect(False)
            self.migrate()
            self.con.close()
            self.con = self._connect(True)

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        # Another process (the dashboard reading, another command) may hold the file for a moment:
        # wait for it, up to $TIESCALE_LOCK_WAIT seconds (default 10).
        deadline = time.monotonic() + self.lock_wait
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" in str(exc).lower() and time.monotonic() + delay < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
                    continue
                raise StoreError(f"{self.path}: cannot open the store ({str(exc).splitlines()[0]})") from None
            except duckdb.Error as exc:
                raise StoreError(f"{self.path}: not a tiescale store ({str(exc).splitlines()[0]})") from None
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        return con

    @property
    def schema_version(self) -> int:
        return max(self._applied(), default=0)

    def _applied(self) -> set[int]:
        """The migrations this store has had (any missing one runs, even below the newest)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchall()[0][0]
        if not exists:
            return set()
        return {row[0] for row in self.con.execute("SELECT version FROM schema_version").fetchall()}

    def _check_version(self, applied: set[int]) -> None:
        newest = max(applied, default=0)
        if newest > LATEST:
            raise StoreError(
                f"{self.path}: store schema v{newest} is newer than this tiescale (v{LATEST}); upgrade tiescale"
            )

    def migrate(self) -> None:
        """Run every migration the store has not had yet, in version order, each in its own transaction."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "description VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
        )
        done = self._applied()
        self._check_version(done)
        ran: set[int] = set()
        for version, description, sql in MIGRATIONS:
            if version in done:
                continue
            with self.transaction() as con:
                con.execute(sql)
                con.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [version, description])
            ran.add(version)
        self._backfill(ran)

    def _backfill(self, ran: set[int]) -> None:
        """Fill what the migrations in ``ran`` left empty because today's code computes it.

        Migrations are frozen SQL; a value that depends on today's expressions (a touchpoint's words
        and warmth: migration 10 adds the columns) is computed here, by the store layer that owns it.
        A new store has no touchpoints yet: its first import computes them.
        """
        if TEXT_FEATURE_COLUMNS_ADDED in ran and self.scalar("SELECT EXISTS (SELECT 1 FROM interactions)"):
            with self.transaction() as con:
                refresh_text_features(con, recompute=True)

    # -- the one way to talk to the store -------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic unit of work: commits when the block ends, rolls back when it raises.

        Nesting-aware, like sqlite-utils' ``Database.atomic()``: a block opened inside another joins
        the outer transaction (DuckDB has no savepoints), so the outermost block alone commits, and
        an error anywhere inside rolls the whole unit back. A rollback after an interrupted BEGIN
        (a signal between the statement and the block) is tolerated.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self.con
        except BaseException:
            self._depth = 0
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # no transaction was open after all
            raise
        self._depth = 0
        self.con.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a query, each as a dict of column name to value."""
        cursor = self.con.execute(sql, list(params) if params is not None else [])
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def row(self, sql: str, params: Sequence[Any] | None = None) -> dict[str, Any] | None:
        """The first row of a query as a dict, or None when it has none."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first column of the first row, or None when the query returns no row."""
        # fetchall, not fetchone: a result left unfinished blocks the connection's next register()
        found = self.con.execute(sql, list(params) if params is not None else []).fetchall()
        return found[0][0] if found else None

    # -- facts every layer asks -----------------------------------------------------------------

    def watermark(self) -> int:
        """The newest import's id (0 for an empty store): derived state remembers the watermark it
        was built at, and is stale when the store's has moved on."""
        return int(self.scalar("SELECT coalesce(max(import_id), 0) FROM imports") or 0)

    def data_end(self) -> datetime | None:
        """The end of the data: midnight (UTC, naive) after the newest dated touchpoint, never later
        than now. ``tiescale score`` without ``--as-of`` scores as of this instant, and every age a
        surface prints ("3 days ago") counts to it. None for a store without dated touchpoints."""
        # max(ts) of the TIMESTAMPTZ column comes from the column's statistics (well under a
        # millisecond at 10M rows); converting every row to UTC first would scan them all
        found: datetime | None = self.scalar("SELECT max(ts) FROM interactions")
        if found is None:
            return None
        newest = found.astimezone(UTC).replace(tzinfo=None)
        now = datetime.now(UTC).replace(tzinfo=None)
        return min(datetime(newest.year, newest.month, newest.day) + timedelta(days=1), now)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
