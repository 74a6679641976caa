# ruff: noqa: F811 - the sync tests' fixtures are imported here to be used by name
"""Engage tests: a store synced from the recorded Bluesky and Mastodon days, and the fake write endpoints."""
from __future__ import annotations

import pytest

from tests.sync.conftest import (  # noqa: F401 - fixtures used by the tests here
    BLUESKY, MASTODON, OWN_DID, bluesky_connection, cassette, config_home, mastodon_connection, policy, server, sleeps,
)
from tests.sync.replay import ReplayServer
from tests.sync.replay_write import FakeBluesky, FakeMastodon
from tiescale.store.db import Store
from tiescale.sync.credentials import Connection, save_connection
from tiescale.sync.runner import RetryPolicy, sync_store


@pytest.fixture
def bsky(server: ReplayServer) -> FakeBluesky:
    server.add(*cassette(BLUESKY / "day1.json"))
    return FakeBluesky()  # installed by sync(), after the recorded day is read


@pytest.fixture
def masto(server: ReplayServer) -> FakeMastodon:
    server.add(*cassette(MASTODON / "day1.json"))
    return FakeMastodon()


def connected(server: ReplayServer, platform: str) -> Connection:
    """The connection as `tiescale connect` saves it (the Bluesky DID known), written to the config dir."""
    if platform == "bluesky":
        connection = bluesky_connection(server)
        connection.account_id = OWN_DID
    else:
        connection = mastodon_connection(server)
        connection.account_id = "1"
    save_connection(connection)
    return connection


def sync(store: Store, server: ReplayServer, fake: FakeBluesky | FakeMastodon, policy: RetryPolicy) -> Connection:
    """The recorded day synced into ``store``; then the fake's write endpoints answer in front."""
    connection = connected(server, "bluesky" if isinstance(fake, FakeBluesky) else "mastodon")
    report = sync_store(store, connections=[connection], policy=policy)
    assert not report.failed, report.to_dict()
    fake.install(server)
    return connection
