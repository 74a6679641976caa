"""The own accounts the store knows (the brand's handles on each platform), for filters and headings."""
from __future__ import annotations

from dataclasses import dataclass

from ..results import Records
from ..store.db import Store


@dataclass(frozen=True)
class Account:
    """One own account: its platform, handle and the name it shows."""

    platform: str
    handle: str
    display_name: str | None


def accounts(store: Store) -> Records[Account]:
    """Every own account, by platform then handle."""
    found = store.rows("SELECT platform, handle, display_name FROM accounts ORDER BY platform, handle")
    return Records((Account(r["platform"], r["handle"], r["display_name"]) for r in found),
                   Account.__dataclass_fields__)


def platforms(store: Store) -> list[str]:
    """The platforms the own accounts are on, sorted."""
    return sorted({a.platform for a in accounts(store)})
