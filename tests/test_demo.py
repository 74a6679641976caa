"""The demo: a seeded, simulated community imported through the real importers (real DuckDB, no mocks)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from tiescale import Store, ingest_path
from tiescale.demo import DemoConfig, DemoResult, DemoTargetError, is_promotional, run_demo, write_demo_files
from tiescale.demo.build import data_dir_for
from tiescale.demo.formats import EVENT_COLUMNS
from tiescale.demo.generate import simulate_community
from tiescale.insights.queue import build_queue
from tiescale.store.identity import suggest_merges
from tiescale.surfaces.cli import main

PLATFORMS = {"x", "mastodon", "bluesky", "instagram", "youtube"}
SMALL = DemoConfig(seed=3, n_people=200)
SHORT = DemoConfig(seed=5, n_people=120, days=90)


def quiet() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=100, highlight=False), buffer


def build(db: Path, config: DemoConfig) -> tuple[DemoResult, str]:
    console, buffer = quiet()
    result = run_demo(db, console=console, config=config)
    return result, buffer.getvalue()


def hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def load_js(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    assert text.startswith(("window.YTD.", "window.__THAR_CONFIG = "))
    return json.loads(text[text.index("=") + 1:])


def truth_of(result: DemoResult) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads(result.truth.read_text(encoding="utf-8"))
    return truth


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    return build(tmp_path_factory.mktemp("demo") / "demo.duckdb", SMALL)


# -- it builds, and says what it is -----------------------------------------------------------------
def test_small_demo_builds_and_every_platform_is_present(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    assert result.action == "built"
    assert set(result.interactions) >= PLATFORMS
    assert result.talkers >= 150 and result.total_interactions > 1000
    events = [s for s in result.steps if s.format == "events"]
    assert len(events) == 5 and all(s.status == "imported" and s.summary and s.summary.rejected == 0 for s in events)
    with Store(result.db, read_only=True) as store:
        platforms = {r[0] for r in store.con.execute("SELECT DISTINCT platform FROM interactions").fetchall()}
        assert platforms >= PLATFORMS
        kinds = {r[0] for r in store.con.execute("SELECT DISTINCT kind FROM interactions").fetchall()}
        assert {"reply", "comment", "mention", "dm", "like", "repost", "follow"} <= kinds
        directions = dict(store.con.execute("SELECT direction, count(*) FROM interactions GROUP BY 1").fetchall())
        assert directions["out"] > 0.2 * directions["in"]  # the brand talks back


def test_overview_says_it_is_simulated_and_what_to_try(small: tuple[DemoResult, str]) -> None:
    _, output = small
    assert "This is simulated data for a fictional brand" in output
    for command in ("people", "merge", "imports"):  # later capabilities add queue, content, revenue
        assert f"demo.duckdb {command}" in output
    assert "Interactions by kind and platform" in output and "time span" in output


def test_optional_importers_are_used_or_the_skip_is_said(small: tuple[DemoResult, str]) -> None:
    result, output = small
    optional = {s.format: s for s in result.steps if s.format != "events"}
    assert set(optional) == {"x-archive", "mastodon", "conversions", "whatsapp"}
    for step in optional.values():
        if step.status in ("skipped", "failed"):
            assert step.reason and f"{step.status}:" in output and step.step in output
        else:
            assert step.status == "imported" and step.summary is not None
    if optional["x-archive"].status == "imported":
        assert result.posts.get("x", 0) >= 300 and result.follower_snapshots == 13


def test_the_demo_has_a_whatsapp_channel_with_an_unanswered_question(small: tuple[DemoResult, str]) -> None:
    """A chat channel (issue 22) through the real importer: customers' chats, the own account inferred,
    and the newest unanswered WhatsApp question in the queue like any unanswered DM."""
    result, _ = small
    step = next(s for s in result.steps if s.format == "whatsapp")
    assert step.status == "imported" and step.summary is not None and step.summary.rejected == 0
    with Store(result.db, read_only=True) as store:
        assert store.rows("SELECT handle FROM accounts WHERE platform = 'whatsapp'") == [
            {"handle": "Fernhill Coffee Roasters"}]
        assert store.scalar("SELECT count(DISTINCT handle) FROM interactions WHERE platform = 'whatsapp'") == 6
        assert store.scalar("SELECT count(*) FROM interactions WHERE platform = 'whatsapp' AND kind <> 'dm'") == 0
        queue = build_queue(store, limit=0)
    waiting = [i for i in queue if i.platform == "whatsapp" and i.reason == "unanswered"]
    assert {i.person for i in waiting} == {"Tomás Ferreira", "Greta Lindqvist"}
    assert all(i.need == "question" for i in waiting)


# -- deterministic ------------------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = hashes(write_demo_files(SHORT, tmp_path / "a").folder)
    second = hashes(write_demo_files(SHORT, tmp_path / "b").folder)
    assert first == second
    assert {"truth.json", "conversions.csv", "events/x.csv", "x-archive/data/tweets.js",
            "mastodon/outbox.json"} <= set(first)


def test_another_seed_gives_other_files(tmp_path: Path) -> None:
    first = hashes(write_demo_files(SHORT, tmp_path / "a").folder)
    other = hashes(write_demo_files(DemoConfig(seed=6, n_people=120, days=90), tmp_path / "b").folder)
    for name in ("events/x.csv", "events/instagram.csv", "conversions.csv", "x-archive/data/tweets.js"):
        assert first[name] != other[name]


# -- idempotent, rebuilds its own, refuses the rest ---------------------------------------------------
def _counts(db: Path) -> tuple[Any, ...] | None:
    with Store(db, read_only=True) as store:
        return store.con.execute(
            "SELECT (SELECT count(*) FROM interactions), (SELECT count(*) FROM posts), "
            "(SELECT count(*) FROM people), (SELECT count(*) FROM follower_snapshots)").fetchone()


def test_running_twice_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "twice.duckdb"
    build(db, SHORT)
    before = _counts(db)
    again, output = build(db, SHORT)
    assert again.action == "refreshed" and again.new_interactions == 0
    assert all(s.status in ("unchanged", "skipped", "failed") for s in again.steps)
    assert _counts(db) == before
    assert "nothing new was added" in output


def test_other_settings_rebuild_the_demo_store_from_scratch(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    build(db, SHORT)
    other = DemoConfig(seed=9, n_people=120, days=90)
    rebuilt, output = build(db, other)
    assert rebuilt.action == "rebuilt" and "rebuilt" in output
    fresh, _ = build(tmp_path / "fresh.duckdb", other)
    assert _counts(db) == _counts(fresh.db)


def test_refuses_a_store_that_is_not_a_demo_store(tmp_path: Path) -> None:
    db = tmp_path / "mine.duckdb"
    events = tmp_path / "mine.csv"
    events.write_text("ts,account,person,direction,kind\n2026-01-01T10:00:00Z,brand,alice,in,reply\n")
    with Store(db) as store:
        ingest_path(store, events)
    with pytest.raises(DemoTargetError, match="not a demo store"):
        build(db, SHORT)
    assert (_counts(db) or (0,))[0] == 1
    assert not data_dir_for(db).exists()


def test_refuses_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    db = tmp_path / "notes.duckdb"
    db.write_text("my notes, not a database\n")
    with pytest.raises(DemoTargetError, match="not a demo store"):
        build(db, SHORT)
    assert db.read_text() == "my notes, not a database\n"


def test_refuses_a_data_folder_it_did_not_write(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    folder = data_dir_for(db)
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    with pytest.raises(DemoTargetError, match="not written by the demo"):
        build(db, SHORT)
    assert (folder / "precious.txt").read_text() == "keep me" and not db.exists()


# -- the shape of the community ------------------------------------------------------------------------
def test_heavy_tail_top_five_percent_make_most_of_the_talk(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    with Store(result.db, read_only=True) as store:
        per_person = [r[0] for r in store.con.execute(
            "SELECT count(*) AS n FROM interactions WHERE kind NOT IN ('follow', 'unfollow') "
            "GROUP BY platform, handle ORDER BY n DESC").fetchall()]
    top = per_person[: max(1, len(per_person) // 20)]
    assert sum(top) / sum(per_person) > 0.4
    assert sum(n <= 2 for n in per_person) / len(per_person) > 0.5  # most people: once or twice


def test_promotional_share_falls_from_the_first_half_to_the_second(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    tweets = [item["tweet"] for item in load_js(result.files.x_archive / "data" / "tweets.js")]
    own = [t for t in tweets if "in_reply_to_status_id_str" not in t and not t["full_text"].startswith("RT @")
           and not t["entities"]["user_mentions"]]
    middle = result.config.middle
    halves: dict[bool, list[bool]] = {True: [], False: []}
    for tweet in own:
        ts = datetime.strptime(tweet["created_at"], "%a %b %d %H:%M:%S %z %Y")
        halves[ts < middle].append(is_promotional(tweet["full_text"]))
    first, second = (sum(v) / len(v) for v in (halves[True], halves[False]))
    assert 0.3 <= first <= 0.5 and 0.08 <= second <= 0.25 and first > second + 0.15
    assert 300 <= len(own) <= 450  # about one a day
    categories = {item[0]: item[2] for item in truth_of(result)["posts"]["x"]["items"]}
    for tweet in own:  # the marker words agree with what was planted
        assert is_promotional(tweet["full_text"]) == (categories[tweet["id_str"]] == "promotional")


def test_planted_truths_hold_in_the_store(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    truth = truth_of(result)
    end = result.config.end
    with Store(result.db, read_only=True) as store:
        con = store.con

        def inbound(platform: str, person: str) -> list[datetime]:
            return [r[0] for r in con.execute(
                "SELECT ts FROM interactions WHERE platform = ? AND handle = ? AND direction = 'in' "
                "AND kind NOT IN ('follow', 'unfollow') ORDER BY ts", [platform, person]).fetchall()]

        assert truth["unanswered"]
        for item in truth["unanswered"]:
            ts = datetime.fromisoformat(item["ts"])
            assert end - timedelta(days=14) <= ts < end
            answer = ("kind = 'dm' AND thread = (SELECT thread FROM interactions WHERE item_id = ? LIMIT 1) AND ts > ?"
                      if item["kind"] == "dm" else "in_reply_to = ? AND ts > ?")
            answers = con.execute(f"SELECT count(*) FROM interactions WHERE direction = 'out' AND platform = ? "
                                  f"AND handle = ? AND {answer}",
                                  [item["platform"], item["person"], item["id"], ts]).fetchone()
            assert answers == (0,)
        for champion in truth["champions"]:
            times = sorted(t for platform, person in champion["identities"] for t in inbound(platform, person))
            weeks = {(t - times[0]).days // 7 for t in times}
            assert len(weeks) >= 0.8 * ((end - times[0]).days // 7)  # talks nearly every week
        for rising in truth["rising"]:  # new in the last months, and talking more and more
            times = [t for platform, person in rising["identities"] for t in inbound(platform, person)]
            assert min(times) > end - timedelta(days=110)
            assert sum(t > end - timedelta(days=30) for t in times) > 0.5 * len(times)
        for cooling in truth["cooling"]:
            times = [t for platform, person in cooling["identities"] for t in inbound(platform, person)]
            quiet_since = datetime.fromisoformat(cooling["quiet_since"])
            assert len(times) >= 5 and max(times) < quiet_since <= end - timedelta(days=60)


def test_same_handles_on_two_platforms_become_merge_suggestions(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    truth = truth_of(result)
    planted = {frozenset(map(tuple, p["identities"])) for p in truth["same_handle"]}
    with Store(result.db, read_only=True) as store:
        identities: dict[int, list[tuple[str, str]]] = {}
        for person_id, platform, handle in store.con.execute(
                "SELECT person_id, platform, handle FROM identities").fetchall():
            identities.setdefault(person_id, []).append((platform, handle))
        suggestions = [s for s in suggest_merges(store.con, 0.7, 10_000) if s.reason.startswith("same handle")]
    found = {frozenset(identities[s.into_person] + identities[s.from_person]) for s in suggestions}
    assert found and found <= planted  # every same-handle suggestion is a planted pair
    without_x = {p for p in planted if all(platform != "x" for platform, _ in p)}
    assert without_x <= found  # X people are keyed by id: their handles are known once the X archive names them


# -- the files, in the formats users import -------------------------------------------------------------
def test_events_files_are_canonical_and_inside_the_year(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    config = result.config
    for path in result.files.events:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert tuple(rows[0]) == EVENT_COLUMNS and {r["platform"] for r in rows} == {path.stem}
        keys = Counter((r["person"], r["id"]) for r in rows)
        assert max(keys.values()) == 1  # the dedupe key is unique
        for row in rows:
            assert config.start <= datetime.fromisoformat(row["ts"]) < config.end
            assert row["direction"] in ("in", "out") and row["person"] and row["account"]


def test_x_archive_is_in_the_real_layout(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    archive = result.files.x_archive
    account = load_js(archive / "data" / "account.js")[0]["account"]
    assert account["username"] == "fernhillcoffee" and account["accountId"].isdigit()
    assert load_js(archive / "data" / "manifest.js")["userInfo"]["accountId"] == account["accountId"]
    snapshots = sorted((archive / "follower-snapshots").glob("twitter-*_follower.js"))
    assert len(snapshots) == 13
    sizes = [len(load_js(p)) for p in snapshots]
    assert sizes[0] == SMALL.followers_start and sizes[-1] == SMALL.followers_end
    assert all(a <= b for a, b in pairwise(sizes))
    latest = load_js(archive / "data" / "follower.js")
    assert latest == load_js(snapshots[-1]) and set(latest[0]["follower"]) == {"accountId", "userLink"}
    truth = truth_of(result)
    assert truth["x_followers"][-1]["interacting"] < 0.2 * sizes[-1]  # most followers never say a word
    for item in load_js(archive / "data" / "tweets.js"):
        tweet = item["tweet"]
        datetime.strptime(tweet["created_at"], "%a %b %d %H:%M:%S %z %Y")
        assert tweet["id_str"].isdigit() and tweet["full_text"]


def test_mastodon_export_is_activitypub(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    actor = json.loads((result.files.mastodon / "actor.json").read_text(encoding="utf-8"))
    outbox = json.loads((result.files.mastodon / "outbox.json").read_text(encoding="utf-8"))
    assert actor["type"] == "Person" and actor["preferredUsername"] == "fernhill"
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == len(outbox["orderedItems"]) > 100
    for item in outbox["orderedItems"]:
        assert item["type"] == "Create" and item["object"]["type"] == "Note"
        assert item["object"]["content"].startswith("<p>") and item["actor"] == actor["id"]


def test_purchases_follow_relationship_strength() -> None:
    world = simulate_community(DemoConfig(seed=4, n_people=1500))
    buyers = Counter(o.who for o in world.orders)

    def rate(archetypes: tuple[str, ...]) -> float:
        group = [p for p in world.people if p.archetype in archetypes]
        return sum(p.pid in buyers for p in group) / len(group)

    silent = world.followers.silent_ids()
    silent_rate = sum(f"follower:{m}" in buyers for m in silent) / len(silent)
    assert rate(("champion", "regular")) > rate(("occasional",)) > rate(("oneoff",)) > silent_rate
    assert silent_rate < 0.03
    anonymous = [o for o in world.orders if o.who == "anonymous"]
    assert anonymous and all(not o.email and not o.handle and o.utm_source for o in anonymous)
    assert any(o.platform and o.handle for o in world.orders)


def test_conversions_file_has_the_documented_columns(small: tuple[DemoResult, str]) -> None:
    result, _ = small
    with open(result.files.conversions, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["order_id", "ts", "value", "currency", "email", "platform", "handle", "coupon",
                             "utm_source", "utm_campaign"]
    assert len({r["order_id"] for r in rows}) == len(rows)
    assert all(float(r["value"]) > 0 and datetime.fromisoformat(r["ts"]).tzinfo is not None for r in rows)


# -- knobs and the command line ---------------------------------------------------------------------------
def test_config_refuses_a_demo_too_small_to_tell_a_story() -> None:
    with pytest.raises(ValueError):
        DemoConfig(n_people=10)
    with pytest.raises(ValueError):
        DemoConfig(end=datetime(2026, 11, 1))


def test_cli_demo_command(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    outcome = CliRunner().invoke(main, ["--db", str(db), "demo", "--people", "60", "--seed", "2"])
    assert outcome.exit_code == 0, outcome.output
    assert "This is simulated data for a fictional brand" in outcome.output
    assert (data_dir_for(db) / "truth.json").is_file()


def test_marker_words_separate_the_post_templates() -> None:
    from tiescale.demo import texts

    for template in texts.POSTS["promotional"]:
        assert is_promotional(template)
    vocabulary = (texts.PRODUCTS, texts.ORIGINS, texts.METHODS, texts.NOTES, texts.STAFF, texts.GEAR)
    for template in texts.POSTS["relational"] + texts.POSTS["value"] + texts.SHOUTOUTS:
        assert not is_promotional(template)
    for words in vocabulary:
        assert not any(is_promotional(f" {w} ") for w in words)


def test_a_half_written_demo_folder_is_still_the_demos_own(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    folder = data_dir_for(db)
    write_demo_files(SHORT, folder)
    (folder / "events" / "x.csv").unlink()  # as if an earlier run was interrupted
    result, _ = build(db, SHORT)
    assert result.action == "built" and (folder / "events" / "x.csv").is_file()


def test_the_overview_suggests_only_commands_the_cli_has() -> None:
    """The demo declares what it suggests (it does not look into the CLI); every suggestion must exist."""
    from tiescale.demo.overview import SUGGESTED_COMMANDS

    assert {args.split()[0] for args in SUGGESTED_COMMANDS} <= set(main.commands)
