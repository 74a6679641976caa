"""`tiescale score`, `people --format csv --limit 0` and `person X` on a store built by every importer."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tiescale import Store, ingest_path
from tiescale.scoring.config import TIERS
from tiescale.surfaces.cli import main
from tests.conftest import FIXTURES

#: One export per importer, as a user downloads it (the tests/fixtures samples in the real formats).
EXPORTS = {
    "x": "x-archive/archive",
    "mastodon": "mastodon/archive-20240310120000-5e1f0c",
    "bluesky": "bluesky/repo.car",
    "reddit": "reddit/export",
    "facebook": "facebook/export_v2",
    "instagram": "instagram/export_v2",
    "linkedin": "linkedin/export_2024",
    "youtube": "youtube/api",
    "events": "events/sample.csv",
}
DIMENSIONS = {"intensity", "weight_in", "weight_out", "turns", "two_way_days", "touchpoints_in", "touchpoints_out",
              "dms", "words", "warm", "active_days", "regularity", "started_by_them", "first_contact",
              "last_contact", "days_since", "duration_days"}


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


@pytest.mark.parametrize("importer", sorted(EXPORTS))
def test_score_people_csv_and_person_work_on_every_importers_store(tmp_path: Path, importer: str) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        ingest_path(store, FIXTURES / EXPORTS[importer])
    cli(db, "score")
    rows = list(csv.DictReader(io.StringIO(cli(db, "people", "--format", "csv", "--limit", "0"))))
    with Store(db, read_only=True) as store:
        as_of = store.con.execute("SELECT max(as_of) FROM score_runs").fetchone()[0]
        stored = {(a, p): (s, t) for a, p, s, t in store.con.execute(
            "SELECT account, person, score, tier FROM connection_scores WHERE as_of = ?", [as_of]).fetchall()}
    assert len(stored) >= 2 and len(rows) == len(stored)  # --limit 0: every connection, once
    assert {"account", "person", "score", "tier"} | DIMENSIONS <= set(rows[0])
    bounds = {name: (low, high) for name, low, high, _ in TIERS}
    for row in rows:
        score = float(row["score"])
        assert stored[(row["account"], row["person"])] == (score, row["tier"])
        assert 0.0 <= score <= 10.0 and round(score, 1) == score
        low, high = bounds[row["tier"]]
        assert low <= score < high

    # the strongest connection explained: score and tier, reasons in words, touchpoints, then history
    top = max(rows, key=lambda r: float(r["score"]))
    who = f"{top['platform']}:{top['person']}"
    shown = cli(db, "person", who)
    assert f"{float(top['score']):.1f} / 10, {top['tier']}" in shown
    assert "last contact" in shown and "Touchpoints" in shown
    assert "history:" not in shown  # one snapshot: nothing to compare yet
    later = as_of + timedelta(days=7)  # a week of silence: a second snapshot, a lower or equal score
    cli(db, "score", "--as-of", f"{later:%Y-%m-%d}")
    history = next(line for line in cli(db, "person", who).splitlines() if line.strip().startswith("history:"))
    assert f"{as_of:%Y-%m-%d} {float(top['score']):.1f}" in history and f"{later:%Y-%m-%d}" in history
