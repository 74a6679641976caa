"""Text features of one message, as expressions every engine runs: words and warmth.

Warmth, offline: warm words from the VADER lexicon, counted with one regex. The regex runs inside
the engine (DuckDB or Spark), so no text leaves the store and no model is downloaded. A message's
warmth is min(1, warm words / 2); only the other person's messages count. Cold words
(data/cold_words.txt) never lower a score: a complaint is contact too.

This module sits below the store: an import computes every touchpoint's features once, with
:func:`text_features_sql`, and scoring reads the stored values.
"""
from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the expressions are built lazily: importing this module does not load Ibis
    import ibis.expr.types as ir

MARK = "\x01"


@cache
def word_list(name: str) -> tuple[str, ...]:
    text = resources.files("tiescale.text").joinpath(f"data/{name}.txt").read_text(encoding="utf-8")
    return tuple(w for w in (line.strip() for line in text.splitlines()) if w and not w.startswith("#"))


@cache
def pattern(name: str) -> str:
    words = sorted(word_list(name), key=len, reverse=True)
    return r"\b(" + "|".join(words) + r")\b"


def count_words(text: ir.StringValue, name: str) -> ir.IntegerValue:
    """How many words of the list ``name`` the text holds (0 for no text)."""
    # every character that is not an ASCII letter, digit or _ becomes a space: RE2 (DuckDB) and Java
    # (Spark) disagree on whether a letter like "ñ" is part of a word, and the list is ASCII anyway
    lowered = text.lower().re_replace("[^a-z0-9_]", " ")
    marked = lowered.re_replace(pattern(name), MARK)
    return (marked.length() - marked.replace(MARK, "").length()).fill_null(0)


def message_warmth(text: ir.StringValue) -> ir.FloatingValue:
    """0 to 1: how warm one message is."""
    count = count_words(text, "warm_words").cast("float64")
    return (count / 2.0).clip(upper=1.0)



def word_count(text: ir.StringValue) -> ir.IntegerValue:
    """Words in a message: spaces + 1 (cheap on every engine; a regex split costs far more)."""
    stripped = text.strip()
    return ((stripped.length() - stripped.replace(" ", "").length() + 1)
            * (stripped.length() > 0).cast("int64")).fill_null(0).cast("int64")


@cache
def text_features_sql(column: str = "text") -> tuple[str, str]:
    """DuckDB SQL of (words, warmth) over a text column named ``column``: the Ibis expressions, compiled."""
    import ibis
    import sqlglot
    from sqlglot import exp

    table = ibis.table({"text": "string"}, name="t")
    sql = ibis.to_sql(table.select(words=word_count(table.text), warmth=message_warmth(table.text)), dialect="duckdb")
    tree = sqlglot.parse_one(sql, read="duckdb")
    out = []
    for select in tree.expressions:
        body = select.this.copy()
        for col in body.find_all(exp.Column):
            col.replace(exp.column(column))
        out.append(body.sql(dialect="duckdb"))
    return out[0], out[1]


def text_features_version() -> str:
    """Which expressions computed the stored words and warmth: a hash of their SQL (word list included)."""
    return hashlib.sha256("\n".join(text_features_sql()).encode()).hexdigest()[:12]
