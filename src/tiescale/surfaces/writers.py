"""One writer per store file, announced: how a writing command and an open dashboard share a store.

DuckDB lets one process hold a file for writing, or several processes hold it read-only, never
both. The dashboard holds the file only while it answers a request (a read-only connection opened
and closed per request). A command that writes (ingest, sync, merge, done, ...) first leaves a note
next to the store, ``.<store name>.writer-<pid>``, then opens the file, waiting for it (up to
$TIESCALE_LOCK_WAIT seconds, longer by default for these commands: ``WRITER_LOCK_WAIT``). A
dashboard that finds a live writer's note opens no new read: the requests in flight finish, the
file comes free, and the writer gets it; meanwhile pages answer from what they served last (see
``surfaces.web.gate``). The note goes when the writer closes the store, so a busy dashboard (a page
refreshing itself every few seconds, several tabs) can never keep a writer out, and a writer killed
before it could remove its note holds nobody up: a note whose process is gone is ignored and
removed.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Seconds a writing command waits for the file when $TIESCALE_LOCK_WAIT does not say: long enough
#: for the slowest dashboard request in flight to finish (new ones wait for the writer's note to go).
WRITER_LOCK_WAIT = 120.0


def _prefix(db: Path) -> str:
    return f".{db.name}.writer-"


def note_path(db: Path, pid: int | None = None) -> Path:
    """The note a writing process ``pid`` (default: this one) leaves next to the store ``db``."""
    return db.parent / f"{_prefix(db)}{os.getpid() if pid is None else pid}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:
        return False
    return True


def waiting_writers(db: Path) -> list[int]:
    """The ids of live processes that announced they write ``db`` (now, or as soon as the file is free).

    A note left by a process that no longer runs (killed before it could tidy up) is removed."""
    found: list[int] = []
    try:
        entries = list(db.parent.glob(_prefix(db) + "*"))
    except OSError:
        return found
    for entry in entries:
        suffix = entry.name[len(_prefix(db)):]
        if not suffix.isdigit():
            continue
        if _alive(int(suffix)):
            found.append(int(suffix))
        else:
            entry.unlink(missing_ok=True)
    return sorted(found)


def announce(db: Path) -> Path | None:
    """Leave this process's note next to the store ``db``; None when its folder does not exist
    (opening the store then fails with its own message)."""
    note = note_path(db)
    if not note.parent.is_dir():
        return None
    note.write_text(str(os.getpid()), encoding="ascii")
    return note


def withdraw(note: Path | None) -> None:
    """Remove a note ``announce`` left."""
    if note is not None:
        note.unlink(missing_ok=True)


@contextmanager
def announced_writer(db: Path) -> Iterator[None]:
    """Announce this process as the store's writer for the block (the note goes at the end)."""
    note = announce(db)
    try:
        yield
    finally:
        withdraw(note)


def writer_lock_wait() -> float:
    """How long a writing command waits for the file: $TIESCALE_LOCK_WAIT, else ``WRITER_LOCK_WAIT``."""
    given = os.environ.get("TIESCALE_LOCK_WAIT")
    return float(given) if given else WRITER_LOCK_WAIT
