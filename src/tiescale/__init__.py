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

import importlib
from typing import TYPE_CHECKING, Any

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

#: Where each public name lives. Loaded on first use (PEP 562), so ``import tiescale`` stays light:
#: the CLI starts without loading the scoring engine, and a notebook pays only for what it calls.
_HOME: dict[str, str] = {
    **dict.fromkeys(("open_store", "ingest", "score", "people", "person", "queue", "responsiveness", "content",
                     "revenue"), "api"),
    "export_events": "store.export",
    **dict.fromkeys(("find_person", "forget_person", "merge_people", "suggest_merges", "unmerge_person"),
                    "store.identity"),
    "Store": "store.db", "StoreError": "store.db", "Records": "results",
    "ImportSummary": "store.ingest", "ingest_path": "store.ingest",
    **dict.fromkeys(("Interaction", "Post", "PersonInfo", "AccountInfo", "FollowEdge", "Rejected", "Skipped",
                     "TiescaleError", "SourceError", "UsageError"), "records"),
}

if TYPE_CHECKING:
    from .api import (
        content, ingest, open_store, people, person, queue, responsiveness, revenue, score,
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


# ``classify`` is both a public function and the name of a subpackage. Load the (light) subpackage
# first, then bind the function: a later ``import tiescale.classify.model`` no longer rebinds the name.
from . import classify as _classifier_package  # noqa: E402,F401


def classify(texts: Any) -> Any:
    """One verdict per text, in order (see :func:`tiescale.api.classify`)."""
    from .api import classify as _classify

    return _classify(texts)


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'tiescale' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
