"""Before serving: bring the store's schema up to date and score it if it has never been scored."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ...store.db import Store


def prepare_store(path: Path, say: Callable[[str], None] = lambda _m: None) -> None:
    """Migrate (one short write) and score when there is data but no snapshot that covers every import."""
    from ...insights.people import current_as_of

    with Store(path) as store:
        watermark = store.con.execute("SELECT coalesce(max(import_id), 0) FROM imports").fetchall()[0][0]
        covered = store.con.execute("SELECT count(*) FROM score_runs WHERE watermark = ?", [watermark]).fetchall()[0][0]
        if watermark and not covered:
            say("scoring the store before serving (only what changed since the last run)...")
        current_as_of(store)
