"""Compiled SQL kept between processes (tiescale/sqlcache.py)."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
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


def _events_csv(path: Path, start: datetime, days: int, n: int, seed: int) -> None:
    """``n`` touchpoints over ``days`` days from ``start``, a few people talking a lot (CSV)."""
    rng = random.Random(seed)
    lines = ["ts,account,person,direction,kind,platform,id,text"]
    for i in range(n):
        person = f"p{int(rng.paretovariate(1.2)) % 120}"
        ts = start + timedelta(seconds=rng.randrange(0, days * 86400))
        kind = rng.choice(["reply", "mention", "dm", "like", "comment"])
        lines.append(f"{ts.isoformat()},{rng.choice(['brand', 'brand2'])},{person},{rng.choice(['in', 'out'])},"
                     f"{kind},{rng.choice(['x', 'mastodon'])},{seed}-{i},\"thanks so much\"")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_first_day_after_a_full_build_compiles_nothing(tmp_path: Path) -> None:
    """The full build's refresh also compiles what only a later, incremental refresh reads, so the
    first morning after an install (or an upgrade) answers as fast as every later one."""
    main, day = tmp_path / "main.csv", tmp_path / "day.csv"
    _events_csv(main, datetime(2024, 3, 1, tzinfo=UTC), 365, 3000, seed=5)
    _events_csv(day, datetime(2025, 3, 1, tzinfo=UTC), 1, 60, seed=6)  # the first of a month, as in bench_morning
    cache = tmp_path / "cache"
    env = {"TIESCALE_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", **_python_env()}
    db = tmp_path / "store.duckdb"

    def ingest(path: Path) -> set[str]:
        subprocess.run([sys.executable, "-m", "tiescale.surfaces.cli", "--db", str(db), "ingest", str(path)],
                       capture_output=True, text=True, env=env, check=True)
        (found,) = cache.glob("sql-*.json")
        return set(json.loads(found.read_text(encoding="utf-8")))

    built = ingest(main)
    assert any(key.startswith("template") for key in built) and any(key.startswith("over ") for key in built)
    assert ingest(day) - built == set()
