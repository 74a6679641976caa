"""Short-lived store connections, so that the dashboard never keeps a writing command out.

DuckDB lets one process write a file, or several processes read it, never both. The dashboard
opens a read-only connection per request and closes it at the end (about 20 ms to open), so it
holds no connection across requests. A command that writes (``ingest``, a ``sync --every`` round,
``merge``, ``done``...) leaves a note next to the store before it opens it and removes it when it
closes (:mod:`tiescale.surfaces.writers`); while a live writer's note is there, this gate opens no
new connection: the requests in flight finish, the file comes free, and the writer, which waits
for the file for up to two minutes, gets it. Requests meanwhile retry for ``wait`` seconds, then
raise ``StoreBusy``: a page already seen is served as it was, with a banner, and refreshes by
itself; an API call answers 503 with Retry-After. A writing command ends by bringing derived state
up to date, so the first read after it recomputes nothing.

Inside this process, concurrent readers share one DuckDB instance (DuckDB caches it per file); a
write (a queue action, a merge, a re-score) waits for readers to finish and keeps new ones out while
it runs (a readers-writer lock), because one process cannot hold the file read-only and read-write
at the same time.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ...records import TiescaleError
from ...store.db import Store, StoreError
from ..writers import waiting_writers


class StoreBusy(TiescaleError):
    """Another process (an import, a re-score) holds the store for writing."""


class _ReadersWriterLock:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "lock" in text.lower() or "Conflicting" in text


class StoreGate:
    """Opens the store for one request at a time; ``wait`` seconds of retries on a lock."""

    def __init__(self, path: str | Path, wait: float = 2.0,
                 after_write: Callable[[Store], None] | None = None) -> None:
        """``after_write`` runs on the writable store after every state change that succeeded (the
        dashboard brings derived tables up to date there, so that reads never have to write)."""
        self.path = Path(path)
        self.wait = wait
        self.after_write = after_write
        self._lock = _ReadersWriterLock()

    def _try_open(self, read_only: bool) -> Store | None:
        """The store, or None while another process writes it (or has announced it will)."""
        if waiting_writers(self.path):
            return None  # a writing command is waiting for the file: let it have it
        try:
            return Store(self.path, read_only=read_only, lock_wait=0)  # this gate retries itself
        except (StoreError, duckdb.IOException) as exc:
            if not _is_lock_error(exc):
                raise
            return None

    def _open(self, read_only: bool) -> Store:
        deadline = time.monotonic() + self.wait
        delay = 0.02
        while True:
            store = self._try_open(read_only)
            if store is not None:
                return store
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"{self.path}: the store is busy (another process, probably an import, is writing); "
                    "this page retries by itself") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def free(self) -> bool:
        """Whether a read could start now (no other process writes the store or waits to); what
        ``GET /api/ready`` answers. It opens the store once, read-only, and closes it."""
        with self._lock.reading():
            store = self._try_open(read_only=True)
            if store is None:
                return False
            store.close()
            return True

    @contextmanager
    def read(self) -> Iterator[Store]:
        """A read-only store for one request (concurrent ones share DuckDB's instance), closed after."""
        with self._lock.reading():
            store = self._open(read_only=True)
            try:
                yield store
            finally:
                store.close()

    @contextmanager
    def write(self) -> Iterator[Store]:
        """A read-write store for one state change, then ``after_write``; closed right after."""
        with self._lock.writing():
            store = self._open(read_only=False)
            try:
                yield store
                if self.after_write is not None:
                    self.after_write(store)
            finally:
                store.close()
