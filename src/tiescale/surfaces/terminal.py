"""What every command shares: the two consoles, how a failure is printed, the store, common options.

Kept apart from :mod:`tiescale.surfaces.cli` so that the command modules (surfaces/commands/*) and
the CLI that registers them import it, and not each other.
"""
from __future__ import annotations

import sys

import click
from rich.console import Console

from ..store.db import Store
from .render import OUTPUT_FORMATS

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(code)


def open_store(ctx: click.Context, read_only: bool = False) -> Store:
    """The store named by ``--db`` (or $TIESCALE_DB, or ./tiescale.duckdb)."""
    return Store(ctx.obj["db"], read_only=read_only)


format_option = click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)
limit_option = click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="0 means all")
