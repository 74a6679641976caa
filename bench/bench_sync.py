"""Benchmark: a Bluesky sync (atproto client -> replay server on 127.0.0.1 -> ingest per page)
against importing the very same responses as one saved export file.

    nice python bench/bench_sync.py [--pages 20] [--per-page 100] [--out bench/out]

Generates ``pages x per-page`` notifications in the real ``listNotifications`` shape (from the
fixture recording, each with its own author, URI and time), served newest first with cursors.
Measures, in this process (best of ``--runs``):

- ``reference``: ``ingest_path`` of all the pages saved as one file (the export path, one transaction);
- ``page files``: ``ingest_path`` of each page saved as its own file (what a sync does, without HTTP);
- ``first sync``: ``sync_store`` into a fresh store: login, every page over HTTP, one import and
  cursor transaction per page;
- ``next sync``: the same again when nothing is new: one page, stopped at the high water.

Writes ``--out/sync.json``.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sync.replay import Exchange, ReplayServer, load_json_cassette  # noqa: E402
from tiescale.store.db import Store  # noqa: E402
from tiescale.store.ingest import ingest_path  # noqa: E402
from tiescale.sync.credentials import Connection, Secret  # noqa: E402
from tiescale.sync.runner import RetryPolicy, sync_store  # noqa: E402
import tiescale.sync.bluesky  # noqa: E402,F401  (imported here: its ~1 s import is not part of a sync)

OWN = "did:plc:hbrcf6ee7yzq2mxk4w3vt5ab"
PATH = "/xrpc/app.bsky.notification.listNotifications"


def make_pages(pages: int, per_page: int) -> list[dict]:
    recording = load_json_cassette(ROOT / "tests/fixtures/bluesky-xrpc/day1.json")
    template = next(e for e in recording if e.path == PATH and not e.query).body["notifications"][0]  # a reply
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    total = pages * per_page
    items = []
    for n in range(total, 0, -1):  # newest first
        item = copy.deepcopy(template)
        did = f"did:plc:bench{n % 997:05d}aaaaaaaaaaaaa"
        item["author"]["did"], item["author"]["handle"] = did, f"p{n % 997}.example.com"
        item["uri"] = f"at://{did}/app.bsky.feed.post/3kbench{n:08d}"
        when = (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        item["record"]["createdAt"], item["indexedAt"] = when, when
        item["record"]["text"] = f"Question number {n} about the beans"
        items.append(item)
    return [{"notifications": items[i:i + per_page],
             **({"cursor": f"c{i + per_page}"} if i + per_page < total else {})}
            for i in range(0, total, per_page)]


def exchanges(pages: list[dict]) -> list[Exchange]:
    session = next(e for e in load_json_cassette(ROOT / "tests/fixtures/bluesky-xrpc/day1.json")
                   if e.path.endswith("createSession"))
    session.times = 0
    found = [session, Exchange("GET", "/xrpc/app.bsky.feed.getAuthorFeed", body={"feed": []}, times=0),
             Exchange("GET", "/xrpc/chat.bsky.convo.listConvos", body={"convos": []}, times=0),
             Exchange("GET", "/xrpc/com.atproto.repo.listRecords", body={"records": []}, times=0)]
    for number, page in enumerate(pages):
        query = {"cursor": f"c{number * len(pages[0]['notifications'])}"} if number else {}
        found.append(Exchange("GET", PATH, query, body=page, times=0))
    return found


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    pages = make_pages(args.pages, args.per_page)
    work = Path(tempfile.mkdtemp(prefix="tiescale-bench-sync-"))
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    results: dict[str, list[float]] = {"reference": [], "page files": [], "first sync": [], "next sync": []}
    counts = {}
    try:
        export = work / "notifications.json"
        export.write_text(json.dumps(pages))
        page_files = []
        for number, page in enumerate(pages):
            page_files.append(work / f"page-{number:04d}.json")
            page_files[-1].write_text(json.dumps(page))
        with ReplayServer(exchanges(pages)) as server:
            connection = Connection("bluesky", "harbor.example.com", server.url, Secret("bench-pass"), True)
            for run in range(args.runs):
                with Store(work / f"ref{run}.duckdb") as store:
                    results["reference"].append(timed(lambda: ingest_path(store, export, fmt="bluesky", account=OWN)))
                    counts["reference"] = store.con.execute("SELECT count(*) FROM interactions").fetchone()[0]
                with Store(work / f"pages{run}.duckdb") as store:
                    results["page files"].append(timed(lambda: [ingest_path(store, f, fmt="bluesky", account=OWN)
                                                               for f in page_files]))
                with Store(work / f"sync{run}.duckdb") as store:
                    policy = RetryPolicy(sleep=lambda s: None)
                    results["first sync"].append(timed(lambda: sync_store(store, connections=[connection],
                                                                          policy=policy)))  # noqa: B023 (called at once)
                    counts["first sync"] = store.con.execute("SELECT count(*) FROM interactions").fetchone()[0]
                    server.seen.clear()
                    results["next sync"].append(timed(lambda: sync_store(store, connections=[connection],
                                                                         policy=policy)))  # noqa: B023 (called at once)
                    counts["next sync requests"] = len(server.requests_to(PATH))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {k: min(v) for k, v in results.items()}
    total = args.pages * args.per_page
    print(f"{total:,} notifications in {args.pages} pages of {args.per_page} (best of {args.runs})")
    for name, seconds in best.items():
        print(f"  {name:<11} {seconds:7.2f} s")
    print(f"  interactions: reference {counts['reference']:,}, sync {counts['first sync']:,}; "
          f"next sync asked {counts['next sync requests']} page(s)")
    assert counts["reference"] == counts["first sync"] == total
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sync.json").write_text(json.dumps({
        "pages": args.pages, "per_page": args.per_page, "seconds": best, "counts": counts,
        "measured_at": datetime.now(timezone.utc).isoformat()}, indent=1))


if __name__ == "__main__":
    main()
