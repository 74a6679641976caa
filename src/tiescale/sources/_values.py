"""Small cleaners for values read from any export, whatever its platform.

JSON exports hold strings where numbers are expected, lists where one object is, empty lists for
"nothing": these turn such values into what a parser wants, or ``None`` / empty, never an error.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any


def clean(value: Any) -> str | None:
    """A stripped string, or ``None`` for anything empty or not a string/number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def first_dict(value: Any) -> dict[str, Any]:
    """The first element of a list when it is an object (``string_list_data[0]``), else ``{}``."""
    items = as_list(value)
    return as_dict(items[0]) if items else {}


def is_empty(value: Any) -> bool:
    return isinstance(value, (list, dict)) and not value


def digest(*parts: Any) -> str:
    """A short stable hash of some values, for ids the export does not give."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


#: A cell a spreadsheet would run as a formula (OWASP's CSV injection prefixes), after any
#: quotes tiescale itself added: the quotes are part of the pattern so that the rule is reversible.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")


def neutralise_formula(value: str) -> str:
    """A CSV cell that no spreadsheet runs: ``'`` before a leading ``= + - @``, tab or CR.

    OWASP's rule, made reversible: a cell that already starts with quotes before such a character
    gets one more, so :func:`restore_formula` gives back exactly what was written.
    """
    return "'" + value if _FORMULA.match(value) else value


def restore_formula(value: str) -> str:
    """The inverse of :func:`neutralise_formula` (the events CSV reader applies it)."""
    return value[1:] if _NEUTRALISED.match(value) else value
