"""Every import format, declared once: its name, its parser, and what else it has.

The one registry of input formats (``tiescale ingest --format``), in detection order: the
specific formats first, the generic events format last. Parsers are imported statically; a
format's optional early ``check`` and its optional ``fast_path`` (a faster way into the stage
tables than the parser's records) are attributes of the format, never looked up on a module.

It lives in the store because a fast path writes stage tables, and the store is the layer
that may: parsers stay pure (:mod:`tiescale.sources`), the dependency points sources <- store.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from collections.abc import Callable

import duckdb

from ..records import UsageError
from ..sources import Checker, ExportFiles, Parser, ReadOptions
from ..sources import (
    bluesky, conversions, events, facebook, instagram, linkedin, mastodon, mastodon_api, reddit, x_archive,
    youtube,
)
from ..sources import discord, mbox, slack, telegram, tiktok, whatsapp
from .events_fast_path import stage_events_fast

#: Stages an export straight into the stage tables; returns False to let the parser do it.
FastPath = Callable[[duckdb.DuckDBPyConnection, ExportFiles, ReadOptions], bool]


@dataclass(frozen=True, slots=True)
class ImportFormat:
    """One input format.

    ``stores`` says where its records go: ``touchpoints`` (interactions, posts, people, follows,
    through the stage tables) or ``orders`` (conversions and coupon mappings, their own tables).
    """

    name: str
    parser: Parser[Any]
    check: Checker | None = None
    fast_path: FastPath | None = None
    stores: Literal["touchpoints", "orders"] = "touchpoints"


def _formats(*formats: ImportFormat) -> dict[str, ImportFormat]:
    return {f.name: f for f in formats}


#: Format name -> format, in detection order (specific formats first, events last).
IMPORT_FORMATS: dict[str, ImportFormat] = _formats(
    ImportFormat(x_archive.FORMAT, x_archive, check=x_archive.check),
    ImportFormat(mastodon.FORMAT, mastodon, check=mastodon.check),
    ImportFormat(mastodon_api.FORMAT, mastodon_api, check=mastodon_api.check),
    ImportFormat(bluesky.FORMAT, bluesky, check=bluesky.check),
    ImportFormat(reddit.FORMAT, reddit, check=reddit.check),
    ImportFormat(facebook.FORMAT, facebook, check=facebook.check),
    ImportFormat(instagram.FORMAT, instagram, check=instagram.check),
    ImportFormat(linkedin.FORMAT, linkedin, check=linkedin.check),
    ImportFormat(youtube.FORMAT, youtube, check=youtube.check),
    ImportFormat(tiktok.FORMAT, tiktok, check=tiktok.check),
    ImportFormat(slack.FORMAT, slack, check=slack.check),
    ImportFormat(telegram.FORMAT, telegram, check=telegram.check),
    ImportFormat(discord.FORMAT, discord, check=discord.check),
    ImportFormat(whatsapp.FORMAT, whatsapp, check=whatsapp.check),
    ImportFormat(mbox.FORMAT, mbox, check=mbox.check),
    ImportFormat(conversions.FORMAT, conversions, check=conversions.check, stores="orders"),
    ImportFormat(events.FORMAT, events, check=events.check, fast_path=stage_events_fast),
)


def import_format(name: str) -> ImportFormat:
    """The format called ``name``; a :class:`UsageError` naming the choices when there is none."""
    try:
        return IMPORT_FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r}; choose one of: {', '.join(IMPORT_FORMATS)}") from None


def detect_format(files: ExportFiles) -> str | None:
    """The first format whose parser recognises these files, or ``None``."""
    for fmt in IMPORT_FORMATS.values():
        if fmt.parser.detect(files):
            return fmt.name
    return None


__all__ = ["FastPath", "IMPORT_FORMATS", "ImportFormat", "detect_format", "import_format"]
