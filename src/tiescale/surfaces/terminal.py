"""What every command shares: the two consoles, how a failure is printed, the store, common options.

Kept apart from :mod:`tiescale.surfaces.cli` so that the command modules (surfaces/commands/*) and
the CLI that registers them import it, and not each other.
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.markup import escape as escape  # re-exported: commands escape data next to their own tags
from rich.text import Text

from ..store.db import Store, resolve_db_path
from .render import OUTPUT_FORMATS
from .writers import announce, withdraw, writer_lock_wait

#: The words tiescale's own markup uses for styles; any other bracketed text is data.
STYLE_WORDS = frozenset({
    "bold", "dim", "italic", "underline", "reverse", "strike", "not", "on",
    "red", "green", "yellow", "blue", "magenta", "cyan", "white", "black", "grey50", "bright_black",
})
#: Rich's tag pattern (rich.markup.RE_TAGS): an optional run of backslashes, then ``[tag]``.
_TAG = re.compile(r"(\\*)\[([a-zA-Z#/@][^\[\]]*?)\]")


def safe_markup(text: str) -> str:
    """``text`` with every bracketed tag that is not tiescale's own style markup escaped.

    The one place text reaches Rich (both consoles' ``render_str``, which every printed string
    and every table cell goes through): a display name, message, path or zip member name like
    ``ann[/]smith`` or ``[link=...]`` is shown as written, never interpreted, and can no longer
    crash a command with ``MarkupError``. Kept: tags made of :data:`STYLE_WORDS` and closing tags
    that close one of them; everything else is escaped. Callers escape data they interpolate
    right next to their own tags (``rich.markup.escape``), and this catches what they miss.
    """
    if "[" not in text:
        return text
    opened: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in _TAG.finditer(text):
        backslashes, tag = match.group(1), match.group(2)
        pieces.append(text[last:match.start()])
        last = match.end()
        if len(backslashes) % 2:  # already escaped by the caller
            pieces.append(match.group(0))
            continue
        if _keeps(tag, opened):
            pieces.append(match.group(0))
        else:
            pieces.append(f"{backslashes}\\[{tag}]")
    pieces.append(text[last:])
    return "".join(pieces)


def _keeps(tag: str, opened: list[str]) -> bool:
    """Whether ``tag`` is tiescale's own markup (updating the stack of open styles)."""
    if tag.startswith("/"):
        name = tag[1:].strip()
        if opened and (not name or name == opened[-1]):
            opened.pop()
            return True
        return False
    words = tag.split()
    if words and all(w in STYLE_WORDS for w in words):
        opened.append(tag.strip())
        return True
    return False


class SafeConsole(Console):
    """A Rich console that never interprets data as markup or emoji codes (see :func:`safe_markup`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        markup = kwargs.get("markup")
        if markup or (markup is None and self._markup):
            text = safe_markup(text)
        return super().render_str(text, **kwargs)


err = SafeConsole(stderr=True, highlight=False)
out = SafeConsole(highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    sys.exit(code)


class WritingStore(Store):
    """A store opened for writing by a command, announced to an open dashboard while it is open.

    The note (see :mod:`tiescale.surfaces.writers`) is left before the file is opened, so that a
    dashboard stops opening new reads and the file comes free, and removed when the store closes.
    """

    def __init__(self, path: str | os.PathLike[str] | None, lock_wait: float | None = None) -> None:
        self._note = announce(resolve_db_path(path))
        try:
            super().__init__(path, lock_wait=writer_lock_wait() if lock_wait is None else lock_wait)
        except BaseException:
            withdraw(self._note)
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            withdraw(self._note)


def open_store(ctx: click.Context, read_only: bool = False) -> Store:
    """The store named by ``--db`` (or $TIESCALE_DB, or ./tiescale.duckdb); opened for writing, it is
    announced to a dashboard serving the same file and waits for it (see ``WritingStore``)."""
    if read_only:
        return Store(ctx.obj["db"], read_only=True)
    return WritingStore(ctx.obj["db"])


def refresh_after_write(store: Store) -> None:
    """Bring derived state up to date after a command's write (``tiescale refresh`` does it alone):
    readers, the dashboard's among them, then find every derived table current."""
    from ..insights.derived import refresh_derived  # imported when used: it loads the scoring engine

    if err.is_terminal:
        with err.status("bringing scores, the queue and reports up to date...", spinner="dots"):
            refresh_derived(store)
    else:
        refresh_derived(store)


@contextmanager
def writing_store(ctx: click.Context, refresh: bool = True) -> Iterator[Store]:
    """The store for a command that writes; when the block ends without an error, derived state is
    brought up to date (``refresh=False``: the caller decides, e.g. ``ingest --no-refresh``)."""
    with open_store(ctx) as store:
        yield store
        if refresh:
            refresh_after_write(store)


format_option = click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)
limit_option = click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="0 means all")
