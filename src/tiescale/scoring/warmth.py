"""Warmth of a message, offline: warm words from the VADER lexicon, counted with one regex.

The regex runs inside the engine (DuckDB or Spark), so no text leaves the store and no model
is downloaded. A message's warmth is min(1, warm words / 2); only the other person's messages
count. Cold words (data/cold_words.txt) never lower a score: a complaint is contact too.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import ibis.expr.types as ir

MARK = "\x01"


@lru_cache(maxsize=None)
def word_list(name: str) -> tuple[str, ...]:
    text = resources.files("tiescale.scoring").joinpath(f"data/{name}.txt").read_text(encoding="utf-8")
    return tuple(w for w in (line.strip() for line in text.splitlines()) if w and not w.startswith("#"))


@lru_cache(maxsize=None)
def pattern(name: str) -> str:
    words = sorted(word_list(name), key=len, reverse=True)
    return r"\b(" + "|".join(words) + r")\b"


def count_words(text: ir.StringValue, name: str) -> ir.IntegerValue:
    """How many words of the list ``name`` the text holds (0 for no text)."""
    lowered = text.lower()
    marked = lowered.re_replace(pattern(name), MARK)
    return (marked.length() - marked.replace(MARK, "").length()).fill_null(0)


def message_warmth(text: ir.StringValue) -> ir.FloatingValue:
    """0 to 1: how warm one message is."""
    count = count_words(text, "warm_words").cast("float64")
    return (count / 2.0).clip(upper=1.0)

