"""The scale remembers (issue 16): the worked examples of docs/scale.md, pinned; the activity reading;
tiers that never contradict the reasons printed under them; a store scored with an older scale is
recomputed once, with one message."""
from __future__ import annotations

import csv
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from tiescale import Store, ingest_path
from tiescale.insights.activity import activity_of, activity_sql, rescore_if_scale_changed
from tiescale.insights.people import current_as_of, list_connections, person_profile
from tiescale.scoring.config import TIERS
from tiescale.scoring.run import score_records, score_store
from tiescale.surfaces.cli import main

NOW = datetime(2025, 6, 1)
MEANING = {name: meaning for name, _low, _high, meaning in TIERS}


def touch(ts: datetime, direction: str, kind: str = "dm", text: str | None = "how are you doing") -> dict[str, Any]:
    return {"account": "me", "platform": "x", "person": "p", "ts": ts, "direction": direction, "kind": kind,
            "text": text}


def weekly_chat(weeks: int = 26, silent_days: float = 0) -> list[dict[str, Any]]:
    """A message from them and your answer an hour later, once a week, the last ``silent_days`` ago."""
    end = NOW - timedelta(days=silent_days)
    out = []
    for week in range(weeks):
        t = end - timedelta(days=7 * week + 0.5)
        out += [touch(t, "in"), touch(t + timedelta(hours=1), "out", text="good thanks, and you")]
    return out


def dm_example(end: datetime = NOW, silent_days: float = 95) -> list[dict[str, Any]]:
    """The issue's archive: 130 DMs over 37 months (55 from them, 75 from you, about 1,950 words),
    20 days with talk both ways and 10 more one-way days, the last contact about 3 months ago."""
    last = end - timedelta(days=silent_days)
    first = last - timedelta(days=37 * 30)
    gap = (last - first) / 29
    days = [(first + gap * i).replace(hour=12, minute=0, second=0, microsecond=0) for i in range(30)]
    out: list[dict[str, Any]] = []
    for i, day in enumerate(days):
        if i % 3 != 1:  # 20 two-way days
            out += [touch(day, "in", text="word " * 15), touch(day + timedelta(minutes=9), "out", text="word " * 15)]
        else:  # 10 days you wrote and got no answer that day
            out.append(touch(day, "out", text="word " * 15))
    ins = sum(t["direction"] == "in" for t in out)
    outs = len(out) - ins
    two_way_days = [d for i, d in enumerate(days) if i % 3 != 1]
    for k in range(55 - ins):  # more messages on the two-way days
        out.append(touch(two_way_days[k % 20] + timedelta(minutes=20 + k), "in", text="word " * 15))
    for k in range(75 - outs):
        out.append(touch(two_way_days[k % 20] + timedelta(minutes=40 + k), "out", text="word " * 15))
    return out


def scored(records: list[dict[str, Any]], at: datetime = NOW) -> dict[str, Any]:
    rows = score_records(records, at).to_pylist()
    assert len(rows) == 1
    row: dict[str, Any] = rows[0]
    row["activity"] = activity_of(row["days_since"], row["duration_days"], row["active_days"])
    return row


# -- the worked examples ---------------------------------------------------------------------------
@pytest.mark.parametrize(("silent_days", "score", "tier", "activity"), [
    (0, 8.2, "close", "active"),
    (30, 6.3, "regular", "cooling"),
    (90, 4.9, "acquaintance", "dormant"),
    (365, 3.2, "acquaintance", "dormant"),
])
def test_a_weekly_chat_for_six_months_then_silence(silent_days: int, score: float, tier: str, activity: str) -> None:
    """Read now and after 1, 3 and 12 months of silence: the relationship fades over months, not weeks;
    a month of silence keeps it a relationship (the old scale read 3.8 then, stranger after two)."""
    row = scored(weekly_chat(silent_days=silent_days))
    assert row["score"] == pytest.approx(score, abs=0.15)
    assert (row["tier"], row["activity"]) == (tier, activity)


def test_a_month_of_silence_barely_lowers_the_history() -> None:
    """The points of history (reciprocity, duration, intimacy) keep all of their value for a month."""
    now, later = scored(weekly_chat()), scored(weekly_chat(silent_days=30))
    for part in ("pts_reciprocity", "pts_duration", "pts_intimacy"):
        assert later[part] == pytest.approx(now[part], rel=2e-3)
    year = scored(weekly_chat(silent_days=365))
    assert 0.6 < year["pts_reciprocity"] / now["pts_reciprocity"] < 0.75  # a year after: about two thirds


def test_a_single_exchange() -> None:
    """One message each way today: an acquaintance on the day, hardly a relationship a month later."""
    pair = [touch(NOW - timedelta(hours=5), "in", text="hi there"), touch(NOW - timedelta(hours=4), "out", text="hello")]
    today = scored(pair)
    assert today["score"] == pytest.approx(3.4, abs=0.15) and today["tier"] == "acquaintance"
    assert today["activity"] == "active"
    month = scored(pair, NOW + timedelta(days=30))
    assert month["score"] < 2.0 and month["tier"] == "stranger" and month["activity"] == "cooling"


def test_a_one_way_fan_stays_below_regular() -> None:
    """Daily messages for two years, never answered: some contact, one-way, never 'both ways'."""
    fan = [touch(NOW - timedelta(days=d + 0.3), "in", kind="reply", text="great") for d in range(730)]
    row = scored(fan)
    assert row["tier"] == "acquaintance" and row["score"] < 5.0
    assert "one-way" in MEANING[row["tier"]]


def test_the_issues_dm_example_reads_as_a_dormant_relationship_not_a_stranger() -> None:
    row = scored(dm_example())
    assert (row["touchpoints_in"], row["touchpoints_out"], row["dms"], row["two_way_days"]) == (55, 75, 130, 20)
    assert 90 <= row["days_since"] < 120 and row["duration_days"] >= 37 * 30  # "3 months ago", "37 months"
    assert row["score"] >= 4.5 and row["tier"] in ("acquaintance", "regular")
    assert row["activity"] == "dormant"
    # the old scale gave 0.7, "stranger: little or no two-way contact"


def test_the_dm_example_through_the_store_and_the_cli(tmp_path: Path) -> None:
    """People and person read the activity; the printed tier meaning agrees with the reasons under it."""
    events = tmp_path / "events.csv"
    with open(events, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        for i, t in enumerate(dm_example()):
            writer.writerow([t["ts"].isoformat() + "Z", t["account"], "friend", t["direction"], t["kind"], "x", i,
                             t["text"]])
        writer.writerow([(NOW - timedelta(hours=2)).isoformat() + "Z", "me", "someone_else", "in", "like", "x",
                         "last", ""])  # the end of the data: today
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        ingest_path(store, events)
        score_store(store)
        row = next(r for r in list_connections(store) if r["person"] == "friend")
        assert row["activity"] == "dormant" and row["tier"] != "stranger"
        profile = person_profile(store, "x:friend")
        assert profile.activity_state == "dormant"
        assert profile.activity == f"dormant since {row['last_contact']:%Y-%m-%d}"
    shown = CliRunner().invoke(main, ["--db", str(db), "person", "x:friend"]).output
    assert f"{profile.tier}: {MEANING[profile.tier or '']}" in shown
    assert "now: dormant since" in shown
    assert "little or no two-way contact" not in shown and "in touch for 37 months" in shown
    listing = list(csv.DictReader(CliRunner().invoke(
        main, ["--db", str(db), "people", "--limit", "0", "--format", "csv"]).output.splitlines()))
    assert {r["person"]: r["activity"] for r in listing} == {"friend": "dormant", "someone_else": "active"}
    report = tmp_path / "report.html"  # the report's top people say it too, beside the last contact
    assert CliRunner().invoke(main, ["--db", str(db), "report", str(report)]).exit_code == 0
    row_html = next(r for r in report.read_text(encoding="utf-8").split("<tr>") if ">friend<" in r)
    assert "3 months ago · dormant" in row_html or "· dormant" in row_html


# -- activity ---------------------------------------------------------------------------------------
def test_activity_sql_is_the_python_rule() -> None:
    grid = [(d, dur, n) for d in (0, 5, 13, 14, 15, 20, 29, 45, 59, 60, 61, 89, 90, 91, 200, 400)
            for dur in (0, 6, 30, 90, 180, 365, 1110) for n in (1, 2, 5, 30, 200)]
    con = duckdb.connect()
    con.execute("CREATE TABLE s (days_since DOUBLE, duration_days DOUBLE, active_days BIGINT)")
    con.executemany("INSERT INTO s VALUES (?, ?, ?)", grid)
    found = con.execute(f"SELECT days_since, duration_days, active_days, {activity_sql('s')} FROM s").fetchall()
    assert len(found) == len(grid)
    for days, duration, n, state in found:
        assert state == activity_of(days, duration, n), (days, duration, n)


def test_activity_follows_the_rhythm() -> None:
    assert activity_of(10, 180, 27) == "active"  # weekly, ten days quiet
    assert activity_of(20, 180, 27) == "cooling"
    assert activity_of(60, 180, 27) == "dormant"
    assert activity_of(70, 1110, 30) == "cooling"  # monthly: two months quiet is not dormant yet
    assert activity_of(95, 1110, 30) == "dormant"
    assert activity_of(2, 0, 1) == "active"  # a single day


# -- tiers never contradict the reasons -------------------------------------------------------------
def test_tier_meanings_claim_nothing_the_history_can_contradict() -> None:
    """No meaning says 'no two-way contact' or 'recent': a score is the history, activity is apart."""
    for _name, _low, _high, meaning in TIERS:
        assert "no two-way" not in meaning and "recent" not in meaning
    # one-way contact never reaches a tier that claims "both ways" or "two-way"
    for name, low, _high, meaning in TIERS:
        if "two-way" in meaning or "both ways" in meaning:
            assert low >= 5.0, name


# -- a new scale recomputes old snapshots ------------------------------------------------------------
def test_a_store_scored_with_another_scale_is_recomputed_once_with_one_message(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    events = tmp_path / "events.csv"
    with open(events, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        for i, t in enumerate(weekly_chat(silent_days=40)):
            writer.writerow([t["ts"].isoformat() + "Z", "me", "pal", t["direction"], t["kind"], "x", i, t["text"]])
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, events)
        as_of = current_as_of(store)
        expected = store.rows("SELECT person, score, tier FROM connection_scores ORDER BY person")
        # as an older tiescale left it: another fingerprint, other scores and tiers
        store.con.execute("UPDATE score_runs SET scale = 'older-scale'")
        store.con.execute("UPDATE connection_scores SET score = 0.7, tier = 'stranger'")
        store.con.execute("UPDATE person_scores SET score = 0.7, tier = 'stranger'")
        with caplog.at_level(logging.WARNING, logger="tiescale"):
            assert current_as_of(store) == as_of
            assert current_as_of(store) == as_of  # once: the second open finds the current scale
        messages = [r.getMessage() for r in caplog.records if "another version of the relationship scale" in r.message]
        assert len(messages) == 1 and "older-scale" in messages[0]
        assert store.rows("SELECT person, score, tier FROM connection_scores ORDER BY person") == expected
        assert store.scalar("SELECT score FROM person_scores") == expected[0]["score"]
        assert rescore_if_scale_changed(store) is None


def test_the_silence_bound_the_readers_prune_with_still_holds() -> None:
    """history.silence_bound (what readers prune composed dates with) reads grace_days and
    freshness_days: every point is at most 10 x the memory, so past the bound no score reaches it,
    even for a daily two-way history of two years."""
    from tiescale.scoring.history import silence_bound

    heavy = [touch(NOW - timedelta(days=d + 0.3, hours=h), direction, text="thank you so much, love it " * 5)
             for d in range(730) for h, direction in ((0, "in"), (1, "out"))]
    for min_score in (3.0, 5.0, 7.0):
        days = silence_bound(min_score)
        assert scored(heavy, NOW + timedelta(days=days + 1))["score"] < min_score
        assert scored(heavy, NOW + timedelta(days=days / 2))["score"] >= min_score - 1.5  # and it is not loose
