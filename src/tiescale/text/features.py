"""Text features of one message, as expressions every engine runs: words and warmth, in every script.

Words: a word is a run of letters, marks and digits (Unicode classes ``\\p{L}\\p{M}\\p{N}``), so
"niño", "café", "подарок" and "شكرا" are one word each. Scripts written without spaces count by a
stated rule: Chinese and Japanese (Han, Hiragana, Katakana) one word per 1.6 characters (jieba's
mean word length on the Chinese review set), Thai one word per 4 characters (rounded up; see
docs/languages.md).

Warmth, offline: warm words of eleven languages (data/warm_*.txt: English from the VADER lexicon,
the others written for tiescale) and warm emoji, counted with one regex over the lower-cased
text. A message's warmth is min(1, warm words / 2); only the other person's messages count. Cold
words (data/cold_words.txt) never lower a score: a complaint is contact too. No language detector
runs here: a lexicon entry matches whatever language a message is in (design in docs/languages.md).

Both expressions run inside the engine (DuckDB's RE2 and Spark's Java regex), so no text leaves
the store and no model is downloaded; they use only what both regex dialects mean the same way
(Unicode classes, literal characters, no ``\\b``, no group references).

This module sits below the store: an import computes every touchpoint's features once, with
:func:`text_features_sql`, and scoring reads the stored values.
"""
from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the expressions are built lazily: importing this module does not load Ibis
    import ibis.expr.types as ir

MARK = "\x01"
#: Languages with a warm-word list besides English (data/warm_<code>.txt).
WARM_LANGUAGES = ("es", "pt", "de", "fr", "it", "ar", "id", "zh", "ko", "ja")

#: Scripts written without spaces between words, and how many characters make one word.
HAN_KANA = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f"
THAI = "\u0e00-\u0e7f"
WORD_CHARS = r"\p{L}\p{M}\p{N}"
#: What separates tokens for warm-word matching: anything but letters, marks, digits and symbols
#: (emoji are symbols, so a warm emoji stays matchable).
_NOT_TOKEN = r"[^\p{L}\p{M}\p{N}\p{So}]+"
#: Text smileys (":)", ";-D", "<3", "^^", "xD", lower-cased), read as the emoji they stand for.
_SMILEYS = (r"(?:^|[^\p{L}\p{N}])(?:[:;=]['\-^o]?[)\]dp3*]+|\(['\-^]?[:;=])(?:[^\p{L}\p{N}\p{So}]|$)"
            r"|<3+|\^[_.\-]?\^|(?:^|[^\p{L}])x+d+(?:[^\p{L}]|$)")
SMILE = "\u263a"
#: Words that, right before a warm word, take its warmth away ("not good", "no me gusta", "不好吃").
NEGATIONS = ("not", "no", "never", "nothing", "nunca", "ni", "não", "nao", "nem", "nicht", "kein", "keine",
             "keinen", "nie", "pas", "jamais", "plus", "non", "mai", "tidak", "tak", "gak", "nggak", "ga", "bukan",
             "belum", "kurang", "لا", "ما", "مش", "ليس", "لم", "مو", "안", "못")
#: Chinese and Korean negations, often written into the next word (不好吃, 안좋아): a warm fragment
#: right after one is not warm.
_DENSE_NEGATIONS = "(?:不|没|沒|别|別|안 {0,2}|못 {0,2})"
#: Korean and Japanese negate after the word ("감동도 없고", "웃기지 않은", "好きじゃない").
_NEGATING_ENDINGS = "(?:없|않|못|아니|じゃない|ではない|じゃなかった|ない|なかった)"
#: Arabic clitics that may precede a stem ("و" and, "ف" so, "ب" with, "ل" for, "ال" the).
_ARABIC_CLITICS = "(?:[وفبلك]?(?:ال)?)"


@cache
def word_list(name: str) -> tuple[str, ...]:
    text = resources.files("tiescale.text").joinpath(f"data/{name}.txt").read_text(encoding="utf-8")
    return tuple(w for w in (line.strip() for line in text.splitlines()) if w and not w.startswith("#"))


def _alternation(entries: list[str]) -> str:
    return "|".join(re.escape(e) for e in sorted(set(entries), key=lambda e: (-len(e), e)))


@cache
def lexicon_parts(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The entries of the lists ``names``, lower-cased: (whole tokens, token starts, fragments).

    An entry is a whole token (``gracias``), a token's start (``agradec*``: agradecido,
    agradecemos; Arabic stems also after a clitic) or a fragment anywhere (``*谢谢``, for scripts
    without spaces and for emoji). Phrases (``terima kasih``) are tokens in a row.
    """
    whole: list[str] = []
    starts: list[str] = []
    anywhere: list[str] = []
    for name in names:
        for entry in word_list(name):
            entry = entry.lower()
            if entry.startswith("*"):
                anywhere.append(entry.strip("*"))
            elif entry.endswith("*"):
                starts.append(entry.rstrip("*").replace(" ", "  "))
            else:
                whole.append(entry.replace(" ", "  "))
    return tuple(whole), tuple(starts), tuple(anywhere)


@cache
def lexicon_pattern(names: tuple[str, ...]) -> str:
    """One regex for the lists ``names`` over a token string (tokens between two spaces)."""
    whole, starts, anywhere = lexicon_parts(names)
    parts = []
    if whole:
        parts.append(f" (?:{_alternation(list(whole))}) ")
    if starts:
        parts.append(f" {_ARABIC_CLITICS}(?:{_alternation(list(starts))})")
    if anywhere:
        parts.append(f"(?:{_alternation(list(anywhere))})")
    return "|".join(parts)


def warm_lists() -> tuple[str, ...]:
    """The warm-word lists: English, every language of :data:`WARM_LANGUAGES`, and warm emoji."""
    return ("warm_words", *(f"warm_{code}" for code in WARM_LANGUAGES), "warm_emoji")


def tokens(text: ir.StringValue) -> ir.StringValue:
    """The lower-cased text as tokens, each between two spaces: "  hola    qué  tal  ", smileys as ☺."""
    smiled = text.lower().re_replace(_SMILEYS, f"  {SMILE}  ")
    return "  " + smiled.re_replace(_NOT_TOKEN, "  ") + "  "


@cache
def negated_pattern(names: tuple[str, ...]) -> str:
    """A negation and the warm word right after it: removed before warm words are counted."""
    words = "|".join(re.escape(n) for n in NEGATIONS)
    _, starts, fragments = lexicon_parts(names)
    anywhere = _alternation(list(fragments))
    stems = _alternation([*starts, *fragments])
    return (f" (?:{words}) (?:{lexicon_pattern(names)}| (?:{anywhere}))|{_DENSE_NEGATIONS}(?:{anywhere})"
            f"|(?:{stems})[^ ]{{0,2}} {{0,2}}{_NEGATING_ENDINGS}")


def count_matches(text: ir.StringValue, pattern: str, negated: str | None = None) -> ir.IntegerValue:
    """How many times ``pattern`` matches the text's token string (0 for no text), once the matches
    of ``negated`` are gone."""
    tokened = tokens(text)
    if negated:
        tokened = tokened.re_replace(negated, "  ")
    marked = tokened.re_replace(pattern, MARK)
    return (marked.length() - marked.replace(MARK, "").length()).fill_null(0)


def count_words(text: ir.StringValue, name: str) -> ir.IntegerValue:
    """How many words of the list ``name`` the text holds (0 for no text)."""
    return count_matches(text, lexicon_pattern((name,)))


def message_warmth(text: ir.StringValue) -> ir.FloatingValue:
    """0 to 1: how warm one message is, in any of the languages with a warm-word list."""
    names = warm_lists()
    count = count_matches(text, lexicon_pattern(names), negated_pattern(names)).cast("float64")
    return (count / 2.0).clip(upper=1.0)


def word_count(text: ir.StringValue) -> ir.IntegerValue:
    """Words in a message: runs of letters and digits, plus Chinese/Japanese and Thai by their ratio.

    Dense scripts are removed first (and counted by how much shorter the text got), then every run
    of other letters is one word: the runs are turned into single spaces and counted without a
    regex split (which costs far more).
    """
    without_han = text.re_replace(f"[{HAN_KANA}]", "")
    han = text.length() - without_han.length()
    without_thai = without_han.re_replace(f"[{THAI}]", "")
    thai = without_han.length() - without_thai.length()
    spaced = without_thai.re_replace(f"[^{WORD_CHARS}]+", " ").strip()
    runs = (spaced.length() - spaced.replace(" ", "").length() + 1) * (spaced.length() > 0).cast("int64")
    dense = (han * 5 + 7) // 8 + (thai + 3) // 4  # ceil(han / 1.6) + ceil(thai / 4)
    return (runs + dense).fill_null(0).cast("int64")


@cache
def text_features_sql(column: str = "text") -> tuple[str, str]:
    """DuckDB SQL of (words, warmth) over a text column named ``column``: the Ibis expressions, compiled
    (once per installation: ``tiescale.sqlcache`` keeps the text between processes)."""
    from tiescale.sqlcache import SQL_CACHE

    found = json.loads(SQL_CACHE.get_or_compile(f"text_features {column}", lambda: json.dumps(_compile_text_features(column))))
    return found[0], found[1]


def _compile_text_features(column: str) -> list[str]:
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
    return out


def text_features_version() -> str:
    """Which expressions computed the stored words and warmth: a hash of their SQL (word lists included)."""
    return hashlib.sha256("\n".join(text_features_sql()).encode()).hexdigest()[:12]
