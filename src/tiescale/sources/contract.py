"""What every parser promises: the contract between an export format and the store.

A parser is a module (or any object) with ``detect`` and ``read``. It is pure: it reads files
and yields records (:mod:`tiescale.records`), knows nothing of the database, and never writes.
Which parsers exist, in which order they are tried, and which have a faster way into the store,
is declared once, in :mod:`tiescale.store.import_formats`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar
from collections.abc import Iterator

from ._files import ExportFiles

#: What a parser yields: :data:`tiescale.records.Record` for touchpoint exports, orders and
#: coupon mappings for the conversions format.
RecordT_co = TypeVar("RecordT_co", covariant=True)


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What the user told ``ingest``: the own account when the export does not say it."""

    account: str | None = None
    #: "day-first" or "month-first" for exports whose dates could be either (WhatsApp chats).
    date_order: str | None = None


class Parser(Protocol[RecordT_co]):
    """One export format, read as a stream of records.

    ``detect`` must be cheap and must not raise: it looks at names and a few header bytes.
    ``read`` streams; it yields :class:`~tiescale.records.Rejected` for a row it cannot read
    and raises :class:`~tiescale.records.SourceError` only when the whole export is unusable.
    """

    def detect(self, files: ExportFiles) -> bool: ...

    def read(self, files: ExportFiles, options: ReadOptions) -> Iterator[RecordT_co]: ...


class Checker(Protocol):
    """An optional early check: refuse a wrong ``--format`` before anything is written."""

    def __call__(self, files: ExportFiles) -> None: ...
