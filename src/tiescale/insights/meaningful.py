"""One meaning of "meaningful connection": a score of 7 or more, everywhere.

The overview, its chart, Revenue, the report, ``vanity``, goals and the API all count a person as a
meaningful connection when their score is at least :data:`MEANINGFUL_MIN` (and they have talked with
the brand). Why 7: it is where the ``close`` tier starts (``close`` 7-9 and ``champion`` 9-10 are
"a real two-way relationship"), so the count of meaningful connections is exactly the close and
champion bars of the tier chart, and the product's "about 8 out of 10" claim reads as "close or
closer". 8 would cut the close tier in two, and a count nobody can see on the tier chart invites
two numbers for one word.

A setting: ``TIESCALE_MEANINGFUL_MIN`` (0-10) changes it for every surface at once; a command's
``--meaningful`` changes it for that command only.
"""
from __future__ import annotations

import os

from tiescale.scoring.config import TIERS

DEFAULT_MEANINGFUL_MIN = 7.0
ENV = "TIESCALE_MEANINGFUL_MIN"


def _setting() -> float:
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return DEFAULT_MEANINGFUL_MIN
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{ENV}={raw!r} is not a number between 0 and 10") from None
    if not 0 <= value <= 10:
        raise ValueError(f"{ENV}={raw!r} is not between 0 and 10")
    return value


#: The score from which a person who talked with the brand is a meaningful connection.
MEANINGFUL_MIN: float = _setting()


def meaningful_tiers(threshold: float = MEANINGFUL_MIN) -> tuple[str, ...]:
    """The tiers wholly at or above ``threshold`` (close and champion at 7)."""
    return tuple(name for name, low, _high, _ in TIERS if low >= threshold)


def label(threshold: float = MEANINGFUL_MIN) -> str:
    """How every surface writes the threshold next to a figure: "score 7+"."""
    return f"score {threshold:g}+"


def words(threshold: float = MEANINGFUL_MIN) -> str:
    """The threshold in words, with the tiers it covers when it is a tier boundary."""
    tiers = meaningful_tiers(threshold)
    exact = any(low == threshold for _name, low, _high, _ in TIERS)
    return f"{label(threshold)} ({' or '.join(tiers)})" if tiers and exact else label(threshold)
