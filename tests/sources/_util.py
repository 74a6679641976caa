"""Helpers shared by the source-parser tests: counting what landed in the store."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from tiescale.records import Interaction, Post
from tiescale.sources import ExportFiles, Parser, ReadOptions
from tiescale.store.db import Store

ParserModule = Parser[Any]


def interactions(store: Store, platform: str, derived: bool = False) -> dict[tuple[str, str], int]:
    """(kind, direction) -> count; snapshot-derived follow events only when ``derived``."""
    clause = "" if derived else "AND dedupe_key NOT LIKE 'snapshot:%'"
    rows = store.con.execute(
        f"SELECT kind, direction, count(*) FROM interactions WHERE platform = ? {clause} GROUP BY ALL",
        [platform],
    ).fetchall()
    return {(kind, direction): n for kind, direction, n in rows}


def posts(store: Store, platform: str) -> dict[str, int]:
    rows = store.con.execute("SELECT kind, count(*) FROM posts WHERE platform = ? GROUP BY ALL", [platform]).fetchall()
    return dict(rows)


def totals(store: Store) -> tuple[int, ...]:
    """Row counts of every table an import writes to."""
    return tuple(
        store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("interactions", "posts", "identities", "accounts", "follower_snapshots", "imports", "import_rejects")
    )


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def parsed(parser: ParserModule, path: Path, account: str | None = None) -> list[Any]:
    """Every record a parser reads from an export: the parser alone, no store."""
    with ExportFiles(path) as files:
        return list(parser.read(files, ReadOptions(account=account)))


def record_counts(records: list[Any]) -> dict[str, int]:
    """How many records of each type; interactions by ``kind/direction``, posts by ``post/kind``."""
    counts: Counter[str] = Counter()
    for record in records:
        if isinstance(record, Interaction):
            counts[f"{record.kind}/{record.direction}"] += 1
        elif isinstance(record, Post):
            counts[f"post/{record.kind}"] += 1
        else:
            counts[type(record).__name__] += 1
    return dict(counts)
