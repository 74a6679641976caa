"""Sync replaying real recorded XRPC responses (../shared/data/exports/bluesky/bskyr-vcr-cassettes).

The same responses imported first as a saved export: the sync must add nothing and count every
item as a duplicate (the chat goes through the events format, the export through the Bluesky
parser: both must give the same dedupe keys).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sync.conftest import BLUESKY, Sleeps
from tests.sync.replay import Exchange, ReplayServer, load_json_cassette, load_vcr_cassette
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path
from tiescale.sync.credentials import Connection, Secret
from tiescale.sync.runner import RetryPolicy, load_cursor, sync_store

pytestmark = pytest.mark.shared_data
OWN = "did:plc:5c2r73erhng4bszmxlfdtscf"  # bskyr.bsky.social, the account the cassettes were recorded with


def _cassettes(shared_data: Path) -> list[Exchange]:
    folder = shared_data / "exports" / "bluesky" / "bskyr-vcr-cassettes"
    exchanges = []
    for name in ("repo_auth_direct.yml", "n_notifications.yml", "c_list.yml", "c_messages.yml"):
        exchanges.extend(load_vcr_cassette(folder / name))
    # The recorder scrubbed the session tokens to "": put in the project's dummy tokens (an
    # empty bearer token is not even a legal header), everything else is served as recorded.
    session = _fixture_session()
    for exchange in exchanges:
        exchange.query.pop("status", None)  # listConvos was recorded with status=accepted
        exchange.times = 0
        if exchange.path.endswith("createSession"):
            body = json.loads(exchange.body)
            body.update(accessJwt=session["accessJwt"], refreshJwt=session["refreshJwt"])
            exchange.body = json.dumps(body)
    return exchanges


def _fixture_session() -> dict:
    exchange = next(e for e in load_json_cassette(BLUESKY / "day1.json") if e.path.endswith("createSession"))
    return exchange.body


def test_real_recordings_after_the_same_export_add_nothing(tmp_path: Path, shared_data: Path) -> None:
    exchanges = _cassettes(shared_data)
    notifications = next(e for e in exchanges if e.path.endswith("listNotifications"))
    messages = next(e for e in exchanges if e.path.endswith("getMessages"))
    export = tmp_path / "export"
    export.mkdir()
    (export / "notifications.json").write_text(notifications.body)
    (export / "messages.json").write_text(messages.body)
    last_page = {"cursor": json.loads(notifications.body)["cursor"]}
    with ReplayServer(exchanges) as server, Store(tmp_path / "s.duckdb") as store:
        server.add(Exchange("GET", notifications.path, last_page, body={"notifications": []}, times=0),
                   Exchange("GET", messages.path, {"cursor": json.loads(messages.body)["cursor"]},
                            body={"messages": []}, times=0),
                   Exchange("GET", "/xrpc/app.bsky.feed.getAuthorFeed", body={"feed": []}, times=0),
                   Exchange("GET", "/xrpc/com.atproto.repo.listRecords", body={"records": []}, times=0))
        summary = ingest_path(store, export, fmt="bluesky", account=OWN)
        assert summary.total_new > 0
        before = store.con.execute("SELECT count(*) FROM interactions").fetchone()[0]
        connection = Connection("bluesky", "bskyr.bsky.social", "https://bsky.social", Secret("xxxx-xxxx-xxxx-xxxx"),
                                True)
        connection.service = server.url
        report = sync_store(store, connections=[connection], policy=RetryPolicy(sleep=Sleeps()))
        assert not server.unmatched, [(s.path, s.query) for s in server.unmatched]
        by_stream = {s.stream: s for s in report.streams}
        assert {s.status for s in report.streams} == {"ok"}, [s.message for s in report.streams]
        assert sum(s.new_items for s in report.streams) == 0
        assert by_stream["notifications"].duplicates == summary.new_interactions.get("like", 0) + sum(
            n for k, n in summary.new_interactions.items() if k not in ("like", "dm"))
        assert by_stream["chat:3ku7w6h4vog2d"].duplicates == summary.new_interactions.get("dm", 0)
        assert store.con.execute("SELECT count(*) FROM interactions").fetchone()[0] == before
        state = load_cursor(store.con, "bluesky", OWN, "notifications")
        assert state.high_water is not None and state.high_water.startswith("2025-05-17T08:44:44")
