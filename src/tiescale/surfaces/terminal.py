"""What every command shares: the two consoles, how a failure is printed, the store, common options.

Kept apart from :mod:`tiescale.surfaces.cli` so that the command modules (surfaces/commands/*) and
the CLI that registers them import it, and not each other.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console

from ..store.db import Store, resolve_db_path
from .render import OUTPUT_FORMATS
from .writers import announce, withdraw, writer_lock_wait

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
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
