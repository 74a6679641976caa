"""`tiescale connect` and `tiescale sync` end to end, credentials on disk, the schedule loop."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.sync.conftest import APP_PASSWORD, BLUESKY, MASTODON, OWN_DID, OWN_MASTODON, TOKEN, cassette
from tests.sync.replay import Exchange, ReplayServer
from tiescale.records import UsageError
from tiescale.surfaces.cli import main
from tiescale.sync.credentials import (
    MASTODON_TOKEN_ENV, Connection, Secret, connections_path, load_connections,
    save_connection,
)
from tiescale.sync.base import SyncError
from tiescale.sync.runner import parse_duration, run_every


def invoke(db: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--db", str(db), *args], env=env, catch_exceptions=False)


def test_connect_then_sync_end_to_end(tmp_path: Path, server: ReplayServer) -> None:
    server.add(*cassette(BLUESKY / "day1.json"), *cassette(MASTODON / "day1.json"))
    db = tmp_path / "store.duckdb"
    result = invoke(db, "connect", "bluesky", "--handle", "@Harbor.example.com", "--app-password", APP_PASSWORD,
                    "--service", server.url)
    assert result.exit_code == 0, result.output
    assert OWN_DID in result.output and APP_PASSWORD not in result.output
    result = invoke(db, "connect", "mastodon", "--instance", server.url, "--token", TOKEN)
    assert result.exit_code == 0, result.output
    assert OWN_MASTODON in result.output and TOKEN not in result.output

    path = connections_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert {c.key for c in load_connections()} == {"bluesky:harbor.example.com", f"mastodon:{OWN_MASTODON}"}

    listing = invoke(db, "connect", "--format", "json")
    assert {r["name"] for r in json.loads(listing.output)} == {"harbor.example.com", OWN_MASTODON}
    assert APP_PASSWORD not in listing.output and TOKEN not in listing.output

    result = invoke(db, "sync", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {(r["platform"], r["status"]) for r in rows} == {("bluesky", "ok"), ("mastodon", "ok")}
    assert sum(r["new_items"] for r in rows) > 0
    # secrets are nowhere in the store
    dump = tmp_path / "dump.csv"
    assert invoke(db, "export", "events", "--format", "csv", "--output", str(dump)).exit_code == 0
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        text = json.dumps(con.execute(f'SELECT * FROM "{table}"').fetchall(), default=str)
        assert APP_PASSWORD not in text and TOKEN not in text, table
    con.close()

    # one account by name; again: nothing new
    result = invoke(db, "sync", "harbor.example.com", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert {r["platform"] for r in rows} == {"bluesky"} and sum(r["new_items"] for r in rows) == 0


def test_secret_from_the_environment_is_not_written(tmp_path: Path, server: ReplayServer) -> None:
    server.add(*cassette(MASTODON / "day1.json"))
    db = tmp_path / "store.duckdb"
    result = invoke(db, "connect", "mastodon", "--instance", server.url, env={MASTODON_TOKEN_ENV: TOKEN})
    assert result.exit_code == 0, result.output
    assert "not stored" in result.output
    assert TOKEN not in connections_path().read_text()
    (connection,) = load_connections()
    assert connection.secret is None
    os.environ[MASTODON_TOKEN_ENV] = TOKEN
    try:
        assert connection.resolved_secret().reveal() == TOKEN
    finally:
        del os.environ[MASTODON_TOKEN_ENV]
    with pytest.raises(UsageError, match=MASTODON_TOKEN_ENV):
        connection.resolved_secret()


def test_refused_credentials_save_nothing_and_do_not_echo_the_secret(tmp_path: Path, server: ReplayServer) -> None:
    server.add(Exchange("POST", "/xrpc/com.atproto.server.createSession", status=401,
                        body={"error": "AuthenticationRequired", "message": "Invalid identifier or password"}))
    result = invoke(tmp_path / "s.duckdb", "connect", "bluesky", "--handle", "harbor.example.com",
                    "--app-password", APP_PASSWORD, "--service", server.url)
    assert result.exit_code == 2
    assert "not authorised" in result.output and APP_PASSWORD not in result.output
    assert not connections_path().exists()


def test_no_secret_at_all_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(tmp_path / "s.duckdb", "connect", "mastodon", "--instance", "https://coast.example")
    assert result.exit_code == 2 and MASTODON_TOKEN_ENV in result.output


def test_sync_without_connections_or_with_an_unknown_account(tmp_path: Path) -> None:
    result = invoke(tmp_path / "s.duckdb", "sync")
    assert result.exit_code == 2 and "tiescale connect" in result.output
    save_connection(Connection("bluesky", "a.example.com", "https://bsky.social", Secret("x-y-z-w"), True))
    result = invoke(tmp_path / "s.duckdb", "sync", "nobody.example.com")
    assert result.exit_code == 2 and "nobody.example.com" in result.output


def test_a_failing_account_exits_2_and_is_logged(tmp_path: Path, server: ReplayServer) -> None:
    server.add(Exchange("GET", "/api/v1/accounts/verify_credentials", status=401,
                        body={"error": "The access token is invalid"}))
    save_connection(Connection("mastodon", OWN_MASTODON, server.url, Secret(TOKEN), True))
    result = invoke(tmp_path / "s.duckdb", "sync", "--format", "json")
    assert result.exit_code == 2
    (row,) = json.loads(result.output)
    assert row["status"] == "failed" and "access token is invalid" in row["message"] and TOKEN not in row["message"]


def test_connections_file_readable_by_others_is_refused() -> None:
    save_connection(Connection("bluesky", "a.example.com", "https://bsky.social", Secret("x-y-z-w"), True))
    path = connections_path()
    path.chmod(0o644)
    with pytest.raises(UsageError, match="chmod 600"):
        load_connections()


def test_secret_never_prints() -> None:
    secret = Secret(APP_PASSWORD)
    connection = Connection("bluesky", "a.example.com", "https://bsky.social", secret, True)
    assert APP_PASSWORD not in repr(connection) and APP_PASSWORD not in str(secret) + repr(secret)
    assert secret.reveal() == APP_PASSWORD


@pytest.mark.parametrize("text, seconds", [("15m", 900), ("1h30m", 5400), ("2d", 172800), ("90s", 90), ("600", 600)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["10s", "soon", "", "15x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


def test_run_every_keeps_the_rhythm_and_survives_a_failed_run() -> None:
    now = [0.0]
    slept: list[float] = []
    errors: list[str] = []
    durations = iter([10.0, 2000.0, 5.0])  # the second run overruns the 900 s interval

    def once() -> None:
        took = next(durations)
        now[0] += took
        if took == 5.0:
            raise SyncError("network down")

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    runs = run_every(900, once, sleep=sleep, clock=lambda: now[0], max_runs=3, on_error=lambda e: errors.append(str(e)))
    assert runs == 3
    assert slept == [890.0, 0.0]  # start to start; after an overrun the next run starts at once
    assert errors == ["network down"]


def test_run_every_stops_on_a_usage_error() -> None:
    def once() -> None:
        raise UsageError("no connected accounts")

    with pytest.raises(UsageError):
        run_every(900, once, sleep=lambda s: None, clock=lambda: 0.0, on_error=lambda e: None)
