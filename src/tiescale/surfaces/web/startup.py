"""Before serving: bring the store's schema up to date and score it if imports arrived since its last snapshot."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...insights.people import current_as_of, needs_scoring
from ...store.db import Store


def prepare_store(path: Path, say: Callable[[str], None] = lambda _m: None) -> None:
    """Migrate (one short write) and score when there is data but no snapshot that covers every import."""
    with Store(path) as store:
        if needs_scoring(store):
            say("scoring the store before serving (only what changed since the last run)...")
        current_as_of(store)
