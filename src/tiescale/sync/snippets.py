"""Saved replies: named texts with placeholders, kept in the store (``snippets``, migration 18).

Placeholders are ``{name}`` (the person's display name, else their @name, else their label),
``{first_name}`` (its first word), ``{handle}`` (the @name or handle on the platform answered) and
``{account}``. Only these words in braces are replaced (a plain substitution, never ``str.format``:
a template cannot reach attributes); an unknown one is a clear error naming it.
"""
from __future__ import annotations

import re
from typing import Any

from ..records import UsageError
from ..store.db import Store

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_BODY = 2000


def add_snippet(store: Store, name: str, body: str) -> None:
    """Save (or replace) the snippet ``name``."""
    if not NAME.match(name):
        raise UsageError(f"snippet name {name!r}: letters, digits, '_', '.', '-' (at most 64)")
    if not body.strip():
        raise UsageError(f"snippet {name}: the text is empty")
    if len(body) > MAX_BODY:
        raise UsageError(f"snippet {name}: at most {MAX_BODY} characters")
    unknown = sorted({p for p in PLACEHOLDER.findall(body) if p not in PLACEHOLDERS})
    if unknown:
        raise UsageError(f"snippet {name}: unknown placeholder {{{unknown[0]}}}; use "
                         + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    with store.transaction() as con:
        con.execute("DELETE FROM snippets WHERE snippet = ?", [name])
        con.execute("INSERT INTO snippets (snippet, body, created_at) VALUES (?, ?, now())", [name, body])


def remove_snippet(store: Store, name: str) -> bool:
    with store.transaction() as con:
        found = con.execute("SELECT count(*) FROM snippets WHERE snippet = ?", [name]).fetchone()
        con.execute("DELETE FROM snippets WHERE snippet = ?", [name])
    return bool(found and found[0])


def list_snippets(store: Store) -> list[dict[str, Any]]:
    return store.rows("SELECT snippet AS name, body, created_at FROM snippets ORDER BY snippet")


def _person_words(store: Store, person_id: int) -> dict[str, str]:
    person = store.row("SELECT label, display_name FROM people WHERE person_id = ?", [person_id]) or {}
    ident = store.row("""SELECT platform, handle, username, display_name FROM identities WHERE person_id = ?
                         ORDER BY platform IN ('bluesky', 'mastodon') DESC, platform, handle LIMIT 1""",
                      [person_id]) or {}
    handle = ident.get("username") or ident.get("handle") or person.get("label") or ""
    name = person.get("display_name") or ident.get("display_name") or (f"@{handle}" if ident.get("username")
                                                                         else person.get("label")) or handle
    return {"name": name, "first_name": name.split()[0] if name.split() else name, "handle": handle}


PLACEHOLDERS = ("name", "first_name", "handle", "account")


def fill_placeholders(store: Store, text: str, person_id: int, account: str = "") -> str:
    """``text`` with its placeholders filled for this person."""
    if "{" not in text:
        return text
    words = {**_person_words(store, person_id), "account": account}

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in words:
            raise UsageError(f"unknown placeholder {{{key}}}; use " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
        return words[key]

    return PLACEHOLDER.sub(one, text)


def fill_snippet(store: Store, name: str, person_id: int, extra: str = "", account: str = "") -> str:
    """The snippet's text for this person (``extra``, when given, follows it on a new line)."""
    body = store.scalar("SELECT body FROM snippets WHERE snippet = ?", [name])
    if body is None:
        known = ", ".join(r["name"] for r in list_snippets(store)) or "none saved"
        raise UsageError(f"no snippet {name!r} (known: {known}); save one with `tiescale snippets add`")
    text = str(body) + (f"\n{extra.strip()}" if extra and extra.strip() else "")
    return fill_placeholders(store, text, person_id, account)


__all__ = ["PLACEHOLDERS", "add_snippet", "fill_placeholders", "fill_snippet", "list_snippets", "remove_snippet"]
