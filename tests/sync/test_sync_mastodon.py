"""Mastodon sync through the real Mastodon.py client against the local replay server."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.sync.conftest import MASTODON, OWN_MASTODON, TOKEN, Sleeps, cassette, mastodon_connection
from tests.sync.replay import Exchange, ReplayServer
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.sync.runner import RetryPolicy, SyncReport, load_cursor, sync_store

NOTIFICATIONS = "/api/v1/notifications"
STATUSES = "/api/v1/accounts/1/statuses"
EXPORT = ALL_FIXTURES / "mastodon" / "archive-20240310120000-5e1f0c"


def keys(store: Store) -> set[tuple]:
    return set(store.con.execute(
        "SELECT platform, account, handle, dedupe_key, direction, kind FROM interactions").fetchall())


def posts(store: Store) -> set[str]:
    return {row[0] for row in store.con.execute("SELECT post_id FROM posts").fetchall()}


def stream(report: SyncReport, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in report.streams if s.stream == name)


def run(store: Store, server: ReplayServer, policy: RetryPolicy) -> SyncReport:
    return sync_store(store, connections=[mastodon_connection(server)], policy=policy)


def recorded(path: str) -> list[dict]:
    data = json.loads((MASTODON / "day1.json").read_text())
    return [item for i in data["interactions"] if i["request"]["uri"].split("?")[0].endswith(path)
            for item in i["response"]["body"]]


def test_full_sync(tmp_path: Path, server: ReplayServer, policy: RetryPolicy) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert {s.stream: s.status for s in report.streams} == {
            "notifications": "ok", "statuses": "ok", "conversations": "ok", "followers": "ok"}
        assert not server.unmatched
        # every recorded status of the account came in: posts, boosts, and the direct message
        statuses = recorded("/statuses")
        assert posts(store) == {s["uri"] for s in statuses if s["visibility"] != "direct"}
        dm = next(s for s in statuses if s["visibility"] == "direct")
        assert ("mastodon", OWN_MASTODON, "cal@fedi.example", dm["uri"], "out", "dm") in keys(store)
        # each notification that is a touchpoint is one inbound interaction
        touchpoints = [n for n in recorded("/notifications") if n["type"] != "poll"]
        inbound = store.con.execute("SELECT count(*) FROM interactions WHERE direction = 'in'").fetchone()[0]
        assert inbound == len(touchpoints)
        # the followers list was read across its Link pages into one snapshot
        followers = {f"{a['acct']}@coast.example" if "@" not in a["acct"] else a["acct"]
                     for a in recorded("/followers")}
        snapshot = {row[0] for row in store.con.execute("SELECT person FROM follower_snapshots").fetchall()}
        assert snapshot == followers
        assert [s.query.get("max_id") for s in server.requests_to("/api/v1/accounts/1/followers")] == [None, "77"]
        # forward pagination: each page asked for what follows the last one stored
        assert [s.query["min_id"] for s in server.requests_to(NOTIFICATIONS)] == ["0", "12", "15"]
        assert load_cursor(store.con, "mastodon", OWN_MASTODON, "notifications").high_water.lstrip("0") == "15"
        # the token went in the Authorization header only
        assert all(s.headers.get("authorization") == f"Bearer {TOKEN}" for s in server.seen)
        assert all(TOKEN not in json.dumps(s.query) for s in server.seen)


def test_sync_after_the_export_adds_only_what_is_new(tmp_path: Path, server: ReplayServer,
                                                     policy: RetryPolicy) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, EXPORT, fmt="mastodon")
        exported_posts, exported = posts(store), keys(store)
        report = run(store, server, policy)
        statuses = stream(report, "statuses")
        new_posts = posts(store) - exported_posts
        overlap = {s["uri"] for s in recorded("/statuses")} & exported_posts
        assert overlap  # the recording repeats statuses that are in the export
        assert new_posts == {s["uri"] for s in recorded("/statuses")
                             if s["visibility"] != "direct"} - exported_posts
        assert statuses.duplicates > 0
        assert keys(store) >= exported
        duplicated = store.con.execute("SELECT count(*) FROM (SELECT platform, handle, dedupe_key FROM interactions "
                                       "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert duplicated == 0
        # the account is the export's account: one own account, not two
        assert store.con.execute("SELECT handle FROM accounts WHERE platform = 'mastodon'").fetchall() == [
            (OWN_MASTODON,)]


def test_the_next_day_asks_only_after_the_high_water(tmp_path: Path, server: ReplayServer,
                                                     policy: RetryPolicy) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    with Store(tmp_path / "s.duckdb") as store:
        run(store, server, policy)
        before = keys(store)
        server.exchanges.clear()
        server.seen.clear()
        server.add(*cassette(MASTODON / "day2.json"))
        report = run(store, server, policy)
        added = keys(store) - before
        assert {(k[2], k[5]) for k in added} == {("dee@coast.example", "like")}
        assert stream(report, "followers").status == "skipped"  # one snapshot a day is enough
        assert [s.query["min_id"] for s in server.requests_to(NOTIFICATIONS)] == ["15", "16"]
        assert not server.unmatched


def test_rate_limit_answer_with_retry_after(tmp_path: Path, server: ReplayServer, sleeps: Sleeps) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    server.insert(Exchange("GET", NOTIFICATIONS, {"min_id": "12"}, 429,
                           {"Retry-After": "13", "X-RateLimit-Remaining": "0"}, {"error": "Too many requests"}))
    policy = RetryPolicy(sleep=sleeps, jitter=lambda d: d)
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert stream(report, "notifications").status == "ok"
        assert sleeps.calls == [13.0]


def test_rate_limit_reset_header_without_retry_after(tmp_path: Path, server: ReplayServer, sleeps: Sleeps) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    server.insert(Exchange("GET", STATUSES, {"min_id": "1011"}, 429,
                           {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2024-03-12T18:05:00.000Z"},
                           {"error": "Too many requests"}))
    reset = 1710266700.0  # 2024-03-12T18:05:00Z
    policy = RetryPolicy(sleep=sleeps, clock=lambda: reset - 95, jitter=lambda d: d)
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert stream(report, "statuses").status == "ok"
        assert sleeps.calls == [95.0]


def test_server_error_mid_way_then_resume(tmp_path: Path, server: ReplayServer, policy: RetryPolicy) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    server.insert(Exchange("GET", STATUSES, {"min_id": "1011"}, 500, body={"error": "boom"}, times=policy.attempts))
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        statuses = stream(report, "statuses")
        assert statuses.status == "partial" and "500" in (statuses.message or "")
        # the first page is stored, and the cursor is exactly its newest status
        state = load_cursor(store.con, "mastodon", OWN_MASTODON, "statuses")
        assert state.high_water.lstrip("0") == "1011"
        first_page = {s["uri"] for s in recorded("/statuses")[:3]}
        assert posts(store) == first_page
        server.seen.clear()
        report = run(store, server, policy)
        assert stream(report, "statuses").status == "ok"
        assert [s.query["min_id"] for s in server.requests_to(STATUSES)][0] == "1011"
        with Store(tmp_path / "clean.duckdb") as clean:
            run(clean, server, policy)
            assert keys(store) == keys(clean) and posts(store) == posts(clean)


def test_dropped_connection_is_retried(tmp_path: Path, server: ReplayServer, policy: RetryPolicy,
                                       sleeps: Sleeps) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    server.insert(Exchange("GET", "/api/v1/conversations", {"min_id": "0"}, drop=True))
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        conversations = stream(report, "conversations")
        assert conversations.status == "ok" and conversations.retries == 1
        assert sleeps.calls == [1.0]


def test_a_token_without_a_scope_skips_that_stream(tmp_path: Path, server: ReplayServer, policy: RetryPolicy) -> None:
    server.add(Exchange("GET", "/api/v1/conversations", {"min_id": "0"}, status=403,
                        body={"error": "This action is outside the authorized scopes"}, times=0))
    server.add(*cassette(MASTODON / "day1.json"))
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert stream(report, "conversations").status == "skipped"
        assert stream(report, "notifications").status == "ok"
