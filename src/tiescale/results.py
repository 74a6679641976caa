"""Typed results of the read layer: lists that hand themselves over as Arrow tables.

Every insights function that answers "which people / which messages / which months" returns a
:class:`Records` of frozen dataclasses (or of dicts, for rows whose columns are data). Surfaces
render them; an analyst calls ``.to_arrow()`` and gives the table to pandas (``.to_pandas()``) or
polars (``pl.from_arrow``) without copying row by row in their own code.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pyarrow as pa

T = TypeVar("T")


def as_dict(record: Any) -> dict[str, Any]:
    """A record as a plain dict: dataclasses field by field (not deep-copied), dicts as they are."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    if isinstance(record, dict):
        return record
    raise TypeError(f"not a record: {type(record).__name__}")


class Records(list[T]):
    """A list of records that converts to an Arrow table (``to_arrow``) or to dicts (``to_dicts``)."""

    def __init__(self, items: Iterable[T] = (), columns: Iterable[str] | None = None) -> None:
        super().__init__(items)
        self.columns = list(columns) if columns is not None else None

    def to_dicts(self) -> list[dict[str, Any]]:
        return [as_dict(r) for r in self]

    def to_arrow(self) -> pa.Table:
        """The records as one Arrow table, a column per field (an empty list keeps its columns)."""
        import pyarrow as pa  # loaded when a table is asked for, not when the CLI starts

        rows = self.to_dicts()
        if not rows and self.columns:
            return pa.table({name: pa.array([], pa.null()) for name in self.columns})
        return pa.Table.from_pylist(rows)
