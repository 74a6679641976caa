"""Stored interactions back out in the canonical events format (the one ``--format events`` imports:
:mod:`tiescale.sources.events`)."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ..sources.events import UNDATED
from .db import Store

#: Every interaction, undated ones included (``ts`` is written ``undated``: X and Mastodon likes have
#: no time); a follow event derived from follower snapshots has no platform id, so its stored key
#: is its id (``snapshot:...``): importing the export into its own store then adds nothing.
EXPORT_SQL = """
SELECT ts, account, handle AS person, direction, kind, platform,
       CASE WHEN item_id IS NULL AND dedupe_key LIKE 'snapshot:%' THEN dedupe_key ELSE item_id END AS id,
       text, in_reply_to, thread
FROM interactions {where} ORDER BY ts NULLS LAST, platform, account, handle, dedupe_key
"""


def export_events(store: Store, fmt: str = "csv", output: Path | None = None) -> int:
    """Write every interaction; importing the file into an empty store gives them back, and into
    the store it came from adds nothing (``export`` then ``ingest`` is the identity).

    Undated interactions (likes) are written with ``ts`` = ``undated``. Returns the rows written.
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


#: ``neutralise_formula`` (tiescale.sources._values) in SQL: a quote before a cell that starts
#: (after any quotes) with ``= + - @``, tab or CR, so no spreadsheet runs it; the events CSV reader
#: removes exactly that one quote again.
FORMULA_SQL = "CASE WHEN regexp_matches({0}, '^''*[=+@\\t\\r-]') THEN '''' || {0} ELSE {0} END"
TEXT_COLUMNS = ("account", "person", "direction", "kind", "platform", "id", "text", "in_reply_to", "thread")


def _write(store: Store, fmt: str, target: Path) -> int:
    path = str(target).replace("'", "''")
    options = {"csv": "FORMAT csv, HEADER true", "jsonl": "FORMAT json", "parquet": "FORMAT parquet"}[fmt]
    if fmt == "csv":  # the file may be opened in a spreadsheet: formulas are neutralised
        columns = ", ".join(f"{FORMULA_SQL.format(c)} AS {c}" for c in TEXT_COLUMNS)
    else:
        columns = ", ".join(TEXT_COLUMNS)
    # Parquet feeds the Spark engine, which reads ts as a time: undated rows stay out of it.
    dated_only = "WHERE ts IS NOT NULL" if fmt == "parquet" else ""
    store.con.execute(
        f"COPY (SELECT coalesce(strftime(ts, '%Y-%m-%dT%H:%M:%S.%f+00:00'), '{UNDATED}') AS ts, {columns} "
        f"FROM ({EXPORT_SQL.format(where=dated_only)})) "
        f"TO '{path}' ({options})"
    )
    return int(store.scalar(f"SELECT count(*) FROM interactions {dated_only}"))
