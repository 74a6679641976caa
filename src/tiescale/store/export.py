"""Stored interactions back out in the canonical events format (the one ``--format events`` imports:
:mod:`tiescale.sources.events`)."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .db import Store

EXPORT_SQL = """
SELECT ts, account, handle AS person, direction, kind, platform, item_id AS id, text, in_reply_to, thread
FROM interactions WHERE ts IS NOT NULL ORDER BY ts, platform, account, handle, dedupe_key
"""


def export_events(store: Store, fmt: str = "csv", output: Path | None = None) -> int:
    """Write every dated interaction; importing the file into an empty store gives them back.

    Undated interactions (X likes) have no ``ts`` and the format requires one, so they stay out.
    Returns the number of rows written.
    """
    if output is None:
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / f"events.{fmt}"
            count = _write(store, fmt, target)
            with open(target, "rb") as handle:
                sys.stdout.flush()
                while chunk := handle.read(1 << 20):
                    sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            return count
    return _write(store, fmt, output)


def _write(store: Store, fmt: str, target: Path) -> int:
    path = str(target).replace("'", "''")
    options = {"csv": "FORMAT csv, HEADER true", "jsonl": "FORMAT json", "parquet": "FORMAT parquet"}[fmt]
    store.con.execute(
        f"COPY (SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%f+00:00') AS ts, * EXCLUDE (ts) FROM ({EXPORT_SQL})) "
        f"TO '{path}' ({options})"
    )
    return int(store.scalar("SELECT count(*) FROM interactions WHERE ts IS NOT NULL"))
