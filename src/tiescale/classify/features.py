"""Hashed features of a text, the same for training and prediction.

Three blocks, each scaled on its own: character n-grams of 2 to 5 characters inside word
boundaries (robust to spelling, emoji, spacing), word unigrams and bigrams, and the clear cues
of :mod:`.cues` plus a few shape marks (length, shouting). Feature names are hashed with CRC-32
into ``2**bits`` buckets, so the model is a plain weight vector: no vocabulary, no pickle.
"""
from __future__ import annotations

import math
import re
import zlib

from .cues import find_cues, normalize

_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|[$€£%!?@#]", re.UNICODE)
CHAR_RANGE = (2, 5)


def _hash(token: str, mask: int) -> int:
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) & mask


def _length_bucket(n_words: int) -> str:
    for limit in (3, 6, 12, 25, 50):
        if n_words <= limit:
            return f"len<={limit}"
    return "len>50"


def featurize(text: str, bits: int, cue_weight: float = 1.0) -> tuple[dict[int, float], list[str]]:
    """Bucket -> value for one text, and the names of the cues found in it."""
    mask = (1 << bits) - 1
    plain = normalize(text)
    lowered = plain.lower()
    words = _WORDS.findall(lowered)
    out: dict[int, float] = {}

    grams: set[str] = set()
    low, high = CHAR_RANGE
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            for start in range(size - n + 1):
                grams.add(padded[start:start + n])
    if grams:
        value = 1.0 / math.sqrt(len(grams))
        for gram in grams:
            key = _hash("c" + gram, mask)
            out[key] = out.get(key, 0.0) + value

    tokens = set(words)
    tokens.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    if tokens:
        value = 1.0 / math.sqrt(len(tokens))
        for token in tokens:
            key = _hash("w" + token, mask)
            out[key] = out.get(key, 0.0) + value

    cues = find_cues(plain)
    marks = [f"q:{c}" for c in cues]
    marks.append("s:" + _length_bucket(len(words)))
    letters = [ch for ch in plain if ch.isalpha()]
    if len(letters) >= 8 and sum(ch.isupper() for ch in letters) > 0.6 * len(letters):
        marks.append("s:shouting")
    if "!!" in plain:
        marks.append("s:exclaims")
    if not cues:
        marks.append("s:no_cue")
    for mark in marks:
        key = _hash(mark, mask)
        out[key] = out.get(key, 0.0) + cue_weight
    return out, cues
