"""Helpers shared by the source-parser tests: counting what landed in the store."""
from __future__ import annotations

import shutil
from pathlib import Path

from tiescale.store.db import Store


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
