"""Compiled SQL kept between processes (tiescale/sqlcache.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tiescale.sqlcache import SqlCache, cache_dir, fingerprint


def test_sql_is_compiled_once_and_read_back_by_the_next_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIESCALE_CACHE_DIR", str(tmp_path))
    calls: list[str] = []
    first = SqlCache()
    assert first.get_or_compile("k", lambda: calls.append("k") or "SELECT 1") == "SELECT 1"
    assert first.get_or_compile("k", lambda: calls.append("k") or "SELECT 2") == "SELECT 1"
    first.save()
    assert calls == ["k"] and (tmp_path / f"sql-{fingerprint()}.json").is_file()
    second = SqlCache()  # a new process's cache
    assert second.get_or_compile("k", lambda: calls.append("again") or "SELECT 3") == "SELECT 1"
    assert calls == ["k"]


def test_a_damaged_cache_file_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIESCALE_CACHE_DIR", str(tmp_path))
    (tmp_path / f"sql-{fingerprint()}.json").write_text("{not json")
    cache = SqlCache()
    assert cache.get_or_compile("k", lambda: "SELECT 1") == "SELECT 1"
    cache.save()
    assert SqlCache().get_or_compile("k", lambda: "other") == "SELECT 1"


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIESCALE_CACHE_DIR", "off")
    assert cache_dir() is None
    cache = SqlCache()
    cache.get_or_compile("k", lambda: "SELECT 1")
    cache.save()  # nowhere to write: nothing happens


def test_a_cli_run_fills_the_cache_and_the_next_one_gives_the_same_scores(tmp_path: Path) -> None:
    """Two processes, the second reading what the first compiled, score a store identically."""
    from tests.scoring.test_engines import write_events

    events = tmp_path / "events.csv"
    write_events(events, n=200, seed=3)
    env = {"TIESCALE_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    outputs = []
    for run in ("first", "second"):
        db = tmp_path / f"{run}.duckdb"
        for args in (["ingest", str(events)], ["people", "--format", "csv", "--limit", "50"]):
            done = subprocess.run([sys.executable, "-m", "tiescale.surfaces.cli", "--db", str(db), *args],
                                  capture_output=True, text=True, env={**env, **_python_env()}, check=True)
        outputs.append(done.stdout)
        assert list((tmp_path / "cache").glob("sql-*.json")), "the first run writes the cache"
    first, second = (_rows(text) for text in outputs)
    assert len(first) > 5 and len(first) == len(second)
    for a, b in zip(first, second):
        assert a.keys() == b.keys()
        for column in a:  # floating sums may differ in the last bit between runs (parallel aggregation order)
            assert a[column] == b[column] or _close(a[column], b[column]), (column, a, b)


def _rows(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


def _close(a: str, b: str) -> bool:
    import math

    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except ValueError:
        return False


def _python_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "HOME", "VIRTUAL_ENV", "LANG")}
