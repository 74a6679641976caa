"""Importing one export: detect, stage, load, log; all inside one transaction."""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Callable

import duckdb

from ..records import Rejected, Skipped, SourceError
from ..sources import ExportFiles, ReadOptions
from ..sources._files import csv_needs_care
from .conversions import import_conversions
from .db import Store
from .forgetting import drop_forgotten_from_stage
from .import_errors import StrictAbort
from .import_formats import ImportFormat, detect_format, import_format
from .load import LoadResult, load_stage
from .staging import StageWriter, create_stage, drop_stage

ProgressCallback = Callable[[int], None]
#: How many rejected rows a summary carries in full (all are in ``import_rejects``).
REJECTS_SHOWN = 200


@dataclass
class ImportSummary:
    path: str
    format: str
    status: str  # ok | partial | unchanged
    import_id: int | None = None
    rows_read: int = 0
    new_interactions: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    rejected: int = 0
    rejects: list[Rejected] = field(default_factory=list)
    skipped: int = 0
    skips: list[Skipped] = field(default_factory=list)
    new_people: int = 0
    updated_people: int = 0
    new_posts: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    seconds: float = 0.0

    @property
    def total_new(self) -> int:
        return sum(self.new_interactions.values())


def content_hash(path: Path) -> str:
    """sha256 of a file, or of a folder's (name, sha256) list."""
    if path.is_dir():
        outer = hashlib.sha256()
        for member in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            with open(member, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            outer.update(f"{member.relative_to(path).as_posix()}\0{digest}\n".encode())
        return "dir:" + outer.hexdigest()
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


#: Below this size the content hash is computed before the import starts; above it, in a thread
#: while DuckDB reads the file (hashlib releases the GIL), so that a large import does not wait.
#: A path imported before is hashed first whatever its size: a re-import is then cut short
#: before any work (and it is the likely case for a path seen before).
HASH_IN_BACKGROUND_BYTES = 64 * 1024 * 1024


class _Unchanged(Exception):
    """The content hash matched an earlier import while this one was running."""


class _ContentHash:
    """The content hash, computed now or alongside the import.

    When it turns out to equal an earlier import's, the running DuckDB statement is
    interrupted: the import rolls back and is logged as ``unchanged``, as if the hash had
    been known first.
    """

    def __init__(self, path: Path, known: set[str], con: duckdb.DuckDBPyConnection, background: bool) -> None:
        self.known, self.con = known, con
        self.value: str | None = None
        self.error: BaseException | None = None
        self.matched = threading.Event()
        self._lock = threading.Lock()
        self._may_interrupt = True
        self._thread: threading.Thread | None = None
        if not background or _size(path) < HASH_IN_BACKGROUND_BYTES:
            self._compute(path)
        else:
            self._thread = threading.Thread(target=self._compute, args=(path,), name="tiescale-hash", daemon=True)
            self._thread.start()

    def _compute(self, path: Path) -> None:
        try:
            self.value = content_hash(path)
        except BaseException as exc:  # noqa: BLE001 - re-raised by result()
            self.error = exc
            return
        if self.value in self.known:
            self.matched.set()
            with self._lock:
                if self._thread is not None and self._may_interrupt:
                    try:
                        self.con.interrupt()  # stops the statement running now, if any
                    except Exception:  # noqa: BLE001 - the flag alone still stops the import
                        pass

    def close(self) -> None:
        """The import is over: from now on a late match must not interrupt anything."""
        with self._lock:
            self._may_interrupt = False

    def result(self) -> str:
        if self._thread is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value

    def check(self) -> None:
        """Between steps: stop here when the file turned out to be imported already."""
        if self.matched.is_set():
            raise _Unchanged


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return path.stat().st_size


def ingest_path(
    store: Store,
    path: str | Path,
    fmt: str | None = None,
    account: str | None = None,
    strict: bool = False,
    on_progress: ProgressCallback | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection, ImportSummary], None] | None = None,
    date_order: str | None = None,
) -> ImportSummary:
    """Import one export file or folder. Lands whole or not at all.

    ``date_order`` ("day-first" / "month-first") settles exports whose dates could be read either
    way (WhatsApp chats with no day above 12).

    ``before_commit`` runs inside the import's transaction, just before it commits (live sync
    stores its cursor there, so the cursor and the data land together or not at all).
    """
    started = time.perf_counter()
    path = Path(path)
    now = datetime.now(timezone.utc)
    with ExportFiles(path) as files:
        if fmt is None:
            fmt = detect_format(files)
            if fmt is None:
                raise SourceError(str(path), "cannot tell which export this is; pass --format")
        chosen = import_format(fmt)
        if chosen.check is not None:
            chosen.check(files)  # a wrong --format fails here, before anything is written
        earlier = store.rows(
            "SELECT content_hash, path FROM imports WHERE format = ? AND status IN ('ok', 'partial') "
            "AND coalesce(account, '') = coalesce(?, '')",
            [fmt, account],
        )
        known = {row["content_hash"] for row in earlier}
        seen_path = str(path.resolve()) in {row["path"] for row in earlier}
        digest = _ContentHash(path, known, store.con, background=not seen_path)
        summary = ImportSummary(path=str(path), format=fmt, status="ok")
        if digest.matched.is_set():
            digest.close()
            return _log_unchanged(store, summary, digest.result(), now, started, account)
        job = _Job(store, chosen, files, ReadOptions(account=account, date_order=date_order), strict, path, now,
                   digest, on_progress)
        try:
            # A matching hash may interrupt any statement from BEGIN on, until the body ends.
            with store.transaction() as con:
                try:
                    summary.import_id = int(store.scalar("SELECT nextval('import_seq')"))
                    _import(job, summary)
                    _log_import(store, summary, digest.result(), now, started, account)
                    digest.check()
                    if before_commit is not None:
                        before_commit(con, summary)
                except BaseException:
                    digest.close()  # from here on nothing can interrupt the connection: the rollback runs clean
                    raise
        except BaseException:
            digest.close()
            if not digest.matched.is_set():
                raise
            _end_interrupted_begin(store)
            return _log_unchanged(store, ImportSummary(path=str(path), format=fmt, status="ok"),
                                  digest.result(), now, started, account)
        finally:
            digest.close()
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass(frozen=True)
class _Job:
    """One import's inputs, as the steps below need them."""

    store: Store
    format: ImportFormat
    files: ExportFiles
    options: ReadOptions
    strict: bool
    path: Path
    now: datetime
    digest: _ContentHash
    on_progress: ProgressCallback | None


def _import(job: _Job, summary: ImportSummary) -> None:
    """Stage and load, inside the caller's transaction."""
    if job.format.stores == "orders":  # not touchpoints: their own tables (store/conversions.py)
        _import_conversions(job, summary)
        return
    con = job.store.con
    create_stage(con)
    ignored = _stage_ignored_entries(job)
    fast_path = job.format.fast_path
    if fast_path is not None and not _needs_parser(job.files) and fast_path(con, job.files, job.options):
        counted = job.store.row("SELECT count(*) AS rows_read, count(reject_reason) AS rejected FROM stage_interactions")
        assert counted is not None
        staged_rejects = int(job.store.scalar("SELECT count(*) FROM stage_rejects"))
        summary.rows_read = counted["rows_read"] + staged_rejects
        summary.rejected = counted["rejected"] + staged_rejects
        if job.strict and summary.rejected:
            raise StrictAbort.at(_first_reject(job.store))
    else:
        _stage_records(job, summary)
        summary.rows_read += ignored
        summary.rejected += ignored
    job.digest.check()
    drop_forgotten_from_stage(job.store)  # keyed entries; the load honours older plain ones
    loaded = load_stage(job.store, _import_id(summary))
    _fill(summary, loaded)
    summary.rejects = _rejects(job.store, summary, "import_rejects")
    summary.skips = [Skipped(**row) for row in job.store.rows(
        "SELECT file, record, reason FROM import_skipped WHERE import_id = ? LIMIT ?",
        [summary.import_id, REJECTS_SHOWN],
    )]
    summary.status = "partial" if summary.rejected else "ok"
    drop_stage(con)


def _needs_parser(files: ExportFiles) -> bool:
    """Whether a CSV member has lines the fast path would spend minutes and gigabytes on."""
    return any(csv_needs_care(files, name) for name in files.names()
               if name.lower().endswith((".csv", ".tsv")))


def _stage_ignored_entries(job: _Job) -> int:
    """Folder entries that are not read (links, pipes) are rejected records, never silently dropped."""
    rejected = [Rejected(job.files.display(name), "file", reason) for name, reason in job.files.ignored]
    if rejected and job.strict:
        raise StrictAbort.at(rejected[0])
    if rejected:
        job.store.con.executemany("INSERT INTO stage_rejects (file, record, reason) VALUES (?, ?, ?)",
                                  [(r.file, r.record, r.reason) for r in rejected])
    return len(rejected)


def _import_id(summary: ImportSummary) -> int:
    assert summary.import_id is not None, "an import id is drawn before anything is staged"
    return summary.import_id


def _rejects(store: Store, summary: ImportSummary, table: str) -> list[Rejected]:
    """The first rejected rows of this import, as the summary shows them."""
    return [Rejected(**row) for row in store.rows(
        f"SELECT file, record, reason FROM {table} WHERE import_id = ? LIMIT ?", [summary.import_id, REJECTS_SHOWN]
    )]


def _import_conversions(job: _Job, summary: ImportSummary) -> None:
    records = job.format.parser.read(job.files, job.options)
    done = import_conversions(job.store, records, _import_id(summary), job.strict)
    summary.rows_read, summary.duplicates, summary.rejected = done.rows_read, done.duplicates, done.rejected
    summary.new_interactions = {k: n for k, n in (("conversions", done.new_conversions),
                                                  ("coupon mappings", done.new_mappings)) if n}
    summary.first_ts, summary.last_ts = done.first_ts, done.last_ts
    summary.rejects = _rejects(job.store, summary, "import_rejects")
    summary.status = "partial" if summary.rejected else "ok"


def _end_interrupted_begin(store: Store) -> None:
    """A hash match that interrupted BEGIN itself may or may not have left a transaction open.

    :meth:`Store.transaction` rolls back what its block began; a BEGIN that raised never reached
    the block, so when it did open the transaction, it is rolled back here (nothing to undo else).
    """
    if store.in_transaction:
        return  # an outer block owns the transaction and ends it
    try:
        store.con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass  # it had not: nothing to undo


def _log_unchanged(store: Store, summary: ImportSummary, digest: str, now: datetime, started: float,
                   account: str | None = None) -> ImportSummary:
    """An export imported before: logged, nothing else changes."""
    summary.status = "unchanged"
    with store.transaction():
        summary.import_id = int(store.scalar("SELECT nextval('import_seq')"))
        _log_import(store, summary, digest, now, started, account)
    summary.seconds = time.perf_counter() - started
    return summary


def _stage_records(job: _Job, summary: ImportSummary) -> None:
    writer = StageWriter(job.store.con, str(job.path), job.now)
    for count, record in enumerate(job.format.parser.read(job.files, job.options), 1):
        rejected = writer.add(record)
        if rejected is not None and job.strict:
            raise StrictAbort.at(rejected)
        if job.on_progress is not None and count % 10_000 == 0:
            job.on_progress(count)
    writer.flush()
    summary.rows_read = writer.rows_read
    summary.rejected = writer.rejected
    summary.skipped = writer.skipped


def _first_reject(store: Store) -> Rejected:
    row = store.row(
        "SELECT file, record, reason FROM stage_rejects UNION ALL "
        "SELECT file, record, reject_reason FROM stage_interactions WHERE reject_reason IS NOT NULL LIMIT 1"
    )
    assert row is not None, "called only when a row was rejected"
    return Rejected(**row)


def _fill(summary: ImportSummary, loaded: LoadResult) -> None:
    summary.new_interactions = loaded.new_interactions
    summary.duplicates = loaded.duplicates
    summary.new_people = loaded.new_people
    summary.updated_people = loaded.updated_people
    summary.new_posts = loaded.new_posts
    summary.first_ts = loaded.first_ts
    summary.last_ts = loaded.last_ts


def _log_import(store: Store, summary: ImportSummary, digest: str, now: datetime, started: float,
                account: str | None = None) -> None:
    store.con.execute(
        """INSERT INTO imports (import_id, path, content_hash, format, started_at, finished_at, status,
           rows_read, new_interactions, duplicates, rejected, new_people, updated_people, new_posts,
           first_ts, last_ts, skipped, account) VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            summary.import_id, str(Path(summary.path).resolve()), digest, summary.format, now, summary.status,
            summary.rows_read, summary.total_new, summary.duplicates, summary.rejected, summary.new_people,
            summary.updated_people, summary.new_posts, summary.first_ts, summary.last_ts, summary.skipped, account,
        ],
    )


__all__ = ["ImportSummary", "StrictAbort", "content_hash", "ingest_path"]
