"""The public Python API: what an analyst reaches for in a notebook, one import away.

    import tiescale
    with tiescale.open_store("tiescale.duckdb") as store:
        tiescale.ingest(store, "events.csv")
        tiescale.score(store)
        top = tiescale.people(store, limit=100).to_arrow()     # pandas: .to_pandas(); polars: pl.from_arrow
        today = tiescale.queue(store, limit=20)

Every function here is a thin call into the layer that owns the question (store, scoring,
insights, classify); the CLI and the dashboard call the same layers. Every list result is a
:class:`tiescale.results.Records` (``.to_arrow()``, ``.to_dicts()``). Names outside
``tiescale.__all__`` are internal and may change between releases.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .classify.model import Verdict, classify_texts
from .insights.content import ContentReport, content_report
from .insights.people import list_connections, person_profile
from .insights.queue import build_queue
from .insights.queue_items import QueueItem
from .insights.responsiveness import ResponsivenessRow
from .insights.responsiveness import responsiveness as _responsiveness
from .insights.revenue import RevenueReport, revenue_report
from .results import Records
from .scoring.explain import PersonProfile
from .scoring.run import ScoreRun, score_store
from .store.db import Store
from .store.ingest import ImportSummary, ingest_path


def open_store(path: str | os.PathLike[str] | None = None, read_only: bool = False) -> Store:
    """The store at ``path`` (default ``$TIESCALE_DB``, else ``./tiescale.duckdb``), migrated on open.

    Use it as a context manager so the file is released: ``with open_store() as store: ...``.
    """
    return Store(path, read_only=read_only)


def ingest(store: Store, *paths: str | Path, format: str | None = None, account: str | None = None,
           strict: bool = False) -> Records[ImportSummary]:
    """Import export files or folders (format detected when ``format`` is None), each whole or not at all."""
    return Records(ingest_path(store, path, fmt=format, account=account, strict=strict) for path in paths)


def score(store: Store, as_of: str | datetime | None = None, engine: str = "duckdb") -> ScoreRun:
    """Score every connection and person as of ``as_of`` (default: the end of the data)."""
    return score_store(store, as_of, engine=engine)


def people(store: Store, account: str | None = None, tier: str | None = None, min_score: float | None = None,
           platform: str | None = None, limit: int = 50) -> Records[Any]:
    """Connections by score, strongest first, with every dimension (``limit=0``: all)."""
    return Records(list_connections(store, account=account, tier=tier, min_score=min_score, platform=platform,
                                    limit=limit))


def person(store: Store, ref: str) -> PersonProfile:
    """One person: score, tier, reasons in words, identities, connections, history and timeline.
    ``ref``: ``platform:handle``, ``#id`` or a label."""
    return person_profile(store, ref)


def queue(store: Store, account: str | None = None, limit: int = 50, now: datetime | None = None) -> Records[QueueItem]:
    """Whom to engage today and why, most urgent first (one item per person)."""
    return Records(build_queue(store, account=account, limit=limit, now=now))


def responsiveness(store: Store, account: str | None = None, by: str = "month") -> Records[ResponsivenessRow]:
    """Response rate and time per period, platform and account."""
    return Records(_responsiveness(store, account=account, by=by))


def content(store: Store, account: str | None = None, by: str = "month") -> ContentReport:
    """The balance of the brand's own posts and messages: promotional, relational, value."""
    return content_report(store, account=account, by=by)


def revenue(store: Store, account: str | None = None, window_days: int = 365) -> RevenueReport:
    """Conversion and revenue by relationship tier, with lift against people who never talked."""
    return revenue_report(store, account=account, window_days=window_days)


def classify(texts: Iterable[str]) -> Records[Verdict]:
    """One verdict per text, in order: ``label`` (promotional, relational, value), ``confidence``, ``cues``."""
    return Records(classify_texts(texts))
