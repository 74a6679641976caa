"""``run_demo``: write the simulated community next to the store, import it, print an overview.

Where things go: the store at ``db``; the generated files in ``<db stem>-demo-data/`` beside it.

Running it again is safe:
- same seed and size on a demo store: the files come out byte-identical and every import is
  recognised as already done, so nothing is added (``action == "refreshed"``);
- another seed or size, or a demo store whose data folder is gone: the demo store and its data
  folder are deleted and built again from scratch (``action == "rebuilt"``);
- a store that is not a demo store (it holds anything imported from elsewhere), or a file that is
  not a tiescale store, or a data folder the demo did not write: refused with
  :class:`DemoTargetError`; nothing is touched.

The X archive, Mastodon and conversions importers are used when they are available; when one is
missing or fails on the demo's files, that step is reported as skipped and the rest goes on.
"""
from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console

from ..records import TiescaleError, UsageError
from ..store.import_formats import import_format as parser
from ..store.db import Store, resolve_db_path
from ..store.ingest import ingest_path
from .config import DemoConfig
from .generate import MARKER, DemoFiles, write_demo_files
from .results import DemoResult, StepResult


class DemoTargetError(TiescaleError):
    """The demo refuses to write into a store or folder that is not its own."""


def data_dir_for(db: Path) -> Path:
    """The folder the demo writes its files into: ``<db stem>-demo-data`` next to the store."""
    return db.with_name(f"{db.stem}-demo-data")


def _folder_is_ours(folder: Path) -> dict[str, object] | None:
    """The demo marker of ``folder``, or ``None`` when the demo did not write it."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("generator") == "tiescale demo" else None


def _store_kind(db: Path, folder: Path) -> str:
    """``empty`` or ``demo``; anything else raises :class:`DemoTargetError`."""
    refuse = f"{db} exists and is not a demo store"
    try:
        store = Store(db, read_only=True)
    except TiescaleError as exc:
        raise DemoTargetError(f"{refuse} ({exc}); nothing was changed: pass another --db") from None
    try:
        with store:
            paths = [r[0] for r in store.con.execute("SELECT DISTINCT path FROM imports ORDER BY 1").fetchall()]
            held = _row(store.con, "SELECT (SELECT count(*) FROM interactions) + (SELECT count(*) FROM posts) "
                               "+ (SELECT count(*) FROM people)")[0]
    except duckdb.Error:
        raise DemoTargetError(f"{refuse} (it is not a tiescale store); nothing was changed: "
                              "pass another --db") from None
    if not paths and not held:
        return "empty"
    root = folder.resolve()
    foreign = [p for p in paths if not Path(p).is_relative_to(root)]
    if foreign or not paths:
        where = f"it holds data imported from {foreign[0]}" if foreign else "it holds data not imported by the demo"
        raise DemoTargetError(f"{refuse}: {where}. The demo only rebuilds its own stores; nothing was changed: "
                              "pass another --db, e.g. --db demo.duckdb")
    return "demo"


def prepare_target(db: Path, folder: Path, config: DemoConfig) -> str:
    """Decide (and clear what must be cleared): ``built``, ``refreshed`` or ``rebuilt``."""
    marker = _folder_is_ours(folder)
    if folder.exists() and (not folder.is_dir() or (marker is None and any(folder.iterdir()))):
        raise DemoTargetError(f"{folder} exists and was not written by the demo; refusing to write into it: "
                              "pass another --db")
    action = "built"
    if db.exists() and _store_kind(db, folder) == "demo":
        if marker is not None and marker.get("config") == config.as_json():
            action = "refreshed"
        else:
            action = "rebuilt"
            for path in (db, db.with_name(db.name + ".wal")):
                path.unlink(missing_ok=True)
    if folder.exists():
        shutil.rmtree(folder)
    return action


def _import(store: Store, step: str, path: Path, fmt: str, optional: bool) -> StepResult:
    if optional:
        try:
            parser(fmt)
        except UsageError as exc:
            return StepResult(step, path, fmt, "skipped", reason=f"no {fmt} importer yet ({exc})")
    try:
        summary = ingest_path(store, path, fmt=fmt)
    except Exception as exc:  # an optional importer still being written must not stop the demo
        if not optional:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        return StepResult(step, path, fmt, "failed", reason=f"the {fmt} importer failed: {type(exc).__name__}: {first}")
    return StepResult(step, path, fmt, "unchanged" if summary.status == "unchanged" else "imported", summary)


def ingest_demo(store: Store, files: DemoFiles) -> list[StepResult]:
    """Import the generated files through the same importers a user runs."""
    steps = [_import(store, f"events {path.stem}", path, "events", optional=False) for path in files.events]
    steps.append(_import(store, "X archive (own posts, follower lists)", files.x_archive, "x-archive", optional=True))
    steps.append(_import(store, "Mastodon export (own posts)", files.mastodon, "mastodon", optional=True))
    steps.append(_import(store, "conversions (orders)", files.conversions, "conversions", optional=True))
    steps.append(_import(store, "WhatsApp chats (customers)", files.whatsapp, "whatsapp", optional=True))
    return steps


def _row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None  # aggregates always give a row
    return row


def _measure(store: Store, result: DemoResult) -> None:
    con = store.con
    result.people = _row(con, "SELECT count(*) FROM people WHERE merged_into IS NULL")[0]
    result.talkers = _row(con, """
        SELECT count(DISTINCT coalesce(p.merged_into, p.person_id))
        FROM touchpoints x JOIN people p USING (person_id) WHERE x.kind NOT IN ('follow', 'unfollow')""")[0]
    result.identities = _row(con, "SELECT count(*) FROM identities")[0]
    for platform, kind, n in con.execute(
            "SELECT platform, kind, count(*) FROM interactions GROUP BY ALL ORDER BY ALL").fetchall():
        result.interactions.setdefault(platform, {})[kind] = n
    result.posts = dict(con.execute("SELECT platform, count(*) FROM posts GROUP BY ALL ORDER BY ALL").fetchall())
    result.first_ts, result.last_ts = _row(con, "SELECT min(ts), max(ts) FROM interactions")
    result.follower_snapshots, result.followers_latest = _row(con, """
        SELECT count(DISTINCT snapshot_at),
               count(*) FILTER (WHERE snapshot_at = (SELECT max(snapshot_at) FROM follower_snapshots
                                                     WHERE relation = 'follower'))
        FROM follower_snapshots WHERE relation = 'follower'""")


def score_history(store: Store) -> int:
    """Score the first of every month and today, so score histories, cooling and the vanity trend
    have something to show from the start (each run after the first is incremental)."""
    from ..scoring.run import resolve_as_of, score_store

    first = store.scalar("SELECT min(ts AT TIME ZONE 'UTC') FROM interactions")
    if first is None:
        return 0
    end = resolve_as_of(None, store)
    year, month = first.year + (first.month == 12), first.month % 12 + 1
    dates = []
    while datetime(year, month, 1) < end:
        dates.append(datetime(year, month, 1))
        year, month = year + (month == 12), month % 12 + 1
    for as_of in [*dates, end]:
        score_store(store, as_of)
    return len(dates) + 1


def run_demo(
    db: Path | str | None,
    seed: int = 7,
    n_people: int = 3000,
    console: Console | None = None,
    config: DemoConfig | None = None,
) -> DemoResult:
    """Build (or refresh) the demo store at ``db`` and print an overview to ``console``.

    ``config`` overrides ``seed`` and ``n_people`` (tests use it for a shorter year)."""
    from .overview import print_overview

    started = time.perf_counter()
    config = config or DemoConfig(seed=seed, n_people=n_people)
    db_path = resolve_db_path(db)
    folder = data_dir_for(db_path)
    action = prepare_target(db_path, folder, config)
    files = write_demo_files(config, folder)
    result = DemoResult(db_path, folder, config, action, files, db_given=db is not None)
    with Store(db_path) as store:
        result.steps = ingest_demo(store, files)
        _measure(store, result)
        score_history(store)
        # every derived table (answer index, queue, content verdicts, languages, revenue's person-time)
        # as an import leaves them: the first read of the demo then computes nothing
        from ..insights.derived import refresh_derived

        refresh_derived(store)
    result.seconds = time.perf_counter() - started
    print_overview(result, console or Console())
    return result
