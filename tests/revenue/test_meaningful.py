"""One meaning of "meaningful": the setting, its words, the tiers it covers."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tiescale.insights import meaningful


def test_seven_is_the_close_and_champion_tiers() -> None:
    assert meaningful.MEANINGFUL_MIN == meaningful.DEFAULT_MEANINGFUL_MIN == 7.0
    assert meaningful.meaningful_tiers() == ("close", "champion")
    assert meaningful.words() == "score 7+ (close or champion)"
    assert meaningful.words(8.0) == "score 8+"  # not a tier boundary: no tier named


def test_the_setting_changes_every_surface_and_refuses_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "from tiescale.insights.overview import MEANINGFUL_FROM; from tiescale.insights.revenue import " \
           "revenue_report; import inspect; print(MEANINGFUL_FROM, " \
           "inspect.signature(revenue_report).parameters['meaningful_min'].default)"
    env = {"TIESCALE_MEANINGFUL_MIN": "8", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["8.0", "8.0"]
    monkeypatch.setenv(meaningful.ENV, "eleven")
    with pytest.raises(ValueError, match="TIESCALE_MEANINGFUL_MIN='eleven' is not a number"):
        meaningful._setting()
    monkeypatch.setenv(meaningful.ENV, "11")
    with pytest.raises(ValueError, match="not between 0 and 10"):
        meaningful._setting()
