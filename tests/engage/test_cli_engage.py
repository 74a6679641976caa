"""`tiescale reply` / `like` from the command line against the replay server (issue 19, points 3, 5, 6)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.engage.conftest import sync
from tests.sync.conftest import APP_PASSWORD
from tests.sync.replay import ReplayServer
from tests.sync.replay_write import FakeBluesky, fail_next
from tiescale.store.db import Store
from tiescale.surfaces.cli import main
from tiescale.sync.runner import RetryPolicy

FAY = "did:plc:fay6pq7rtz3udz5aw4bx2rgh"
FAY_POST = f"at://{FAY}/app.bsky.feed.post/3kffffffffr2a"


def test_reply_dry_run_send_snippet_and_like_from_the_cli(tmp_path: Path, server: ReplayServer, bsky: FakeBluesky,
                                                          policy: RetryPolicy, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "cli.duckdb"
    with Store(db) as store:
        sync(store, server, bsky, policy)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--db", str(db), *args])
        assert APP_PASSWORD not in result.output
        assert result.exit_code == 0, result.output
        return result.output

    dry = run("reply", f"bluesky:{FAY}", "Everyone is welcome, {first_name}!", "--dry-run")
    assert dry == ("dry run: nothing sent. This would be posted:\n"
                   f"bluesky:harbor.example.com: reply to {FAY_POST}:\nEveryone is welcome, Fay!\n")
    assert not bsky.records
    run("snippets", "add", "welcome", "Thanks {first_name}, see you Saturday!")
    sent = json.loads(run("reply", f"bluesky:{FAY}", "--snippet", "welcome", "--format", "json"))
    assert sent["status"] == "sent" and sent["text"] == "Thanks Fay, see you Saturday!"
    assert sent["url"].startswith(f"https://bsky.app/profile/{OWN}/post/")
    assert [p["text"] for p in bsky.posts()] == ["Thanks Fay, see you Saturday!"]
    again = run("reply", f"bluesky:{FAY}", "--snippet", "welcome")
    assert again.startswith("already sent earlier") and len(bsky.posts()) == 1
    liked = run("like", "at://did:plc:eve5np6qsz2tcy4zv3aw7qfg/app.bsky.feed.post/3keeeeeeeem2a")
    assert liked.startswith("liked on bluesky")
    # a rate limit is one line on stderr, exit 2, nothing recorded as sent
    fail_next(server, "POST", "/xrpc/com.atproto.repo.createRecord", status=429, headers={"Retry-After": "30"},
              body={"error": "RateLimitExceeded"})
    limited = runner.invoke(main, ["--db", str(db), "reply", f"bluesky:{FAY}", "Another one"])
    assert limited.exit_code == 2 and "try again in 30 s. Nothing was sent." in limited.output
    assert len([line for line in limited.output.splitlines() if line.strip()]) == 1
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM interactions WHERE text = 'Another one'") == 0
        rows = store.rows("SELECT * FROM engage_sends")
    assert APP_PASSWORD not in json.dumps(rows, default=str) + caplog.text
    assert APP_PASSWORD.encode() not in db.read_bytes()


OWN = "did:plc:hbrcf6ee7yzq2mxk4w3vt5ab"
