"""Helpers for the hostile-input tests: run the real CLI on a real store, read its tables."""
from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from tiescale.surfaces.cli import main

TABLES = ("interactions", "people", "identities", "posts", "imports", "import_rejects")


def run(db: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def snapshot(db: Path) -> tuple[int, ...]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
