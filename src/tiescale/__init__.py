"""tiescale: the strength of a brand's relationships, from its own social data.

The public Python API is what this package exports (``tiescale.__all__``)::

    import tiescale
    with tiescale.open_store("tiescale.duckdb") as store:
        tiescale.ingest(store, "events.csv")
        tiescale.score(store)
        people = tiescale.people(store, limit=100).to_arrow()

Modules below ``tiescale`` (``tiescale.store``, ``tiescale.insights``, ...) are internal: they may
change between releases. docs/architecture.md maps them.
"""
from __future__ import annotations

from .api import (
    classify, content, ingest, open_store, people, person, queue, responsiveness, revenue, score,
)
from .records import (
    AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Rejected, Skipped, SourceError, TiescaleError,
    UsageError,
)
from .results import Records
from .store.db import Store, StoreError
from .store.export import export_events
from .store.identity import find_person, forget_person, merge_people, suggest_merges, unmerge_person
from .store.ingest import ImportSummary, ingest_path

__all__ = [
    # the questions, one call each
    "open_store", "ingest", "score", "people", "person", "queue", "responsiveness", "content", "revenue",
    "classify", "export_events",
    # people and identities
    "find_person", "forget_person", "merge_people", "suggest_merges", "unmerge_person",
    # the types they hand over
    "Store", "Records", "ImportSummary", "Interaction", "Post", "PersonInfo", "AccountInfo", "FollowEdge",
    "Rejected", "Skipped",
    # errors
    "TiescaleError", "SourceError", "UsageError", "StoreError",
    # the one-file import, as before (``ingest`` imports several)
    "ingest_path",
]
