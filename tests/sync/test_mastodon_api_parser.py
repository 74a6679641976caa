"""The saved Mastodon API page format: detection, and what cannot be read is counted, not dropped."""
from __future__ import annotations

import json
from pathlib import Path

from tests.sync.conftest import MASTODON
from tiescale.sources import ExportFiles
from tiescale.store.import_formats import detect_format as detect
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path


def _recorded(suffix: str) -> list[dict]:
    data = json.loads((MASTODON / "day1.json").read_text())
    return [item for i in data["interactions"] if i["request"]["uri"].split("?")[0].endswith(suffix)
            for item in i["response"]["body"]]


def _page(path: Path, endpoint: str, items: list[dict]) -> Path:
    account = json.loads((MASTODON / "day1.json").read_text())["interactions"][0]["response"]["body"]
    path.write_text(json.dumps({"tiescale": "mastodon-api", "endpoint": endpoint, "instance": "https://coast.example",
                                "account": account, "fetched_at": "2024-03-12T18:00:00Z", "items": items}))
    return path


def test_detected_and_unreadable_items_are_rejected_with_a_reason(tmp_path: Path, store: Store) -> None:
    notifications = _recorded("/notifications")
    odd = dict(notifications[0], type="something_new", id="99")
    favourite = next(n for n in notifications if n["type"] == "favourite")
    no_status = {k: v for k, v in favourite.items() if k != "status"}
    path = _page(tmp_path / "page.json", "notifications", [*notifications, odd, no_status])
    with ExportFiles(path) as files:
        assert detect(files) == "mastodon-api"
    summary = ingest_path(store, path)
    assert summary.format == "mastodon-api"
    assert summary.rejected == 2
    reasons = sorted(r.reason for r in summary.rejects)
    assert reasons == ["a favourite without its status", "unknown notification type 'something_new'"]
    touchpoints = [n for n in notifications if n["type"] != "poll"]
    assert summary.total_new == len(touchpoints)


def test_a_reply_whose_target_is_unknown_is_reported(tmp_path: Path, store: Store) -> None:
    reply = next(s for s in _recorded("/statuses")
                 if s["in_reply_to_account_id"] not in (None, "1") and s["visibility"] == "public")
    lost = dict(reply, id="2000", uri="https://coast.example/users/harbor/statuses/2000", mentions=[])
    summary = ingest_path(store, _page(tmp_path / "statuses.json", "statuses", [lost]))
    assert summary.new_posts == 1 and summary.rejected == 1
    assert summary.rejects[0].reason == "cannot tell whom the reply answers"
