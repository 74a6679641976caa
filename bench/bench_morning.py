"""Benchmark: the morning loop, end to end, as a user runs it (issue 15's figures).

    nice python bench/bench_morning.py [--rows 1000000] [--shape heavy|concentrated] [--out bench/out]

Every step is the real CLI in a process of its own (wall time), on a store built from scratch:
1. full build: `tiescale ingest EVENTS` (score, answer index, queue, content, revenue, everything
   derived, refreshed before it returns), from an empty store;
2. one more day: `tiescale ingest DAY` (it refreshes everything derived before it returns): its
   share of the full build (target: at most 10%, aim 5%); a `tiescale refresh` after each is timed
   apart and must find nothing to do;
3. right after that, the first run of every CLI insight command (people, person, queue, content,
   revenue, vanity, responsiveness), then 5 more (p95; each includes the interpreter's start, shown
   as `tiescale --help`), and the first request of every dashboard page over loopback, then 10 more
   (target: first p95 at most 1 s, repeated at most 300 ms);
4. a year of daily `tiescale score --as-of` on the unchanged store: the file's growth (target: at
   most 5%);
5. reference, same run: one hand-written DuckDB GROUP BY of the same events per (account, platform,
   person) (counts, weights, first/last contact, distinct days) over the same Parquet file.

Shapes: ``heavy`` is bench_ingest_events' synthetic stream (people ~3.5% of rows, heavy-tailed, 7
accounts, two years); ``concentrated`` draws people from a Zipf(1.6) law over 50 accounts and two
years, so a few people talk a lot and there are few connections per event (10M events: ~120k
connections). Prints a table; writes --out/morning_<shape>_<rows>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_ingest_events import _events_sql  # noqa: E402

CLI = [sys.executable, "-m", "tiescale.surfaces.cli"]
PAGES = ["/", "/people", "/people?tier=close", "/queue", "/content", "/revenue", "/api/overview", "/api/people"]


def concentrated_sql(rows: int) -> str:
    """Zipf(1.6) people over 50 accounts on 5 platforms, two years; ids unique, a third with text."""
    return f"""
    WITH d AS (
        SELECT i,
            ((hash(i * 8 + 1) >> 11)::DOUBLE / 9007199254740992.0) AS u_person,
            ((hash(i * 8 + 2) >> 11)::DOUBLE / 9007199254740992.0) AS u_acct,
            ((hash(i * 8 + 3) >> 11)::DOUBLE / 9007199254740992.0) AS u_kind,
            ((hash(i * 8 + 4) >> 11)::DOUBLE / 9007199254740992.0) AS u_dir,
            ((hash(i * 8 + 5) >> 11)::DOUBLE / 9007199254740992.0) AS u_ts
        FROM range({rows}) t(i)
    ), s AS (
        SELECT *, least(floor(pow(1.0 - u_person, -1.0 / 0.6)), 5000000)::BIGINT AS pid,
               floor(u_acct * 50)::INT AS acct,
               CASE WHEN u_kind < 0.35 THEN 'like' WHEN u_kind < 0.6 THEN 'reply' WHEN u_kind < 0.75 THEN 'mention'
                    WHEN u_kind < 0.88 THEN 'repost' ELSE 'dm' END AS kind
        FROM d
    )
    SELECT strftime(TIMESTAMP '2023-11-01' + to_microseconds((u_ts * 730 * 86400e6)::BIGINT),
                    '%Y-%m-%dT%H:%M:%SZ') AS ts,
           ['x', 'mastodon', 'bluesky', 'instagram', 'linkedin'][1 + acct % 5] AS platform,
           'brand' || acct AS account, 'user' || pid AS person,
           CASE WHEN u_dir < 0.7 THEN 'in' ELSE 'out' END AS direction, kind,
           'c' || i AS id,
           CASE WHEN kind IN ('reply', 'dm', 'mention') AND u_dir < 0.9 THEN
               ['Thanks!', 'Any update on my order?', 'Love it, great work', 'When is the next drop?',
                'Not working since the update', 'See you next week'][1 + (hash(i * 8 + 6) % 6)::INT] END AS text
    FROM s"""


def generate(out: Path, rows: int, shape: str) -> tuple[Path, Path]:
    """The main events file and one more day after its end (both Parquet, cached)."""
    import duckdb

    main = out / f"morning_{shape}_{rows}.parquet"
    day = out / f"morning_{shape}_{rows}_day.parquet"
    if main.exists() and day.exists():
        return main, day
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    sql = concentrated_sql(rows) if shape == "concentrated" else _events_sql(0, rows, rows)
    con.execute(f"CREATE TABLE ev AS {sql}")
    # one more day: a day's worth of rows (rows / 730), dated the day after the last one, new ids
    per_day = max(100, rows // 730)
    con.execute(f"""COPY (SELECT * REPLACE (strftime(TIMESTAMP '2025-11-01' + to_microseconds(
                            (((hash(rowid) >> 11)::DOUBLE / 9007199254740992.0) * 86400e6)::BIGINT),
                            '%Y-%m-%dT%H:%M:%SZ') AS ts, 'day-' || rowid AS id)
                          FROM ev USING SAMPLE {per_day} ROWS (reservoir, 7))
                    TO '{day}' (FORMAT parquet)""")
    con.execute(f"COPY (SELECT * FROM ev WHERE ts < '2025-11-01') TO '{main}' (FORMAT parquet)")
    con.close()
    return main, day


def run(db: Path, *args: str, check: bool = True) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run([*CLI, "--db", str(db), *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if check and proc.returncode not in (0, 1):
        raise SystemExit(f"tiescale {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return seconds, proc.stdout


def reference(parquet: Path) -> float:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(f"""
        SELECT account, platform, person, count(*) AS n, count(*) FILTER (WHERE direction = 'in') AS n_in,
               sum(CASE kind WHEN 'dm' THEN 3 WHEN 'reply' THEN 2.5 ELSE 1 END) AS weight,
               min(ts) AS first_contact, max(ts) AS last_contact, count(DISTINCT ts[:10]) AS days
        FROM read_parquet('{parquet}') GROUP BY ALL""").fetchall()
    return time.perf_counter() - started


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def cli_reads(db: Path, person: str) -> dict[str, dict[str, float]]:
    commands = {
        "people": ["people", "--limit", "20", "--format", "json"],
        "person": ["person", person],
        "queue": ["queue", "--format", "json"],
        "content": ["content", "--format", "json"],
        "revenue": ["revenue", "--format", "json"],
        "vanity": ["vanity", "--format", "json"],
        "responsiveness": ["responsiveness", "--format", "json"],
    }
    found = {"--help (interpreter and imports)": {"first": run(db, "--help")[0]}}
    for name, args in commands.items():
        first = run(db, *args)[0]
        again = [run(db, *args)[0] for _ in range(5)]
        found[name] = {"first": first, "p95": p95(again)}
    return found


def page_reads(db: Path) -> dict[str, dict[str, float]]:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*CLI, "--db", str(db), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found: dict[str, dict[str, float]] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 600
        while True:  # the server's readiness, not a fixed sleep
            try:
                if httpx.get(base + "/api/ready", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the dashboard did not come up")
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=600) as client:
            for page in PAGES:
                started = time.perf_counter()
                client.get(page).raise_for_status()
                first = time.perf_counter() - started
                again = []
                for _ in range(10):
                    t = time.perf_counter()
                    client.get(page).raise_for_status()
                    again.append(time.perf_counter() - t)
                found[page] = {"first": first, "p95": p95(again), "p50": statistics.median(again)}
    finally:
        server.terminate()
        server.wait(timeout=60)
    return found


def size_of(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("CHECKPOINT")
    con.close()
    return db.stat().st_size + (db.with_name(db.name + ".wal").stat().st_size
                                if db.with_name(db.name + ".wal").exists() else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=("heavy", "concentrated"), default="heavy")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--year-days", type=int, default=365, help="daily scores of the unchanged store")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TIESCALE_LOCK_WAIT", "600")
    events, day = generate(args.out, args.rows, args.shape)
    db = args.out / f"morning_{args.shape}_{args.rows}.duckdb"
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)
    result: dict[str, object] = {"rows": args.rows, "shape": args.shape}

    ref = min(reference(events) for _ in range(2))
    # `ingest` refreshes everything derived before it returns (the user's one command); the
    # `refresh` after it is timed apart, as the check that it finds nothing left to do
    t_ingest = run(db, "ingest", str(events))[0]
    t_refresh = run(db, "refresh")[0]
    full = t_ingest
    t_day_ingest = run(db, "ingest", str(day))[0]
    t_day_refresh, refreshed = run(db, "refresh")
    if "up to date" not in refreshed:
        raise SystemExit(f"the refresh after `ingest DAY` still had work: {refreshed.strip()}")
    one_day = t_day_ingest
    _, listed = run(db, "people", "--limit", "1", "--format", "json")
    person = json.loads(listed)[0]["platform"] + ":" + json.loads(listed)[0]["person"]
    reads = cli_reads(db, person)
    pages = page_reads(db)
    before = size_of(db)
    shutil.copy(db, db.with_name(db.name + ".year"))
    year_db = db.with_name(db.name + ".year")
    import datetime as dt

    start = dt.date(2025, 11, 3)
    started = time.perf_counter()
    for k in range(args.year_days):
        run(year_db, "score", "--as-of", (start + dt.timedelta(days=k)).isoformat())
    year_seconds = time.perf_counter() - started
    after = size_of(year_db)
    year_db.unlink()

    result.update(reference_group_by_s=ref, full_build_s=full, full_ingest_s=t_ingest, full_refresh_s=t_refresh,
                  one_day_s=one_day, one_day_ingest_s=t_day_ingest, one_day_refresh_s=t_day_refresh,
                  one_day_share=one_day / full, cli=reads, pages=pages, size_before=before, size_after_year=after,
                  year_growth=(after - before) / before, year_days=args.year_days, year_seconds=year_seconds)
    (args.out / f"morning_{args.shape}_{args.rows}.json").write_text(json.dumps(result, indent=2))
    print(f"\n{args.rows:,} events ({args.shape}); reference GROUP BY {ref:.2f} s")
    print(f"  full build (`ingest`, everything derived included)  {full:.1f} s"
          f"; the `refresh` after it: {t_refresh:.2f} s")
    print(f"  one more day (`ingest DAY`)  {one_day:.1f} s = {100 * one_day / full:.1f}% of the full build"
          f"; the `refresh` after it found everything fresh in {t_day_refresh:.2f} s")
    for name, figures in reads.items():
        print(f"  cli {name:34} first {figures['first'] * 1000:7.0f} ms"
              + (f"   p95 {figures['p95'] * 1000:7.0f} ms" if "p95" in figures else ""))
    for page, figures in pages.items():
        print(f"  page {page:33} first {figures['first'] * 1000:7.0f} ms   p95 {figures['p95'] * 1000:7.0f} ms")
    print(f"  {args.year_days} daily scores of the unchanged store: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB"
          f" ({100 * (after - before) / before:+.1f}%), {year_seconds:.0f} s")


if __name__ == "__main__":
    main()
