"""Answer in place on Bluesky and Mastodon, against the replay servers (issue 19, points 3-4, 6).

The store is filled by a real sync of the recorded day; the writes go to the fake endpoints of
tests/sync/replay_write.py through the real atproto and Mastodon.py clients, on 127.0.0.1.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engage.conftest import sync
from tests.sync.conftest import APP_PASSWORD, OWN_DID, TOKEN
from tests.sync.replay import ReplayServer
from tests.sync.replay_write import FakeBluesky, FakeMastodon, fail_next
from tiescale.insights.derived import refresh_derived
from tiescale.insights.queue import QueueConfig, build_queue
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.sync.base import SyncError
from tiescale.sync.engage import DraftWarning, plan_answer, send_answer
from tiescale.sync.runner import RetryPolicy

FAY = "did:plc:fay6pq7rtz3udz5aw4bx2rgh"
FAY_POST = f"at://{FAY}/app.bsky.feed.post/3kffffffffr2a"
BEA = "did:plc:bea2kx7qwz5mnv3rt6yp4ucd"
EVE_POST = "at://did:plc:eve5np6qsz2tcy4zv3aw7qfg/app.bsky.feed.post/3keeeeeeeem2a"
CREATE = "/xrpc/com.atproto.repo.createRecord"
EVERYONE = QueueConfig(history_months=2, max_wait_days=36500, min_wait_hours=0)


def outbound(store: Store, item_id: str) -> list[dict]:
    return store.rows("SELECT platform, handle, kind, direction, text, in_reply_to FROM interactions "
                      "WHERE item_id = ?", [item_id])


def sends(store: Store) -> list[dict]:
    return store.rows("SELECT status, kind, sent_id, error FROM engage_sends ORDER BY created_at")


def test_bluesky_reply_lands_in_the_thread_and_is_counted_at_once(tmp_path: Path, server: ReplayServer,
                                                                 bsky: FakeBluesky, policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        refresh_derived(store)
        assert FAY in {i.person for i in build_queue(store, limit=0, config=EVERYONE)}
        out_before = store.scalar("SELECT touchpoints_out FROM connection_scores WHERE person = ?", [FAY])
        plan = plan_answer(store, f"bluesky:{FAY}", "Yes, everyone is welcome, see you {first_name}!")
        assert plan.draft.kind == "reply" and plan.draft.target == FAY_POST and plan.target.need == "question"
        assert plan.draft.text == "Yes, everyone is welcome, see you Fay!" and not plan.warnings
        outcome = send_answer(store, plan, connections=[connection])
        # one post on the platform, in the thread: parent = Fay's reply, root = the own post it answered
        [post] = bsky.posts()
        assert post["text"] == plan.draft.text
        assert (post["reply"]["parent"]["uri"], post["reply"]["parent"]["cid"]) == (FAY_POST, "bafyfay")
        assert post["reply"]["root"]["uri"] == f"at://{OWN_DID}/app.bsky.feed.post/3kaaaaaaaaa2a"
        assert outcome.status == "sent" and outcome.sent is not None
        assert outcome.sent.url == f"https://bsky.app/profile/{OWN_DID}/post/{plan.draft.record_key}"
        # counted at once: the outbound touchpoint under the platform's id, the send marked, the queue item closed
        [row] = outbound(store, outcome.sent.item_id)
        assert row == {"platform": "bluesky", "handle": FAY, "kind": "reply", "direction": "out",
                       "text": plan.draft.text, "in_reply_to": FAY_POST}
        assert [s["status"] for s in sends(store)] == ["sent"]
        refresh_derived(store)  # what `tiescale reply` and the dashboard run after the send
        assert FAY not in {i.person for i in build_queue(store, limit=0, config=EVERYONE)}
        # the connection is scored again with the answer in it
        assert store.scalar("SELECT touchpoints_out FROM connection_scores WHERE person = ?", [FAY]) == out_before + 1
        answered = store.scalar("SELECT answered_at FROM answer_messages WHERE item_id = ?", [FAY_POST])
        assert answered is not None
        # the same answer again: not posted twice
        again = send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Yes, everyone is welcome, see you {first_name}!"),
                            connections=[connection])
        assert again.status == "already sent" and len(bsky.posts()) == 1
        # the next sync brings the post back from the platform (the author feed): the same dedupe key, no
        # second touchpoint
        feed = tmp_path / "feed"
        feed.mkdir()
        item = {"post": {"uri": outcome.sent.item_id, "cid": "bafy1", "record": post, "indexedAt": post["createdAt"],
                         "author": {"did": OWN_DID, "handle": "harbor.example.com"}},
                "reply": {"parent": {"$type": "app.bsky.feed.defs#postView", "uri": FAY_POST, "cid": "bafyfay",
                                     "author": {"did": FAY, "handle": "fay.example.com"}, "record": {}}}}
        (feed / "feed.json").write_text(json.dumps({"feed": [item]}), encoding="utf-8")
        before = store.scalar("SELECT count(*) FROM interactions")
        summary = ingest_path(store, feed, fmt="bluesky", account=OWN_DID)
        assert summary.total_new == 0 and summary.duplicates >= 1  # read, and found already there
        assert store.scalar("SELECT count(*) FROM interactions") == before
        assert store.scalar("SELECT count(*) FROM interactions WHERE dedupe_key = ?", [outcome.sent.item_id]) == 1


def test_bluesky_dm_where_the_message_was_a_dm_and_a_like(tmp_path: Path, server: ReplayServer, bsky: FakeBluesky,
                                                         policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        plan = plan_answer(store, f"bluesky:{BEA}", "Yes! One bag is yours.", kind="dm")
        assert plan.draft.kind == "dm" and plan.draft.target is None
        # answering the chat message by its id is a DM too
        by_id = plan_answer(store, "3kmmmmmmmme2a", "Yes! One bag is yours.")
        assert (by_id.key, by_id.draft.kind, by_id.draft.target) == (plan.key, "dm", None)
        outcome = send_answer(store, plan, connections=[connection])
        assert [m["text"] for m in bsky.messages] == ["Yes! One bag is yours."] and not bsky.posts()
        assert outcome.sent is not None and outcome.sent.url == "https://bsky.app/messages/3kconvoharborbea"
        assert outbound(store, outcome.sent.item_id)[0]["kind"] == "dm"
        # the same words in answer to another message of theirs are a new message, not a retry
        other = send_answer(store, plan_answer(store, "3kmmmmmmmmc2a", "Yes! One bag is yours."),
                            connections=[connection])
        assert other.status == "sent" and len(bsky.messages) == 2
        liked = send_answer(store, plan_answer(store, EVE_POST, "", kind="like"), connections=[connection])
        [like] = [r for r in bsky.records.values() if r["$type"] == "app.bsky.feed.like"]
        assert (like["subject"]["uri"], like["subject"]["cid"]) == (EVE_POST, "bafyeve") and liked.status == "sent"


def test_dry_run_shows_exactly_what_would_be_posted_and_sends_nothing(tmp_path: Path, server: ReplayServer,
                                                                      bsky: FakeBluesky, policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        before = store.scalar("SELECT count(*) FROM interactions")
        outcome = send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Everyone is welcome."), dry_run=True,
                              connections=[connection])
        assert outcome.status == "dry run" and outcome.preview == (
            f"bluesky:harbor.example.com: reply to {FAY_POST}:\nEveryone is welcome.")
        assert not server.requests_to(CREATE) and not bsky.records
        assert store.scalar("SELECT count(*) FROM interactions") == before and not sends(store)


def test_a_dropped_connection_after_the_post_leaves_exactly_one_post(tmp_path: Path, server: ReplayServer,
                                                                     bsky: FakeBluesky, policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        fail_next(server, "POST", CREATE, drop_after=bsky.create_record)  # made, but the answer is lost
        outcome = send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Everyone is welcome."),
                              connections=[connection])
        assert len(server.requests_to(CREATE)) == 1 and len(bsky.posts()) == 1  # found by getRecord, not resent
        assert outcome.status == "sent" and [s["status"] for s in sends(store)] == ["sent"]


def test_a_retry_after_an_unknown_outcome_asks_the_platform_first(tmp_path: Path, server: ReplayServer,
                                                                  bsky: FakeBluesky, policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        fail_next(server, "GET", "/xrpc/com.atproto.repo.getRecord", status=502, body={"error": "BadGateway"})
        fail_next(server, "POST", CREATE, drop_after=bsky.create_record)
        with pytest.raises(SyncError, match="Nothing was recorded as sent"):
            send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Everyone is welcome."), connections=[connection])
        assert [s["status"] for s in sends(store)] == ["pending"]  # the key is kept, nothing counted
        assert not store.rows("SELECT * FROM interactions WHERE direction = 'out' AND kind = 'reply' "
                              "AND in_reply_to = ?", [FAY_POST])
        outcome = send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Everyone is welcome."),
                              connections=[connection])
        assert outcome.status == "sent" and len(bsky.posts()) == 1 and len(server.requests_to(CREATE)) == 1


@pytest.mark.parametrize(("fault", "message"), [
    ({"status": 429, "headers": {"Retry-After": "120"}, "body": {"error": "RateLimitExceeded"}},
     r"rate limited .*try again in 120 s\. Nothing was sent\."),
    ({"status": 401, "body": {"error": "AuthenticationRequired", "message": "Invalid token"}},
     r"not authorised .*run `tiescale connect` again\. Nothing was sent\."),
])
def test_rate_limits_and_refused_credentials_are_one_line_and_nothing_is_sent(
        tmp_path: Path, server: ReplayServer, bsky: FakeBluesky, policy: RetryPolicy, fault: dict, message: str) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        before = store.scalar("SELECT count(*) FROM interactions")
        fail_next(server, "POST", CREATE, **fault)
        with pytest.raises(SyncError, match=message) as caught:
            send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Everyone is welcome."), connections=[connection])
        assert "\n" not in str(caught.value) and APP_PASSWORD not in str(caught.value)
        assert not bsky.records and store.scalar("SELECT count(*) FROM interactions") == before
        assert [s["status"] for s in sends(store)] == ["failed"]


def test_a_deleted_parent_and_a_refused_dm(tmp_path: Path, server: ReplayServer, bsky: FakeBluesky,
                                          policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        bsky.deleted.add(FAY_POST)
        with pytest.raises(SyncError, match="the post being answered was deleted"):
            send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Hi!"), connections=[connection])
        bsky.refuses_dms.add(BEA)
        with pytest.raises(SyncError, match="does not accept direct messages"):
            send_answer(store, plan_answer(store, f"bluesky:{BEA}", "Hi!"), connections=[connection])
        assert not bsky.records and not bsky.messages
        assert {s["status"] for s in sends(store)} == {"failed"}
        assert not store.rows("SELECT * FROM interactions WHERE direction = 'out' AND ts > now() - INTERVAL 1 DAY")


def test_a_promotional_answer_to_a_question_warns_and_can_be_sent_anyway(
        tmp_path: Path, server: ReplayServer, bsky: FakeBluesky, policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        pitch = "Use code SAVE20 for 20% off our new beans, shop now at harbor.example.com/shop!"
        plan = plan_answer(store, f"bluesky:{FAY}", pitch)
        assert plan.verdict == "promotional" and "question" in plan.warnings[0]
        with pytest.raises(DraftWarning, match="--anyway"):
            send_answer(store, plan, connections=[connection])
        assert not bsky.records
        assert send_answer(store, plan, anyway=True, connections=[connection]).status == "sent"


def test_mastodon_reply_dm_and_favourite(tmp_path: Path, server: ReplayServer, masto: FakeMastodon,
                                         policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, masto, policy)
        outcome = send_answer(store, plan_answer(store, "mastodon:bea@social.example", "Glad you liked it!"),
                              connections=[connection])
        [status] = masto.statuses
        assert status["visibility"] == "public" and status["in_reply_to_id"] == "9112"
        assert status["content"] == "<p>@bea@social.example Glad you liked it!</p>"
        assert outcome.sent is not None and outcome.sent.url == "https://coast.example/@harbor/5000"
        assert outbound(store, outcome.sent.item_id)[0]["handle"] == "bea@social.example"
        # Cal's message was a direct one: the answer is direct too, in that conversation
        dm = send_answer(store, plan_answer(store, "mastodon:cal@fedi.example", "Yes, 2 kg are ready for you."),
                         connections=[connection])
        assert masto.statuses[1]["visibility"] == "direct" and masto.statuses[1]["in_reply_to_id"] == "9301"
        assert dm.plan.draft.kind == "dm"
        send_answer(store, plan_answer(store, "https://social.example/users/bea/statuses/112", "", kind="like"),
                    connections=[connection])
        assert masto.favourited == {"9112"}


def test_mastodon_dropped_connection_posts_once(tmp_path: Path, server: ReplayServer, masto: FakeMastodon,
                                                policy: RetryPolicy) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, masto, policy)
        fail_next(server, "POST", "/api/v1/statuses", drop_after=masto.post)
        outcome = send_answer(store, plan_answer(store, "mastodon:bea@social.example", "Glad you liked it!"),
                              connections=[connection])
        assert len(masto.statuses) == 1 and outcome.status == "sent"
        keys = {s.headers.get("idempotency-key") for s in server.requests_to("/api/v1/statuses")}
        assert len(keys) == 1 and None not in keys
        fail_next(server, "POST", "/api/v1/statuses", status=401, body={"error": "The access token is invalid"})
        with pytest.raises(SyncError, match="not authorised") as caught:
            send_answer(store, plan_answer(store, "mastodon:cal@fedi.example", "Ready!"), connections=[connection])
        assert TOKEN not in str(caught.value) and len(masto.statuses) == 1


@pytest.mark.parametrize(("fault", "message"), [
    ("429", r"rate limited .*try again in 45 s\. Nothing was sent\."),
    ("deleted", r"the post being answered was deleted"),
    ("dm refused", r"cannot be sent a direct message"),
])
def test_mastodon_faults_are_one_line_and_nothing_is_recorded(tmp_path: Path, server: ReplayServer,
                                                              masto: FakeMastodon, policy: RetryPolicy, fault: str,
                                                              message: str) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, masto, policy)
        before = store.scalar("SELECT count(*) FROM interactions")
        ref, text = "mastodon:bea@social.example", "Glad you liked it!"
        if fault == "429":
            fail_next(server, "POST", "/api/v1/statuses", status=429, headers={"Retry-After": "45"},
                      body={"error": "Too many requests"})
        elif fault == "deleted":
            masto.deleted.add("https://social.example/users/bea/statuses/112")
        else:
            ref, text = "mastodon:cal@fedi.example", "Yes, ready."
            fail_next(server, "POST", "/api/v1/statuses", status=422,
                      body={"error": "Validation failed: the recipient does not accept direct messages"})
        with pytest.raises(SyncError, match=message) as caught:
            send_answer(store, plan_answer(store, ref, text), connections=[connection])
        assert "\n" not in str(caught.value) and TOKEN not in str(caught.value)
        assert not masto.statuses and store.scalar("SELECT count(*) FROM interactions") == before
        assert [s["status"] for s in sends(store)] == ["failed"]


def test_an_unexpected_failure_is_one_line_and_the_retry_asks_first(tmp_path: Path, server: ReplayServer,
                                                                    bsky: FakeBluesky, policy: RetryPolicy) -> None:
    from tiescale.sync.engage import default_writer

    with Store(tmp_path / "s.duckdb") as store:
        connection = sync(store, server, bsky, policy)
        fail_next(server, "POST", CREATE, drop_after=bsky.create_record)  # made, answer lost
        fail_next(server, "GET", "/xrpc/com.atproto.repo.getRecord", status=200, body="not json at all")
        with pytest.raises(SyncError, match="Nothing was recorded as sent"):
            send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Welcome!"), connections=[connection])
        assert [s["status"] for s in sends(store)] == ["pending"]
        outcome = send_answer(store, plan_answer(store, f"bluesky:{FAY}", "Welcome!"), default_writer,
                              connections=[connection])
        assert outcome.status == "sent" and len(bsky.posts()) == 1 and len(server.requests_to(CREATE)) == 1
