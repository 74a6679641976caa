"""One parser per export format. Each module exposes:

- ``FORMAT``: the name used by ``tiescale ingest --format``;
- ``detect(files: ExportFiles) -> bool``: whether this export looks like its format;
- ``read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]``: pure, streaming.

Parsers know nothing of the database; see :mod:`tiescale.records` for what they yield.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from ..records import UsageError
from ._files import ExportFiles

#: Format name -> module, in detection order (specific formats first, events last).
FORMATS: dict[str, str] = {
    "x-archive": "x_archive",
    "mastodon": "mastodon",
    "mastodon-api": "mastodon_api",
    "bluesky": "bluesky",
    "reddit": "reddit",
    "facebook": "facebook",
    "instagram": "instagram",
    "linkedin": "linkedin",
    "youtube": "youtube",
    "conversions": "conversions",
    "events": "events",
}


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What the user told ``ingest``: the own account when the export does not say it."""

    account: str | None = None


def parser(fmt: str) -> ModuleType:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    try:
        return importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(FORMATS[fmt]):
            raise UsageError(f"format {fmt!r} is not available in this version") from None
        raise


def detect(files: ExportFiles) -> str | None:
    """The first format whose parser recognises these files, or ``None``."""
    for fmt in FORMATS:
        try:
            module = parser(fmt)
        except UsageError:
            continue
        if module.detect(files):
            return fmt
    return None


__all__ = ["ExportFiles", "FORMATS", "ReadOptions", "detect", "parser"]
