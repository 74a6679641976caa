"""Rendering listings as a Rich table, CSV or JSON: one place for every listing command."""
from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..sources._values import neutralise_formula

#: the formats every listing command can print (input formats are the import registry's business)
OUTPUT_FORMATS = ("table", "csv", "json")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _csv_cell(value: Any) -> Any:
    """A value as a CSV cell that a spreadsheet shows, never runs (``=HYPERLINK(...``)."""
    plain = _plain(value)
    return neutralise_formula(plain) if isinstance(plain, str) else plain


def render_rows(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str = "table", title: str | None = None,
    console: Console | None = None,
) -> None:
    """Print rows (dicts) with the given columns in the chosen format to stdout."""
    rows = list(rows)
    if fmt == "json":
        json.dump([{k: _plain(v) for k, v in r.items()} for r in rows], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    else:
        table = Table(title=title, header_style="bold")
        for column in columns:
            table.add_column(column.replace("_", " "))
        for row in rows:
            # cells are Text, never markup: a name like ``ann[/]smith`` is shown as written
            table.add_row(*(Text("" if row.get(c) is None else str(_plain(row.get(c)))) for c in columns))
        (console or Console(emoji=False)).print(table)
