"""Small hand-made histories in the canonical events format, imported through the real importer."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

COLUMNS = ["ts", "account", "person", "direction", "kind", "platform", "id", "text", "in_reply_to", "thread"]
#: "Now" for every hand-made history: a midnight, so snapshots are scored on the fast path.
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(days_ago: float, hours: float = 0.0) -> datetime:
    return NOW - timedelta(days=days_ago, hours=hours)


def event(ts: datetime, person: str, direction: str, kind: str, id: str | None = None, text: str | None = None,
          in_reply_to: str | None = None, thread: str | None = None, platform: str = "x",
          account: str = "brand") -> dict[str, Any]:
    return {"ts": ts.isoformat(), "account": account, "person": person, "direction": direction, "kind": kind,
            "platform": platform, "id": id or "", "text": text or "", "in_reply_to": in_reply_to or "",
            "thread": thread or ""}


def ingest_events(store: Store, folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    path = folder / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    summary = ingest_path(store, path, fmt="events")
    assert summary.rejected == 0, summary.rejects


def exchange_weekly(person: str, first_days_ago: float, last_days_ago: float, platform: str = "x",
                    per_week: int = 2, account: str = "brand") -> list[dict[str, Any]]:
    """Two-way contact: ``per_week`` messages each way every week between the two dates."""
    rows, day, n = [], first_days_ago, 0
    while day >= last_days_ago:
        for k in range(per_week):
            ts = at(day - k * 3.0 / per_week, hours=-10)
            n += 1
            rows.append(event(ts, person, "in", "reply", f"{person}-in-{n}", "Lovely, thanks for the tip", platform=platform,
                              account=account, thread=f"{person}-t{n}"))
            rows.append(event(ts + timedelta(hours=1), person, "out", "reply", f"{person}-out-{n}", "Glad it helped",
                              in_reply_to=f"{person}-in-{n}", thread=f"{person}-t{n}", platform=platform,
                              account=account))
        day -= 7
    return rows
