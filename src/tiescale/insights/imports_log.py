"""The import log: every file imported with its counts, and the rows rejected or skipped on the way."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..results import Records
from ..store.db import Store


@dataclass(frozen=True)
class ImportEntry:
    """One import as the log keeps it."""

    import_id: int
    path: str
    format: str
    status: str
    finished_at: datetime | None
    rows_read: int | None
    new_interactions: int | None
    duplicates: int | None
    rejected: int | None
    skipped: int | None
    new_people: int | None


@dataclass(frozen=True)
class ImportRow:
    """A row an import rejected (unreadable) or skipped (read fine, nobody to attribute it to)."""

    import_id: int
    file: str
    record: str
    reason: str


def _limit(limit: int) -> str:
    return f" LIMIT {int(limit)}" if limit else ""


def import_log(store: Store, limit: int = 0) -> Records[ImportEntry]:
    """Every import, oldest first (``limit=0``: all)."""
    found = store.rows("SELECT import_id, path, format, status, finished_at, rows_read, new_interactions, duplicates, "
                       "rejected, skipped, new_people FROM imports ORDER BY import_id" + _limit(limit))
    return Records((ImportEntry(**r) for r in found), ImportEntry.__dataclass_fields__)


def import_rows(store: Store, which: str, limit: int = 0) -> Records[ImportRow]:
    """The rows imports ``"rejected"`` or ``"skipped"``, by import and file (``limit=0``: all)."""
    table = {"rejected": "import_rejects", "skipped": "import_skipped"}[which]
    found = store.rows(f"SELECT import_id, file, record, reason FROM {table} ORDER BY import_id, file" + _limit(limit))
    return Records((ImportRow(**r) for r in found), ImportRow.__dataclass_fields__)
