"""Derived state on a read-only store: TEMP tables that shadow the stored ones.

Some insights keep derived tables (the answer index, the queue's cache) that they bring up to
date before they read them. The dashboard reads through a read-only store, and a GET never
writes: there, a derived table that needs refreshing is first copied into a TEMP table of the same
name (DuckDB allows TEMP tables on a read-only connection, and an unqualified name finds the TEMP
table first), and the refresh writes into the copy. The code that refreshes and reads is the same
on both kinds of store; the copy lives as long as the connection, and the file never changes.
``tiescale.insights.derived.refresh_derived`` keeps the stored tables current after each write, so a
read-only reader seldom has anything to recompute.
"""
from __future__ import annotations

from tiescale.store.db import Store


def is_read_only(store: Store) -> bool:
    """Whether the store's connection was opened read-only."""
    # row(), not scalar(): it reads the result to the end, so a register() may follow
    found = store.row("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()")
    return bool(found and found["readonly"])


def shadowed(store: Store, table: str) -> bool:
    """Whether ``table`` is already shadowed by a TEMP copy on this connection."""
    return bool(store.rows(
        "SELECT 1 FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ?", [table]))


def writable_tables(store: Store, *tables: str) -> None:
    """Make ``tables`` writable: nothing to do on a writable store; on a read-only one, each is
    replaced (for this connection) by a TEMP copy with the same columns, keys and rows."""
    if not is_read_only(store):
        return
    database = store.scalar("SELECT current_database()")
    for table in tables:
        if shadowed(store, table):
            continue
        ddl = store.scalar(
            "SELECT sql FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
            "AND table_name = ?", [table])
        if ddl is None:
            raise LookupError(f"no table {table!r} in the store")
        assert ddl.upper().startswith("CREATE TABLE "), ddl
        store.con.execute("CREATE TEMP TABLE " + ddl[len("CREATE TABLE "):])
        store.con.execute(f'INSERT INTO temp.main."{table}" BY NAME SELECT * FROM "{database}".main."{table}"')
