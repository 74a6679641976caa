"""Issue 18: a small seeded run of bench/fuzz_campaign.py (mutants of the fixtures, imported by the
real CLI in its own process): no traceback, no hang, bounded memory, no store change on exit 2."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.conftest import ROOT


def _campaign_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fuzz_campaign", ROOT / "bench" / "fuzz_campaign.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_campaign"] = module
    spec.loader.exec_module(module)
    return module


def test_a_seeded_fuzz_run_holds_every_promise(tmp_path: Path) -> None:
    fuzz = _campaign_module()
    # The limit only stops a regression from hanging the suite; a healthy import takes ~1 s.
    outcomes = fuzz.campaign(mutants=20, seed=18, time_limit=300, use_shared=False, work=tmp_path)
    table = fuzz.summary(outcomes, 300)
    assert len(outcomes) == 20
    assert [o for o in outcomes if o.traceback] == [], table
    assert [o for o in outcomes if o.exit_code is None] == [], table
    assert [o for o in outcomes if o.exit_code == 2 and o.store_changed] == [], table
    assert [o for o in outcomes if o.peak_mb > 1024] == [], table
    assert [o for o in outcomes if fuzz.silent_zero(o)] == [], table
