"""Running ``tiescale`` as a user does, against a real DuckDB file: the chat importers' end-to-end tests."""
from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from tiescale.surfaces.cli import main

TABLES = ("interactions", "posts", "identities", "accounts", "follower_snapshots", "imports", "import_rejects")


def run(db: Path, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``tiescale --db DB ARGS`` (imports only: no refresh)."""
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def ingest(db: Path, *args: str) -> tuple[int, str, str]:
    return run(db, "ingest", "--no-refresh", *args)


def snapshot(db: Path) -> tuple[int, ...]:
    """Row counts of every table an import writes to."""
    if not db.exists():
        return ()
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)
    finally:
        con.close()


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def counts(db: Path, platform: str) -> dict[tuple[str, str], int]:
    """(kind, direction) -> interactions of a platform (snapshot-derived follows left out)."""
    rows = query(db, "SELECT kind, direction, count(*) FROM interactions WHERE platform = ? "
                     "AND dedupe_key NOT LIKE 'snapshot:%' GROUP BY ALL", [platform])
    return {(str(k), str(d)): int(str(n)) for k, d, n in rows}


def post_counts(db: Path, platform: str) -> dict[str, int]:
    rows = query(db, "SELECT kind, count(*) FROM posts WHERE platform = ? GROUP BY ALL", [platform])
    return {str(k): int(str(n)) for k, n in rows}
