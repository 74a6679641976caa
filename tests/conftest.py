"""Shared test fixtures: a fresh store per test, the shared real-data folder when present."""
from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Iterator

import pytest

from tiescale.store.db import Store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(os.environ.get("TIESCALE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real DuckDB store in a temporary folder."""
    with Store(tmp_path / "test.duckdb") as s:
        yield s


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests using it are skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


def count(store: Store, sql: str, params: list | None = None) -> int:
    return store.con.execute(sql, params or []).fetchone()[0]
