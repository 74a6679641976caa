"""Classifying the brand's own posts and messages: promotional, relational or value.

``classify_texts(texts)`` returns one :class:`Verdict` per text (label, confidence, cues), from
the small linear model shipped in ``data/model.json`` combined with clear cues (prices, codes,
shop links, calls to action, thanks, questions). Offline, milliseconds per text.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import LABELS, Model, Verdict, classify_texts, load_model

__all__ = ["LABELS", "Model", "Verdict", "classify_texts", "load_model"]


def __getattr__(name: str) -> Any:  # the model (and numpy) load on first use, not on import
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import model

    return getattr(model, name)
