"""tiescale: the strength of a brand's relationships, from its own social data."""
from __future__ import annotations

from .store.identity import find_person, forget_person, merge_people, suggest_merges, unmerge_person
from .records import (
    AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Rejected, Skipped, SourceError, TiescaleError,
    UsageError,
)
from .store.db import Store
from .store.export import export_events
from .store.ingest import ImportSummary, ingest_path

__all__ = [
    "AccountInfo", "FollowEdge", "ImportSummary", "Interaction", "PersonInfo", "Post", "Rejected", "Skipped",
    "SourceError", "Store", "TiescaleError", "UsageError", "export_events", "find_person", "forget_person",
    "ingest_path", "merge_people", "suggest_merges", "unmerge_person",
]
