"""Fixtures for the sync tests: a private config dir, a replay server, a policy that does not wait."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator

import pytest

from tests.sync.replay import Exchange, ReplayServer, load_json_cassette
from tiescale.sync.credentials import BLUESKY_PASSWORD_ENV, MASTODON_TOKEN_ENV, Connection, Secret
from tiescale.sync.runner import RetryPolicy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BLUESKY = FIXTURES / "bluesky-xrpc"
MASTODON = FIXTURES / "mastodon-api"
OWN_DID = "did:plc:hbrcf6ee7yzq2mxk4w3vt5ab"
OWN_MASTODON = "harbor@coast.example"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
TOKEN = "ZXhhbXBsZS10b2tlbi1ub3QtcmVhbC0xMjM0NTY3ODkw"


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv(BLUESKY_PASSWORD_ENV, raising=False)
    monkeypatch.delenv(MASTODON_TOKEN_ENV, raising=False)
    return home


@dataclass
class Sleeps:
    """An injected sleep: records what it was asked, returns at once."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=1.0, sleep=sleeps, jitter=lambda delay: delay)


def cassette(path: Path, replay_forever: bool = True) -> list[Exchange]:
    exchanges = load_json_cassette(path)
    if replay_forever:  # pages are keyed by their cursor, so answering again is what a server does
        for exchange in exchanges:
            exchange.times = 0
    return exchanges


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def bluesky_connection(server: ReplayServer) -> Connection:
    return Connection("bluesky", "harbor.example.com", server.url, Secret(APP_PASSWORD), True)


def mastodon_connection(server: ReplayServer) -> Connection:
    return Connection("mastodon", OWN_MASTODON, server.url, Secret(TOKEN), True)
