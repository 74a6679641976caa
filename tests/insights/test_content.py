"""The content report on stores built by every importer, on hand-made reactions, and on the demo."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from tiescale.classify import LABELS, classify_texts
from tiescale.demo import DemoConfig, run_demo
from tiescale.insights.content import content_report
from tiescale.records import UsageError
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.surfaces.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
IMPORTER_FIXTURES = {
    "x": ["x-archive/archive"],
    "mastodon": ["mastodon/archive-20240310120000-5e1f0c"],
    "bluesky": ["bluesky"],
    "facebook": ["facebook/export_v1", "facebook/export_v2"],
    "instagram": ["instagram/export_v1", "instagram/export_v2"],
    "linkedin": ["linkedin/export_2024", "linkedin/export_2018"],
    "reddit": ["reddit/export", "reddit/listings"],
    "youtube": ["youtube/api"],
}


def build(db: Path, paths: list[str]) -> None:
    with Store(db) as store:
        for path in paths:
            ingest_path(store, FIXTURES / path)


@pytest.mark.parametrize("platform", sorted(IMPORTER_FIXTURES))
def test_content_on_every_importers_data(tmp_path: Path, platform: str) -> None:
    db = tmp_path / "store.duckdb"
    build(db, IMPORTER_FIXTURES[platform])
    with Store(db) as store:
        report = content_report(store, by="week")
        texts = store.con.execute(
            "SELECT count(*) FROM posts WHERE kind <> 'repost' AND text IS NOT NULL AND length(trim(text)) > 0 "
            "AND ts IS NOT NULL").fetchall()[0][0]
        cached = store.con.execute("SELECT count(*) FROM content_labels").fetchall()[0][0]
    assert report.posts + report.messages >= texts > 0  # every own text is classified
    assert cached > 0
    assert sum(report.totals.values()) == report.posts == sum(m.posts for m in report.mix)
    assert sum(report.message_totals.values()) == report.messages == sum(m.messages for m in report.mix)
    data = json.loads(json.dumps(report.to_dict()))
    assert {e["label"] for e in data["earnings"]} == set(LABELS)
    for post in data["most_salesy"]:
        assert post["label"] == "promotional" and post["scope"] in ("feed", "message")
    # the CLI, in every format, read-only too
    for fmt in ("table", "csv", "json"):
        result = CliRunner().invoke(main, ["--db", str(db), "content", "--format", fmt], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(
        CliRunner().invoke(main, ["--db", str(db), "content", "--format", "csv", "--by", "week"]).output)))
    assert [r["period"] for r in rows] == [m.period for m in report.mix]
    with Store(db, read_only=True) as store:
        assert content_report(store, by="week").to_dict() == report.to_dict()


def test_reactions_conversations_and_relationship_change_of_one_post(tmp_path: Path) -> None:
    """Hand-made reactions to one X post: counted only when tied to it and within 7 days."""
    db = tmp_path / "store.duckdb"
    build(db, ["x-archive/archive"])
    post = "1700000000000000010"  # 2023-08-25 08:15 UTC, the export says 12 likes and 3 reposts
    events = tmp_path / "reactions.csv"
    rows = [
        ("2023-08-25T09:00:00Z", "ana", "in", "reply", "r1", "Is it the washed Huila?", post, post),
        ("2023-08-25T10:00:00Z", "ana", "out", "reply", "r2", "Yes, washed and lovely.", "r1", post),
        ("2023-08-25T11:00:00Z", "ana", "in", "reply", "r3", "Ordering one now!", "r2", post),
        ("2023-08-26T10:00:00Z", "ben", "in", "reply", "r4", "Nice", post, post),  # never answered
        ("2023-08-27T10:00:00Z", "dan", "in", "repost", "r5", "", post, post),
        ("2023-09-05T10:00:00Z", "cat", "in", "reply", "r6", "Late to this", post, post),  # after 7 days
        ("2023-08-26T12:00:00Z", "eve", "in", "reply", "r7", "Unrelated", "999", "999"),  # another thread
        ("2023-08-27T12:00:00Z", "fay", "in", "mention", "m1", "@harbour lovely beans", "", ""),  # answers no post
        ("2023-11-20T10:00:00Z", "ana", "in", "dm", "d1", "Thanks again!", "", ""),  # the data runs on
    ]
    with events.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text", "in_reply_to",
                         "thread"])
        for ts, person, direction, kind, item, text, reply_to, thread in rows:
            writer.writerow([ts, "1200000001", person, direction, kind, "x", item, text, reply_to, thread])
    with Store(db) as store:
        ingest_path(store, events)
        report = content_report(store, limit=0)
    ours = [p for p in report.top_conversation_posts if p.item_id == post]
    assert len(ours) == 1
    assert ours[0].replies == 3  # r1, r3, r4: r6 is too late, r7 answers something else
    assert ours[0].conversations == 1  # ana was answered; ben was not
    assert ours[0].likes == 12 and ours[0].reposts == 3  # the export's counts exceed the dated ones
    assert ours[0].mentions == 1  # fay's mention, credited to the latest post before it
    kind = next(e for e in report.earnings if e.label == ours[0].label)
    assert kind.responders >= 2 and kind.conversations >= 1
    assert kind.relationship_change is not None and kind.relationship_change > 0  # strangers before the post


def test_account_filter_and_bad_options(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    build(db, ["x-archive/archive", "mastodon/archive-20240310120000-5e1f0c"])
    with Store(db) as store:
        everything = content_report(store)
        mastodon = content_report(store, account="harbor@coast.example")
        assert 0 < mastodon.posts < everything.posts
        with pytest.raises(UsageError, match="no own account"):
            content_report(store, account="nobody")
        with pytest.raises(UsageError, match="week or month"):
            content_report(store, by="day")
        recent = content_report(store, window_days=30)
        assert recent.posts + recent.messages <= everything.posts + everything.messages
    result = CliRunner().invoke(main, ["--db", str(db), "content", "--account", "nobody"])
    assert result.exit_code == 2 and "no own account" in result.output
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.duckdb"), "content"])
    assert result.exit_code == 2 and "no store here yet" in result.output


def test_sell_ratio_warning_and_rules_follow_the_verdicts(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    build(db, ["x-archive/archive"])
    with Store(db) as store:
        report = content_report(store)
        feed = [r[0] for r in store.con.execute(
            "SELECT text FROM posts WHERE kind NOT IN ('reply', 'comment', 'repost') AND text IS NOT NULL "
            "ORDER BY ts").fetchall()]
    labels = [v.label for v in classify_texts(feed)]
    promotional = labels.count("promotional")
    assert report.totals == {label: labels.count(label) for label in LABELS}
    assert report.sell_ratio == round(promotional / len(labels), 3)
    assert (report.warning is not None) == (promotional / len(labels) > 0.2)
    assert report.rule_80_20["meets"] == (promotional / len(labels) <= 0.2)
    actual = report.rule_4_1_1["actual"]
    assert abs(sum(actual.values()) - 1) < 0.01


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("content-demo") / "demo.duckdb"
    run_demo(db, console=Console(file=io.StringIO()), config=DemoConfig(seed=3, n_people=200))
    return db


def test_the_demo_tells_the_story(demo_store: Path) -> None:
    """The demo brand sells too much in the first half and improves later; conversation pays."""
    with Store(demo_store) as store:
        report = content_report(store, by="month")
    shares = [m.promotional_share for m in report.mix if m.posts >= 10]
    half = len(shares) // 2
    first, second = shares[:half], shares[half + 1:]
    assert sum(first) / len(first) > 0.3 and sum(second) / len(second) < 0.22
    assert report.warning is not None and "Promotional posts are" in report.warning
    earned = {e.label: e.per_post for e in report.earnings}
    assert earned["relational"]["replies"] > 2 * earned["promotional"]["replies"]
    assert earned["relational"]["conversations"] > earned["promotional"]["conversations"]
    assert report.top_conversation_posts[0].label != "promotional"
    assert all(p.label == "promotional" for p in report.most_salesy)
    result = CliRunner().invoke(main, ["--db", str(demo_store), "content", "--by", "week"], catch_exceptions=False)
    assert result.exit_code == 0 and "sell ratio" in result.output and "warning" in result.output


def test_the_content_verdicts_refresh_reads_only_new_imports(tmp_path: Path) -> None:
    """After a refresh, texts of a later import get their verdict, texts already judged are not
    read again, and a refresh with nothing imported since returns without reading any text."""
    from tiescale.insights.content import refresh_content_labels
    from tiescale.insights.derived_state import derived_watermark
    from tiescale.classify.model import load_model
    from tests.test_refresh import write_events
    from .nurture_helpers import at, event

    model = load_model()
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, write_events(tmp_path / "a.csv", [
            event(at(10), "ann", "out", "mention", "m1", "Big SALE today: 30% off, buy now!")]))
        refresh_content_labels(store)
        assert derived_watermark(store, "content_labels", model.model_id) == store.watermark()
        assert store.scalar("SELECT count(*) FROM content_labels") == 1
        ingest_path(store, write_events(tmp_path / "b.csv", [
            event(at(5), "bob", "out", "mention", "m2", "Thank you so much for the kind words, Bob")]))
        store.con.execute("DELETE FROM content_labels")  # an old verdict gone: only new texts are read
        refresh_content_labels(store)
        labelled = {r["text_hash"] for r in store.rows("SELECT text_hash FROM content_labels")}
        assert len(labelled) == 1  # bob's text only
        assert derived_watermark(store, "content_labels", model.model_id) == store.watermark()
        refresh_content_labels(store)  # nothing new
        assert store.scalar("SELECT count(*) FROM content_labels") == 1
        assert derived_watermark(store, "content_labels", "another-model") is None


def test_the_stored_message_index_gives_the_report_a_fresh_read_gives(tmp_path: Path) -> None:
    """The refresh keeps the outbound messages in content_message_index from the imports since its
    last run; the report read from it equals the report read from every interaction, after a first
    import, after a later one (with an older copy of a message and a message mentioning two people),
    for every account and for one, over the whole data and a window; forget empties it."""
    from tiescale.insights.derived import refresh_derived
    from tiescale.store.identity import forget_person
    from .nurture_helpers import at, event, ingest_events

    sale, thanks = "Big SALE today: 30% off everything, buy now!", "Thank you so much for the kind words"
    with Store(tmp_path / "s.duckdb") as store:
        ingest_events(store, tmp_path, "a", [
            event(at(40), "ann", "out", "mention", "m1", sale), event(at(30), "bob", "out", "dm", "m2", thanks),
            event(at(20), "cat", "out", "reply", "m3", sale, account="shop", platform="mastodon"),
            event(at(25), "ann", "in", "reply", "i1", "love it")])
        refresh_derived(store)

        def both(account: str | None = None, window: int | None = None) -> tuple[dict, dict]:
            assert store.scalar("SELECT watermark FROM derived_state WHERE name = 'content_message_index'") \
                == store.watermark()  # the report reads the index
            indexed = content_report(store, account=account, window_days=window).to_dict()
            store.con.execute("DELETE FROM derived_state WHERE name = 'content_message_index'")
            fresh = content_report(store, account=account, window_days=window).to_dict()
            refresh_derived(store)  # puts the watermark back (the index is rebuilt whole)
            return indexed, fresh

        for args in ((None, None), ("shop", None), (None, 25)):
            indexed, fresh = both(*args)
            assert indexed == fresh and (indexed["messages"] > 0)
        ingest_events(store, tmp_path, "b", [
            event(at(10), "dan", "out", "mention", "m4", sale), event(at(10), "eve", "out", "mention", "m4", sale),
            event(at(45), "bob", "out", "dm", "m2", thanks)])  # the same message, older: it takes its date
        refresh_derived(store)
        assert store.scalar("SELECT count(*) FROM content_message_index WHERE item_id = 'm4'") == 1
        for args in ((None, None), ("brand", None), (None, 15)):
            indexed, fresh = both(*args)
            assert indexed == fresh
        forget_person(store, "x:ann")
        assert store.scalar("SELECT count(*) FROM content_message_index") == 0
        refresh_derived(store)
        indexed, fresh = both()
        assert indexed == fresh
