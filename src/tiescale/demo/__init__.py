"""The demo: a seeded, simulated community for a fictional brand, imported like real data.

``run_demo`` writes the community as the files users import (canonical events CSV, an X
archive folder, a Mastodon export, a conversions CSV) next to the store, imports them through
the same importers, and prints an overview. See :mod:`tiescale.demo.build`.
"""
from __future__ import annotations

from .build import DemoTargetError, run_demo
from .config import BRAND, DemoConfig
from .generate import DemoFiles, write_demo_files
from .results import DemoResult, StepResult
from .texts import PROMO_MARKERS, is_promotional

__all__ = [
    "BRAND", "PROMO_MARKERS", "DemoConfig", "DemoFiles", "DemoResult", "DemoTargetError", "StepResult",
    "is_promotional", "run_demo", "write_demo_files",
]
