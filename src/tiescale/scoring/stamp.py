"""What identifies a score run without loading the scoring engine: its date and the scale's fingerprint.

Readers need both (which snapshot to read, whether it was scored with today's scale) and must not
import Ibis for them (``tiescale.lazymodules``); ``run.py`` re-exports them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime

from tiescale.store.db import Store
from tiescale.text.features import text_features_version
from tiescale.timeparse import parse_ts
from .config import DEFAULT, KIND_WEIGHTS, TIERS, ScaleConfig


def scale_fingerprint(config: ScaleConfig = DEFAULT) -> str:
    """What the scores mean: the configuration, the kind weights, the tiers and the text features."""
    blob = json.dumps([asdict(config), KIND_WEIGHTS, TIERS, text_features_version()], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def resolve_as_of(value: str | datetime | None, store: Store | None = None) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC), ISO 8601 or unix seconds, as naive UTC.

    By default: the end of the data, i.e. midnight after the newest touchpoint (never later
    than now), so an old export is scored as of when it was taken, not decayed to nothing.
    """
    if value is not None:
        return parse_ts(value).astimezone(UTC).replace(tzinfo=None)
    end = store.data_end() if store is not None else None
    return end if end is not None else datetime.now(UTC).replace(tzinfo=None)
