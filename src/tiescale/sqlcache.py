"""SQL compiled from Ibis expressions, kept on disk between processes.

Compiling the scoring and text expressions to SQL costs 1-2 s per process (tens of expressions at
10-60 ms each), and every CLI command is a new process: a refresh after one more day, ``vanity`` or
``person`` paid it on every run. The SQL depends only on tiescale's own code (the expressions, the
word lists, the configuration, which each key names) and on the Ibis and sqlglot versions, so it is
kept in one JSON file per *fingerprint* of those: any change to the code or to those versions reads
a new file, and an old file is never consulted again.

The file holds SQL text only (expressions over table and column names, and stand-in dates), never
data. It lives in ``$TIESCALE_CACHE_DIR``, else ``$XDG_CACHE_HOME/tiescale``, else
``~/.cache/tiescale``; ``TIESCALE_CACHE_DIR=off`` turns it off. An unwritable or damaged file is
ignored: the SQL is compiled as before.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

#: The packages whose source the compiled SQL comes from (their files make the fingerprint).
SOURCES = ("scoring", "text")
_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """Where the compiled SQL is kept, or None when the cache is off."""
    chosen = os.environ.get("TIESCALE_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "none") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tiescale"


@cache
def fingerprint() -> str:
    """A hash of every file of :data:`SOURCES` and of the Ibis and sqlglot versions."""
    digest = hashlib.sha256()
    for name in ("ibis-framework", "sqlglot"):
        try:
            digest.update(f"{name}={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=?\n".encode())
    for package in SOURCES:
        for path in sorted((_PACKAGE / package).rglob("*")):
            if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


class SqlCache:
    """Compiled SQL by key, loaded from disk on first use and written back once at exit."""

    def __init__(self) -> None:
        self._entries: dict[str, str] | None = None
        self._dirty = False

    def _path(self) -> Path | None:
        folder = cache_dir()
        return None if folder is None else folder / f"sql-{fingerprint()}.json"

    def _load(self) -> dict[str, str]:
        if self._entries is None:
            self._entries = {}
            path = self._path()
            try:
                if path is not None and path.is_file():
                    found = json.loads(path.read_text(encoding="utf-8"))
                    if isinstance(found, dict):
                        self._entries = {str(k): str(v) for k, v in found.items()}
            except (OSError, ValueError):
                self._entries = {}
        return self._entries

    def get_or_compile(self, key: str, compile_sql: Callable[[], str]) -> str:
        entries = self._load()
        if key not in entries:
            entries[key] = compile_sql()
            if not self._dirty:
                atexit.register(self.save)
            self._dirty = True
        return entries[key]

    def save(self) -> None:
        """Write the entries (merged with what another process wrote meanwhile), atomically."""
        path = self._path()
        if not self._dirty or path is None or self._entries is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            merged: dict[str, str] = {}
            if path.is_file():
                try:
                    found = json.loads(path.read_text(encoding="utf-8"))
                    merged = found if isinstance(found, dict) else {}
                except ValueError:
                    merged = {}
            merged.update(self._entries)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".sql-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(merged, out)
            os.replace(temporary, path)
            self._dirty = False
        except OSError:
            pass  # a cache: the SQL is compiled again next time


#: The process's cache.
SQL_CACHE = SqlCache()
