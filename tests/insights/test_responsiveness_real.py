"""Answer verdicts on real conversations (../shared/data; skipped when absent)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("check_responsiveness", ROOT / "bench" / "check_responsiveness.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.shared_data
def test_twcs_verdicts_agree_with_the_raw_rows(shared_data: Path, tmp_path: Path) -> None:
    report = _check_module().check_twcs(shared_data, tmp_path, 15, 11)
    for verdict in ("unanswered", "answered"):
        check = report["check"][verdict]
        assert check["n"] == 15 and check["agree_to_them_in_conversation"] == 15
    brands = {b["account"]: b for b in report["per_brand"]}
    assert len(brands) > 50 and 0.5 < brands["AmazonHelp"]["response_rate"] <= 1.0
    assert brands["AmazonHelp"]["median_hours"] < 24


@pytest.mark.shared_data
def test_x_archive_dm_verdicts_and_mastodon_outbox(shared_data: Path, tmp_path: Path) -> None:
    module = _check_module()
    x = module.check_x(shared_data, tmp_path, 10, 11)
    for verdict in ("unanswered", "answered"):
        assert x["check"][verdict]["agree_any_later_owner_message"] == x["check"][verdict]["n"] > 0
    mastodon = module.check_mastodon(shared_data, tmp_path)
    assert mastodon["responsiveness_rows"] == []  # an outbox holds nothing to answer
