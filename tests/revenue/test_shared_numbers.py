"""`revenue`, `vanity`, goals, the overview, the Revenue page's data and the report agree on the demo.

One meaning of "meaningful" (a score of 7 or more, insights/meaningful.py) and one revenue report:
every surface that shows the same figure shows the same number."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from rich.console import Console

from tiescale.demo import DemoConfig, run_demo
from tiescale.insights.goals import goal_progress, set_goal
from tiescale.insights.meaningful import MEANINGFUL_MIN
from tiescale.insights.overview import overview
from tiescale.store.db import Store
from tiescale.surfaces.cli import main
from tiescale.surfaces.report import render_report, report_data
from tiescale.surfaces.web.app import create_app


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("shared") / "demo.duckdb"
    run_demo(db, console=Console(file=io.StringIO()), config=DemoConfig(seed=7, n_people=600))
    with Store(db) as store:
        set_goal(store, "meaningful", 500, "2027-06-30")
    return db


def cli_json(db: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["--db", str(db), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.output)
    return data


def test_every_surface_shows_the_same_numbers(demo: Path) -> None:
    revenue = cli_json(demo, "revenue")
    vanity = cli_json(demo, "vanity")
    with Store(demo, read_only=True) as store:
        ov = overview(store)
        (goal,) = goal_progress(store)
        data = report_data(store)
        html = render_report(store)
    api = TestClient(create_app(demo), base_url="http://127.0.0.1").get("/api/revenue").json()
    page = TestClient(create_app(demo), base_url="http://127.0.0.1").get("/revenue").text
    report_revenue = data["revenue"].data.to_dict()
    strong = revenue["meaningful"]
    assert revenue["meaningful_min"] == vanity["min_score"] == MEANINGFUL_MIN == 7.0

    # meaningful connections now: the overview's KPI, vanity's last month, goals, revenue's "at 7+ now"
    now = ov.meaningful_now
    assert now > 0
    assert vanity["points"][-1]["meaningful"] == now
    assert goal.current == now
    assert strong["people_now"] == now
    assert sum(ov.tiers[t] for t in ("close", "champion")) == now  # 7+ is the close and champion tiers

    # revenue figures: the command, the API (Revenue page data), the report
    for other in (api["revenue"]["data"], report_revenue):
        assert other["meaningful"]["lift"] == pytest.approx(strong["lift"])
        assert (other["meaningful"]["lift_low"], other["meaningful"]["lift_high"]) == pytest.approx(
            (strong["lift_low"], strong["lift_high"]))
        assert other["share_meaningful_matched"] == pytest.approx(revenue["share_meaningful_matched"])
        assert other["revenue_total"] == revenue["revenue_total"]
        assert [t["orders"] for t in other["tiers"]] == [t["orders"] for t in revenue["tiers"][:-1]]
    # the tiers, the sources and the orders that introduced their buyer add up to the total
    sources = sum(p["revenue"] for p in revenue["utm_platforms"] + revenue["other_sources"])
    assert revenue["revenue_people"] + revenue["revenue_unplaced"] + sources + revenue["unattributed"]["revenue"] \
        == pytest.approx(revenue["revenue_total"])
    # the pages write the threshold next to the figures, and the same count
    for text in (page, html):
        assert "score 7+" in text
    assert f"{now:,}" in html
    share = f"{100 * revenue['share_meaningful_matched']:.0f}%"
    assert share in page and share in html
