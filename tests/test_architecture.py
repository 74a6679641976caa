"""The house's rules hold, and the check that guards them fails when they are broken.

docs/architecture.md states the rules: layers point one way, no import cycles, surfaces hold no
SQL, one way to open a transaction. ``lint-imports`` (the contracts in pyproject.toml) and
``scripts/house_metrics.py`` check them; these tests run both on the real tree, and run
lint-imports on a copy of the package with a rule broken on purpose.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "tiescale"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

needs_linter = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


def lint_imports(src_root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts, on the package found first under ``src_root``."""
    env = {**os.environ, "PYTHONPATH": str(src_root)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          capture_output=True, text=True, env=env, cwd=src_root, timeout=600)


def metrics(src: Path = SRC) -> dict[str, object]:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "house_metrics.py"), "--src", str(src), "--json"],
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_the_tree_keeps_its_rules() -> None:
    found = metrics()
    assert found["_upward"] == [] and found["_cycles"] == []
    assert found["transaction blocks (BEGIN)"] == 1  # Store.transaction() itself, and nothing else
    assert found["max(import_id) in SQL"] <= 2  # Store.watermark() and one snapshot-state query
    assert found["tier_of definitions"] == 1
    sql_in_surfaces = [f for f in found["_sql_files"] if "/surfaces/" in f]  # type: ignore[union-attr]
    assert sql_in_surfaces == []


@needs_linter
def test_the_layer_contract_passes_on_the_tree() -> None:
    result = lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


def _copy_package(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    shutil.copytree(SRC, root / "tiescale", ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.txt"))
    return root


@needs_linter
def test_an_upward_import_breaks_the_build(tmp_path: Path) -> None:
    root = _copy_package(tmp_path)
    db = root / "tiescale" / "store" / "db.py"
    db.write_text(db.read_text() + "\n\ndef _upward() -> None:\n    from ..insights import people  # noqa: F401\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "tiescale.store is not allowed to import tiescale.insights" in result.stdout
    assert "tiescale.store.db -> tiescale.insights.people" in result.stdout


@needs_linter
def test_an_import_cycle_breaks_the_build(tmp_path: Path) -> None:
    root = _copy_package(tmp_path)
    accounts = root / "tiescale" / "insights" / "accounts.py"
    overview = root / "tiescale" / "insights" / "overview.py"
    assert "accounts" in overview.read_text()  # overview already imports accounts: close the circle
    accounts.write_text(accounts.read_text() + "\n\ndef _cycle() -> None:\n    from . import overview  # noqa: F401\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "No cycles are allowed in tiescale.insights" in result.stdout
