"""Bluesky sync through the real atproto client against the local replay server."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.sync.conftest import APP_PASSWORD, BLUESKY, OWN_DID, Sleeps, bluesky_connection, cassette
from tests.sync.replay import Exchange, ReplayServer
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.sync.runner import RetryPolicy, SyncReport, load_cursor, sync_store

NOTIFICATIONS = "/xrpc/app.bsky.notification.listNotifications"
PAGE_1_CURSOR = "2024-03-10T09:00:01.000Z"
PAGE_2_CURSOR = "2024-03-02T08:00:01.000Z"


def keys(store: Store) -> set[tuple]:
    return set(store.con.execute(
        "SELECT platform, account, handle, dedupe_key, direction, kind FROM interactions").fetchall())


def post_ids(store: Store) -> set[str]:
    return {row[0] for row in store.con.execute("SELECT post_id FROM posts").fetchall()}


def stream(report: SyncReport, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in report.streams if s.stream == name)


def run(store: Store, server: ReplayServer, policy: RetryPolicy) -> SyncReport:
    return sync_store(store, connections=[bluesky_connection(server)], policy=policy)


def recorded_items(path: str, key: str) -> list[dict]:
    """Every item the day-1 recording serves for one endpoint, in page order."""
    data = json.loads((BLUESKY / "day1.json").read_text())
    return [item for i in data["interactions"] if i["request"]["uri"].split("?")[0].endswith(path)
            for item in i["response"]["body"][key]]


def test_full_sync_stores_what_the_recordings_hold(tmp_path: Path, server: ReplayServer, policy: RetryPolicy) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    with Store(tmp_path / "synced.duckdb") as synced:
        report = run(synced, server, policy)
        assert [s.status for s in report.streams] == ["ok"] * len(report.streams)
        assert {s.stream for s in report.streams} == {"notifications", "posts", "likes", "follows",
                                                      "chat:3kconvoharborbea"}
        assert not server.unmatched
        # The same responses saved as files and imported as an export give the same store.
        saved = tmp_path / "saved"
        saved.mkdir()
        (saved / "notifications.json").write_text(json.dumps(
            {"notifications": recorded_items("listNotifications", "notifications")}))
        (saved / "feed.json").write_text(json.dumps({"feed": recorded_items("getAuthorFeed", "feed")}))
        (saved / "messages.json").write_text(json.dumps({"messages": recorded_items("getMessages", "messages")}))
        (saved / "records.json").write_text(json.dumps({"records": recorded_items("listRecords", "records")}))
        with Store(tmp_path / "imported.duckdb") as imported:
            ingest_path(imported, saved, fmt="bluesky", account=OWN_DID)
            assert keys(synced) == keys(imported)
            assert post_ids(synced) == post_ids(imported)
        # every page went through the import log, and the page files are gone afterwards
        formats = {row[0] for row in synced.con.execute("SELECT format FROM imports").fetchall()}
        assert formats == {"bluesky", "events"}
        assert not any((tmp_path / ".synced.duckdb.sync").iterdir())
        # the walk ended: the high water is the newest notification, no walk is pending
        state = load_cursor(synced.con, "bluesky", OWN_DID, "notifications")
        newest = max(n["indexedAt"] for n in recorded_items("listNotifications", "notifications"))
        assert state.high_water is not None and state.high_water.startswith(newest[:19])
        assert state.walk_cursor is None
        # the chat proxy header went with the chat calls, the app password never left the login
        chat = server.requests_to("/xrpc/chat.bsky.convo.listConvos")[0]
        assert chat.headers.get("atproto-proxy", "").startswith("did:web:api.bsky.chat")
        assert all(APP_PASSWORD.encode() not in s.body for s in server.seen if "createSession" not in s.path)


def test_sync_after_an_export_adds_only_what_is_new(tmp_path: Path, server: ReplayServer, policy: RetryPolicy) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    export = ALL_FIXTURES / "bluesky"
    with Store(tmp_path / "only-sync.duckdb") as only_sync:
        run(only_sync, server, policy)
        from_sync = keys(only_sync)
    with Store(tmp_path / "store.duckdb") as store:
        for name in ("repo.car", "notifications.json", "author_feed.json", "messages.json"):
            ingest_path(store, export / name, fmt="bluesky", account=OWN_DID)
        from_export = keys(store)
        assert from_export & from_sync  # the recordings overlap the export (likes, follows, notifications, DMs)
        report = run(store, server, policy)
        assert keys(store) == from_export | from_sync
        new_interactions = len(from_sync - from_export)
        new_posts = report.new_items - new_interactions
        assert new_interactions > 0 and new_posts >= 0
        assert sum(s.duplicates for s in report.streams) >= len(from_export & from_sync)
        duplicated = store.con.execute("SELECT count(*) FROM (SELECT platform, handle, dedupe_key FROM interactions "
                                       "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert duplicated == 0


def test_the_next_day_fetches_only_down_to_the_high_water(tmp_path: Path, server: ReplayServer,
                                                          policy: RetryPolicy) -> None:
    server.add(*cassette(BLUESKY / "day1.json", replay_forever=False))
    with Store(tmp_path / "s.duckdb") as store:
        run(store, server, policy)
        before = keys(store)
        server.exchanges.clear()
        server.seen.clear()
        server.add(*cassette(BLUESKY / "day2.json"))
        report = run(store, server, policy)
        added = keys(store) - before
        assert {(k[2], k[5]) for k in added} == {("did:plc:bea2kx7qwz5mnv3rt6yp4ucd", "mention")}
        assert stream(report, "notifications").new_items == 1
        # one page was enough: it reached items older than the high water
        assert [s.query.get("cursor") for s in server.requests_to(NOTIFICATIONS)] == [None]
        # the conversation's last message is known: its messages are not fetched again
        assert not server.requests_to("/xrpc/chat.bsky.convo.getMessages")
        assert not server.unmatched


def test_server_error_mid_way_keeps_the_cursor_with_the_store_and_resumes(
        tmp_path: Path, server: ReplayServer, policy: RetryPolicy, sleeps: Sleeps) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    failing = Exchange("GET", NOTIFICATIONS, {"cursor": PAGE_1_CURSOR}, 500,
                       body={"error": "InternalServerError", "message": "Internal Server Error"}, times=policy.attempts)
    server.insert(failing)
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        notifications = stream(report, "notifications")
        assert notifications.status == "partial" and "500" in (notifications.message or "")
        assert notifications.retries == policy.attempts - 1 and len(sleeps.calls) == policy.attempts - 1
        assert sleeps.calls == [1.0, 2.0, 4.0]  # exponential backoff, injected sleep
        assert stream(report, "posts").status == "ok"  # one stream failing does not stop the others
        # the store holds page 1 and the cursor says so: resume at page 2, high water not moved yet
        state = load_cursor(store.con, "bluesky", OWN_DID, "notifications")
        assert (state.walk_cursor, state.high_water) == (PAGE_1_CURSOR, None)
        page_1 = {n["uri"] for n in recorded_items("listNotifications", "notifications")[:3]}
        stored = {row[0] for row in store.con.execute(
            "SELECT item_id FROM interactions WHERE direction = 'in' AND kind <> 'dm'").fetchall()}
        assert stored == page_1
        logged = store.con.execute("SELECT status, message FROM sync_log WHERE stream = 'notifications'").fetchone()
        assert logged[0] == "partial"

        server.seen.clear()
        report = run(store, server, policy)
        assert stream(report, "notifications").status == "ok"
        cursors = [s.query.get("cursor") for s in server.requests_to(NOTIFICATIONS)]
        assert cursors[0] == PAGE_1_CURSOR  # the interrupted walk is finished first
        assert load_cursor(store.con, "bluesky", OWN_DID, "notifications").walk_cursor is None
        with Store(tmp_path / "clean.duckdb") as clean:
            run(clean, server, policy)
            assert keys(store) == keys(clean)  # no gap, no duplicate


def test_retry_after_and_rate_limit_reset_are_honoured(tmp_path: Path, server: ReplayServer, sleeps: Sleeps) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    now = 1_710_000_000.0
    server.insert(
        Exchange("GET", NOTIFICATIONS, {"cursor": PAGE_1_CURSOR}, 503, {"Retry-After": "7"},
                 {"error": "ServiceUnavailable"}),
        Exchange("GET", NOTIFICATIONS, {"cursor": PAGE_2_CURSOR}, 429,
                 {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": str(int(now) + 42)},
                 {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
    )
    policy = RetryPolicy(attempts=4, sleep=sleeps, clock=lambda: now, jitter=lambda d: d)
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert stream(report, "notifications").status == "ok"
        assert sleeps.calls == [7.0, 42.0]
        assert stream(report, "notifications").retries == 2


def test_a_spent_budget_waits_for_the_reset_before_the_next_page(tmp_path: Path, server: ReplayServer,
                                                                  sleeps: Sleeps) -> None:
    now = 1_710_000_000.0
    day1 = cassette(BLUESKY / "day1.json")
    for exchange in day1:
        if exchange.path == NOTIFICATIONS and not exchange.query:
            exchange.headers = {**exchange.headers, "ratelimit-remaining": "0", "ratelimit-reset": str(int(now) + 30)}
    server.add(*day1)
    policy = RetryPolicy(sleep=sleeps, clock=lambda: now)
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert stream(report, "notifications").status == "ok"
        assert sleeps.calls == [30.0]


def test_a_dropped_connection_is_retried(tmp_path: Path, server: ReplayServer, policy: RetryPolicy,
                                         sleeps: Sleeps) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    server.insert(Exchange("GET", NOTIFICATIONS, {"cursor": PAGE_1_CURSOR}, drop=True))
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        notifications = stream(report, "notifications")
        assert notifications.status == "ok" and notifications.retries == 1
        assert sleeps.calls == [1.0]
        assert len(server.requests_to(NOTIFICATIONS)) == 4  # page 2 asked twice


def test_a_rate_limit_longer_than_the_patience_stops_cleanly(tmp_path: Path, server: ReplayServer,
                                                             sleeps: Sleeps) -> None:
    server.add(*cassette(BLUESKY / "day1.json"))
    server.insert(Exchange("GET", NOTIFICATIONS, {"cursor": PAGE_1_CURSOR}, 429, {"Retry-After": "3600"},
                           {"error": "RateLimitExceeded"}))
    policy = RetryPolicy(sleep=sleeps, max_wait=600)
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        notifications = stream(report, "notifications")
        assert notifications.status == "partial" and "3600" in (notifications.message or "")
        assert sleeps.calls == []  # it did not sit for an hour
        assert load_cursor(store.con, "bluesky", OWN_DID, "notifications").walk_cursor == PAGE_1_CURSOR
        report = run(store, server, policy)
        assert stream(report, "notifications").status == "ok"


def test_chat_without_dm_access_is_skipped_not_failed(tmp_path: Path, server: ReplayServer,
                                                      policy: RetryPolicy) -> None:
    server.add(Exchange("GET", "/xrpc/chat.bsky.convo.listConvos", status=400,
                        body={"error": "InvalidToken", "message": "Bad token scope"}, times=0))
    server.add(*[e for e in cassette(BLUESKY / "day1.json") if "chat.bsky" not in e.path])
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert stream(report, "chat").status == "skipped"
        assert "direct messages" in (stream(report, "chat").message or "")
        assert stream(report, "notifications").status == "ok"


def test_a_refused_password_fails_the_login_without_showing_it(tmp_path: Path, server: ReplayServer,
                                                               policy: RetryPolicy) -> None:
    server.add(Exchange("POST", "/xrpc/com.atproto.server.createSession", status=401,
                        body={"error": "AuthenticationRequired", "message": "Invalid identifier or password"}))
    with Store(tmp_path / "s.duckdb") as store:
        report = run(store, server, policy)
        assert [(s.stream, s.status) for s in report.streams] == [("login", "failed")]
        assert "not authorised" in (report.streams[0].message or "")
        logged = " ".join(str(v) for row in store.con.execute("SELECT * FROM sync_log").fetchall() for v in row)
        assert APP_PASSWORD not in logged and APP_PASSWORD not in (report.streams[0].message or "")


def test_the_session_is_kept_so_later_syncs_do_not_log_in_again(tmp_path: Path, server: ReplayServer,
                                                                 policy: RetryPolicy) -> None:
    import stat

    from tiescale.sync.credentials import session_path

    server.add(*cassette(BLUESKY / "day1.json"))
    connection = bluesky_connection(server)
    with Store(tmp_path / "s.duckdb") as store:
        sync_store(store, connections=[connection], policy=policy)
        sync_store(store, connections=[connection], policy=policy)
        assert len(server.requests_to("/xrpc/com.atproto.server.createSession")) == 1
        path = session_path(connection)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert APP_PASSWORD not in path.read_text()
        path.write_text("not a session")  # unusable: the password logs in again, and the sync goes on
        report = sync_store(store, connections=[connection], policy=policy)
        assert {s.status for s in report.streams} == {"ok"}
        assert len(server.requests_to("/xrpc/com.atproto.server.createSession")) == 2
