"""Benchmark: dashboard page latency with 1M people and 10M events, over loopback.

    nice python bench/bench_web.py [--people 1000000] [--events 10000000] [--requests 40] [--out bench/out]

1. Builds (once, cached in --out) a store of synthetic canonical events: --events rows, --people
   distinct people (half the events spread evenly over everyone, half heavy-tailed over the most
   active 5%), three brand accounts on three platforms over one year, text on a third of the rows;
   imported with ``ingest_path`` and scored twice (a month before the end, and at the end) so that
   the score change has something to compare.
2. Starts ``tiescale serve`` (a real uvicorn process) on a free loopback port.
3. For each page: the first request (cold: nothing cached, includes any index the capabilities
   build on first use), then --requests sequential requests with httpx: p50 / p95 / max.
   Reference measured in the same run: ``GET /static/app.css`` (the server's floor, no store work).
Writes --out/web.json and prints a table.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def events_sql(events: int, people: int) -> str:
    """Person n talks on one platform (n % 3) with that platform's brand account: ``people`` distinct people."""
    heavy = max(1000, people // 20)
    return f"""
    WITH draws AS (
        SELECT i, CASE WHEN i % 2 = 0 THEN i // 2 % {people}
                       ELSE floor({heavy} * pow((hash(i * 7 + 3) >> 11)::DOUBLE / 9007199254740992.0, 3))::BIGINT
                  END AS n
        FROM range({events}) t(i))
    SELECT strftime(TIMESTAMP '2025-11-01' + to_seconds((hash(i * 7 + 1) % 31536000)::BIGINT), '%Y-%m-%dT%H:%M:%SZ') AS ts,
           ['brand_x', 'brand_masto@social.example', 'brand.bsky.social'][1 + (n % 3)::INT] AS account,
           'u' || n AS person,
           CASE WHEN hash(i * 7 + 4) % 3 = 0 THEN 'out' ELSE 'in' END AS direction,
           ['reply', 'like', 'mention', 'dm', 'repost', 'comment'][1 + (hash(i * 7 + 5) % 6)::INT] AS kind,
           ['x', 'mastodon', 'bluesky'][1 + (n % 3)::INT] AS platform,
           'e' || i AS id,
           CASE WHEN i % 3 = 0 THEN 'message number ' || i || ', thanks for the coffee tips!' END AS text
    FROM draws"""


def build_store(out: Path, events: int, people: int) -> Path:
    db = out / f"web_store_{people}_{events}.duckdb"
    if db.exists():
        return db
    import duckdb

    from tiescale import Store, ingest_path
    from tiescale.scoring.run import resolve_as_of, score_store

    parquet = out / f"web_events_{people}_{events}.parquet"
    if not parquet.exists():
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.execute(f"COPY ({events_sql(events, people)}) TO '{parquet}' (FORMAT parquet)")
        con.close()
    partial = db.with_name(db.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    with Store(partial) as store:
        ingest_path(store, parquet)
        print(f"  imported {events:,} events in {time.perf_counter() - started:.0f}s", flush=True)
        end = resolve_as_of(None, store)
        from datetime import timedelta

        score_store(store, end - timedelta(days=30))
        score_store(store, end)
        print(f"  scored twice, {time.perf_counter() - started:.0f}s in all", flush=True)
        prepare_capabilities(store)
    partial.rename(db)
    return db


def prepare_capabilities(store) -> None:
    """What `tiescale queue` does on first use (answer index, monthly snapshots), timed on its own."""
    try:
        from tiescale.insights.queue import build_queue
    except ImportError:
        return
    started = time.perf_counter()
    build_queue(store, limit=10)
    print(f"  first queue (answer index and monthly snapshots) in {time.perf_counter() - started:.0f}s", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(client, url: str, n: int) -> dict:
    started = time.perf_counter()
    first = client.get(url)
    cold = time.perf_counter() - started
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    times.sort()
    return {"url": url, "status": first.status_code, "first_ms": cold * 1000, "p50_ms": statistics.median(times) * 1000,
            "p95_ms": times[max(0, int(round(0.95 * len(times))) - 1)] * 1000, "max_ms": times[-1] * 1000,
            "bytes": len(first.content)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--db", type=Path, default=None, help="measure this store instead of building one")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.db or build_store(args.out, args.events, args.people)
    if args.build_only:
        return
    import duckdb
    import httpx

    con = duckdb.connect(str(db), read_only=True)
    people = con.execute("SELECT count(*) FROM people").fetchall()[0][0]
    interactions = con.execute("SELECT count(*) FROM interactions").fetchall()[0][0]
    top_id = con.execute("SELECT person_id FROM person_scores WHERE as_of = (SELECT max(as_of) FROM score_runs) "
                         "ORDER BY score DESC LIMIT 1").fetchall()[0][0]
    median_id = con.execute("SELECT person_id FROM person_scores WHERE as_of = (SELECT max(as_of) FROM score_runs) "
                            "ORDER BY score LIMIT 1 OFFSET (SELECT count(*) // 2 FROM person_scores "
                            "WHERE as_of = (SELECT max(as_of) FROM score_runs))").fetchall()[0][0]
    con.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tiescale.surfaces.cli", "--db", str(db), "serve", "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            deadline = time.monotonic() + 900
            while True:
                try:
                    if client.get("/static/app.css").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start: " + (server.stdout.read() if server.poll() else ""))
                time.sleep(0.5)
            urls = ["/static/app.css", "/", "/people", "/people?q=u12345", "/people?tier=close",
                    "/people?sort=change", "/people?sort=last_contact", "/people?account=brand_x&platform=x",
                    "/people?page=2000", f"/people/{top_id}", f"/people/{median_id}", "/queue", "/content",
                    "/revenue", "/api/people?per_page=50", "/api/overview"]
            for url in urls:
                result = measure(client, url, args.requests)
                results.append(result)
                print(f"  {url:<42} first {result['first_ms']:8.0f} ms   p50 {result['p50_ms']:6.1f} ms   "
                      f"p95 {result['p95_ms']:6.1f} ms   max {result['max_ms']:6.1f} ms", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = {"people": people, "interactions": interactions, "requests_per_page": args.requests,
              "cpus": os.cpu_count(), "pages": results}
    (args.out / "web.json").write_text(json.dumps(report, indent=1))
    worst = max(r["p95_ms"] for r in results)
    print(f"\n{people:,} people, {interactions:,} events: worst p95 {worst:.0f} ms over {len(results)} URLs")


if __name__ == "__main__":
    main()
