"""The scoring expressions' SQL, compiled once per process and reused for every date.

Compiling an Ibis expression to SQL costs 10-60 ms, and a refresh scores many dates (the first of
every month, one window back, now), each with a dozen expressions that differ only in their dates.
So each expression is compiled once (per installation: ``tiescale.sqlcache`` keeps the text on disk) with stand-in dates (midnights around 1901 that no data holds),
and the SQL of any other date is that text with the stand-ins' literals replaced by the date's.
A test checks the result is what compiling with the real dates gives, up to the pretty printer's
line breaks (which follow the literals' lengths). A template whose stand-ins do not all appear
whole (a literal split over lines) is not used: that expression is compiled for every date.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from typing import TYPE_CHECKING

from tiescale.lazymodules import lazy_module

from tiescale.sqlcache import SQL_CACHE

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir
else:
    ibis = lazy_module("ibis")  # imported on first use: readers get their SQL from the cache

_TEMPLATES: dict[tuple[str, tuple[str, ...]], str | None] = {}


def timestamp_sql(value: datetime) -> str:
    """How the DuckDB compiler writes a naive timestamp literal."""
    seconds = value.second + value.microsecond / 1e6
    return f"MAKE_TIMESTAMP({value.year}, {value.month}, {value.day}, {value.hour}, {value.minute}, {seconds!r})"


def _stand_in(index: int) -> datetime:
    return datetime(1901 + index, 1 + index % 12, 1 + index % 28)


def compiled_sql(key: object, build: Callable[..., ir.Expr], **dates: datetime) -> str:
    """SQL of ``build(**dates)``; ``key`` names everything else the expression depends on (the
    configuration, the tables it reads), so one key and the same date names always build the same
    expression up to its dates (it is compared by its ``repr``: a configuration holds dicts). Aware
    dates are compiled directly (their literals differ)."""
    if any(d.tzinfo is not None for d in dates.values()):
        return str(ibis.to_sql(build(**dates), dialect="duckdb"))
    names = tuple(sorted(dates))
    slot = (repr(key), names)
    if slot not in _TEMPLATES:
        def compile_template() -> str:  # "" when the stand-ins are not all whole
            stand_ins = {name: _stand_in(i) for i, name in enumerate(names)}
            compiled = str(ibis.to_sql(build(**stand_ins), dialect="duckdb"))
            whole = all(compiled.count(f"MAKE_TIMESTAMP({d.year},") == compiled.count(timestamp_sql(d))
                        for d in stand_ins.values())
            return compiled if whole else ""

        # kept between processes too (tiescale/sqlcache.py): the text depends only on the code
        _TEMPLATES[slot] = SQL_CACHE.get_or_compile(f"template {slot!r}", compile_template) or None
    template = _TEMPLATES[slot]
    if template is None:
        return str(ibis.to_sql(build(**dates), dialect="duckdb"))
    sql = template
    for i, name in enumerate(names):
        sql = sql.replace(timestamp_sql(_stand_in(i)), timestamp_sql(dates[name]))
    return sql
