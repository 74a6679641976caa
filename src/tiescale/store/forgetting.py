"""Forgetting for real: a keyed re-import guard, and a store file rewritten without the person.

``forget`` deletes a person's rows (:func:`tiescale.store.identity.forget_person`), but DuckDB
leaves deleted rows' bytes in the file's free blocks (and in the WAL) until they are reused:
texts, handles and names stayed readable with ``grep`` through ``score``, ``queue`` and
``CHECKPOINT``. :func:`rewrite_store_file` copies every live table into a fresh file and swaps it
in atomically, so the store holds no byte of what was deleted. It costs one full copy of the store
(time and, for a moment, twice its disk space).

The ``forgotten`` list keeps a keyed hash (HMAC-SHA256) of each forgotten handle, with a secret
kept *outside* the store file (``<store>.forget-key``, mode 0600): with the file alone, a guessed
handle cannot be tested. Rows from older stores (plain sha256) stay as they are, still honoured
by the load; they cannot be upgraded, since the handle is gone.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import duckdb

from .db import Store

#: Marks a keyed hash in ``forgotten.handle_hash`` (a plain sha256 is 64 hex digits, no prefix).
KEYED_PREFIX = "k1:"
KEY_SUFFIX = ".forget-key"
#: Stage tables and the column that names a person in each: rows of forgotten people are dropped.
STAGED_PEOPLE = (("stage_interactions", "person"), ("stage_follows", "person"), ("stage_people", "handle"))


def store_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's database, or ``None`` in memory."""
    found = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(found[0]) if found and found[0] else None


def _key_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    path = store_file(con)
    return None if path is None else path.with_name(path.name + KEY_SUFFIX)


def forget_key(con: duckdb.DuckDBPyConnection, create: bool) -> bytes | None:
    """The store's secret for the forgotten list; created (0600) on the first forget."""
    path = _key_path(con)
    if path is None:
        return None
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    if not create:
        return None
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
    return key


def keyed_hash(key: bytes, platform: str, handle: str) -> str:
    """The forgotten list's entry for one identity."""
    digest = hmac.new(key, f"{platform}\x1f{handle}".encode("utf-8", "surrogatepass"), hashlib.sha256)
    return KEYED_PREFIX + digest.hexdigest()


def remember_forgotten(con: duckdb.DuckDBPyConnection, platform: str, handle: str) -> None:
    """Add one identity to the forgotten list (inside the caller's transaction)."""
    key = forget_key(con, create=True)
    if key is None:  # an in-memory store: nothing outlives it, a plain hash is enough
        con.execute("INSERT INTO forgotten (platform, handle_hash) VALUES (?, sha256(?))", [platform, handle])
        return
    con.execute("INSERT INTO forgotten (platform, handle_hash) VALUES (?, ?)",
                [platform, keyed_hash(key, platform, handle)])


def drop_forgotten_from_stage(store: Store) -> int:
    """Remove staged rows about forgotten people (keyed entries); returns how many went.

    The load drops rows matching the older plain-sha256 entries itself.
    """
    con = store.con
    keyed = {r["platform"] + "\x1f" + r["handle_hash"] for r in store.rows(
        "SELECT platform, handle_hash FROM forgotten WHERE starts_with(handle_hash, ?)", [KEYED_PREFIX])}
    if not keyed:
        return 0
    key = forget_key(con, create=False)
    if key is None:
        return 0
    dropped = 0
    for table, column in STAGED_PEOPLE:
        pairs = con.execute(f"SELECT DISTINCT platform, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
        hits = [(p, h) for p, h in pairs if f"{p}\x1f{keyed_hash(key, p, h)}" in keyed]
        for platform, handle in hits:
            found = con.execute(f"DELETE FROM {table} WHERE platform = ? AND {column} = ?", [platform, handle])
            dropped += int((found.fetchone() or (0,))[0])
    return dropped


def rewrite_store_file(store: Store) -> None:
    """Copy every table into a fresh file and swap it in: deleted rows leave no bytes behind.

    Runs outside any transaction; the store's connection is reopened on the new file.
    """
    if store.in_transaction:
        raise RuntimeError("rewrite_store_file runs outside a transaction")
    path = store_file(store.con)
    if path is None:
        return
    fresh = path.with_name(path.name + ".rewrite")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = store.con
    con.execute("CHECKPOINT")
    database = con.execute("SELECT current_database()").fetchone()
    assert database is not None
    quoted = str(fresh).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS tiescale_rewrite")
    try:
        con.execute(f'COPY FROM DATABASE "{database[0]}" TO tiescale_rewrite')
        con.execute("CHECKPOINT tiescale_rewrite")
    finally:
        con.execute("DETACH tiescale_rewrite")
    con.close()
    _fsync(fresh)
    os.replace(fresh, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    _fsync(path.parent)
    store.con = store._connect(False)  # noqa: SLF001 - the store's own way to open its file


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: The forgotten list's "platform" for an e-mail address: orders and coupon mappings name people by it.
EMAIL = "email"


def _forgotten_hashes(store: Store) -> tuple[set[str], bytes | None]:
    """``platform \\x1f hash`` of every forgotten entry, and the store's key (None: none yet)."""
    entries = {r["platform"] + "\x1f" + r["handle_hash"] for r in store.rows("SELECT platform, handle_hash FROM forgotten")}
    return entries, forget_key(store.con, create=False) if entries else None


def _is_forgotten(entries: set[str], key: bytes | None, platform: str, handle: str) -> bool:
    plain = f"{platform}\x1f{hashlib.sha256(handle.encode('utf-8', 'surrogatepass')).hexdigest()}"
    return plain in entries or (key is not None and f"{platform}\x1f{keyed_hash(key, platform, handle)}" in entries)


def drop_forgotten_orders(store: Store) -> int:
    """Remove staged orders and coupon mappings of forgotten people (by their e-mail, or by the
    platform and handle they name); returns how many went. Re-importing an orders file then does
    not bring a forgotten person's orders, or their e-mail, back into the store."""
    entries, key = _forgotten_hashes(store)
    if not entries:
        return 0
    con = store.con
    dropped = 0
    for table in ("stage_conversions", "stage_coupons"):
        emails = [r[0] for r in con.execute(f"SELECT DISTINCT email FROM {table} WHERE email IS NOT NULL").fetchall()]
        gone = [e for e in emails if _is_forgotten(entries, key, EMAIL, e.strip().lower())]
        if gone:
            found = con.execute(f"DELETE FROM {table} WHERE email IN (SELECT unnest(?))", [gone]).fetchone()
            dropped += int(found[0]) if found else 0
        pairs = con.execute(f"SELECT DISTINCT platform, handle FROM {table} WHERE handle IS NOT NULL "
                            "AND platform IS NOT NULL").fetchall()
        for platform, handle in pairs:
            if _is_forgotten(entries, key, platform, handle):
                found = con.execute(f"DELETE FROM {table} WHERE platform = ? AND handle = ?", [platform, handle]).fetchone()
                dropped += int(found[0]) if found else 0
    return dropped
