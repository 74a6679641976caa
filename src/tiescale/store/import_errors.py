"""Errors an import raises on purpose, shared by every way into the store."""
from __future__ import annotations

from ..records import Rejected, TiescaleError


class StrictAbort(TiescaleError):
    """``--strict``: the first unreadable row aborts the import."""

    @classmethod
    def at(cls, rejected: Rejected) -> StrictAbort:
        """The abort for one refused row, naming its file and record."""
        return cls(f"{rejected.file}, {rejected.record}: {rejected.reason} (--strict: nothing imported)")
