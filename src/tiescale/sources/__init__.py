"""One parser per export format, each a pure function of the export's files.

Every parser module exposes ``FORMAT`` (the name ``tiescale ingest --format`` takes), ``detect``
and a streaming ``read`` (the :class:`~tiescale.sources.contract.Parser` protocol), and most an
early ``check``. Parsers know nothing of the database; see :mod:`tiescale.records` for what they
yield. The list of import formats, in detection order, is :mod:`tiescale.store.import_formats`
(it also declares the formats that have a faster way into the store).
"""
from __future__ import annotations

from ._files import MAX_LINE_BYTES, ExportFiles
from .contract import Checker, Parser, ReadOptions

__all__ = ["MAX_LINE_BYTES", "Checker", "ExportFiles", "Parser", "ReadOptions"]
