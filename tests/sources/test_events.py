"""The canonical events parser, alone: no store (the fast path is tests/store/test_fast_path.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import FIXTURES
from tests.sources._util import parsed, record_counts
from tiescale.records import Interaction
from tiescale.sources import events


def test_the_parser_alone_reads_the_fixture() -> None:
    records = parsed(events, FIXTURES / "events" / "sample.jsonl")
    assert record_counts(records) == {"comment/in": 1, "reply/out": 1}
    # line 2: {"ts": "2024-05-04T12:00:00Z", ..., "id": "yt-2", "text": "Thanks Ola", "in_reply_to": "yt-1"}
    reply = records[1]
    assert isinstance(reply, Interaction)
    assert (reply.platform, reply.account, reply.person, reply.direction, reply.kind) == (
        "youtube", "fernhill", "ola", "out", "reply")
    assert (reply.id, reply.text, reply.in_reply_to) == ("yt-2", "Thanks Ola", "yt-1")
    assert reply.ts == datetime(2024, 5, 4, 12, 0, tzinfo=timezone.utc)
