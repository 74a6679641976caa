"""Before serving: bring the store's schema up to date, score it if imports arrived since its last
snapshot, and bring every derived table up to date, so that the dashboard's GET requests only read."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...insights.derived import refresh_derived
from ...insights.people import current_as_of, needs_scoring
from ...store.db import Store


def prepare_store(path: Path, say: Callable[[str], None] = lambda _m: None) -> None:
    """Migrate, score when there is data but no snapshot that covers every import, refresh derived state."""
    with Store(path) as store:
        if needs_scoring(store):
            say("scoring the store before serving (only what changed since the last run)...")
        current_as_of(store)
        refresh_derived(store)
