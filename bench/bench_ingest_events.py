"""Benchmark: importing a canonical events file (CSV and Parquet) against DuckDB's own load time.

    python bench/bench_ingest_events.py [--rows 10000000] [--out bench/out] [--runs 2]

1. Generates N synthetic canonical events with DuckDB SQL (heavy-tailed people, a few own accounts,
   several platforms, realistic kinds / directions / texts, ~0.2% exact duplicate rows and a few
   unreadable rows), written as Parquet and CSV and cached in ``--out`` keyed by row count. An
   "overlap" file per format holds rows 10%..100% of the main file plus 10% new rows.
2. For each format, measures in a child process each (best of ``--runs``):
   - ``reference``: DuckDB alone, ``CREATE TABLE t AS SELECT * FROM read_...`` into a fresh file
     (run before each first and each overlapping import, so both see the same machine load);
   - ``first``: ``tiescale.ingest_path(store, file)`` into a fresh empty store;
   - ``reimport``: the same file again into the now-full store (content-hash short-circuit);
   - ``overlap``: the overlap file into (a copy of) the full store.
   Seconds cover the operation and closing the database (its checkpoint), not process start-up,
   imports or creating the empty store. Peak RSS is the child's ``ru_maxrss`` (``os.wait4``).
3. Prints a table and writes ``--out/ingest_events.json`` (results are kept per row count).

The input files sit in the page cache for every measurement (they were just written or read), so
the figures compare CPU and write work, not cold-disk reads.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR_VERSION = 2
#: The read_csv options tiescale's fast path uses (the reference reads the CSV the same way).
CSV_OPTIONS = (
    "header = true, all_varchar = true, ignore_errors = true, store_rejects = true, "
    "max_line_size = 16777216, null_padding = false"
)


# -- generation -----------------------------------------------------------------------------------
def _events_sql(start: int, stop: int, rows: int) -> str:
    """Rows ``start <= i < stop`` of the synthetic stream (row i is the same in every file).

    The person universe is sized from ``rows`` (the main file's length), so the overlap file's
    new rows draw from the same people.
    """
    people = max(1000, int(rows * 0.035))
    # hash(j, 'salt') mixes poorly (draws with different salts correlate); hash(j * 64 + k) does not.
    salts = ["plat", "acct", "kind", "dir", "ts", "off", "id", "txt", "rep", "thr", "bad", "person",
             "idnum", "txtnum", "repnum", "offpick"]

    def h(salt: str, var: str = "j") -> str:
        return f"hash({var} * 64 + {salts.index(salt) + 1})"

    def uni(salt: str) -> str:  # uniform [0, 1) from row j
        return f"(({h(salt)} >> 11)::DOUBLE / 9007199254740992.0)"

    return f"""
    WITH base AS (
        -- ~0.2% of rows repeat the row 1000 before them exactly (concatenated, overlapping exports)
        SELECT i, CASE WHEN i >= 1000 AND hash(i * 64) % 1000 < 2 THEN i - 1000 ELSE i END AS j
        FROM range({start}, {stop}) t(i)
    ), draws AS (
        SELECT i, j,
            {uni('plat')} AS u_plat, {uni('acct')} AS u_acct, {uni('kind')} AS u_kind, {uni('dir')} AS u_dir,
            {uni('ts')} AS u_ts, {uni('off')} AS u_off, {uni('id')} AS u_id, {uni('txt')} AS u_txt,
            {uni('rep')} AS u_rep, {uni('thr')} AS u_thr, {uni('bad')} AS u_bad,
            floor({people} * pow({uni('person')}, 4.0))::BIGINT AS pid,
            {h('idnum')} AS h_id, {h('txtnum')} AS h_txt, {h('repnum')} AS h_rep
        FROM base
    ), shaped AS (
        SELECT *,
            CASE WHEN u_plat < 0.45 THEN 'x' WHEN u_plat < 0.65 THEN 'mastodon' WHEN u_plat < 0.83 THEN 'bluesky'
                 WHEN u_plat < 0.93 THEN 'instagram' ELSE 'linkedin' END AS platform,
            CASE WHEN u_kind < 0.40 THEN 'like' WHEN u_kind < 0.62 THEN 'reply' WHEN u_kind < 0.77 THEN 'mention'
                 WHEN u_kind < 0.90 THEN 'repost' ELSE 'dm' END AS kind,
            [0, 0, 0, 60, 120, -300, -240, -420, -480, 330, 540, 600, -180][1 + ({h('offpick')} % 13)::INT]
                AS off_min,
            TIMESTAMP '2023-11-01 00:00:00' + to_microseconds((u_ts * 730 * 86400e6)::BIGINT) AS utc
        FROM draws
    ), valued AS (
        SELECT *,
            CASE platform
                WHEN 'x' THEN CASE WHEN u_acct < 0.7 THEN '@acme' ELSE '@acme_help' END
                WHEN 'mastodon' THEN '@acme@mastodon.social'
                WHEN 'bluesky' THEN 'acme.bsky.social'
                WHEN 'instagram' THEN CASE WHEN u_acct < 0.8 THEN 'acme' ELSE 'acme.studio' END
                ELSE 'acme-corp' END AS account,
            CASE platform
                WHEN 'x' THEN '@user' || pid
                WHEN 'mastodon' THEN '@user' || pid || '@' || ['mastodon.social', 'fosstodon.org', 'hachyderm.io',
                    'mstdn.social'][1 + (pid % 4)::INT]
                WHEN 'bluesky' THEN 'user' || pid || '.bsky.social'
                WHEN 'instagram' THEN 'user_' || pid
                ELSE 'urn:li:person:' || md5(pid::VARCHAR)[:12] END AS person,
            CASE kind WHEN 'like' THEN u_dir < 0.85 WHEN 'repost' THEN u_dir < 0.85 WHEN 'reply' THEN u_dir < 0.6
                      WHEN 'mention' THEN u_dir < 0.9 ELSE u_dir < 0.5 END AS inbound,
            CASE platform
                WHEN 'x' THEN (1600000000000000000 + h_id % 200000000000000000)::VARCHAR
                WHEN 'mastodon' THEN (110000000000000000 + h_id % 10000000000000000)::VARCHAR
                WHEN 'bluesky' THEN 'at://did:plc:' || md5(pid::VARCHAR)[:24] || '/app.bsky.feed.post/3k'
                    || md5(h_id::VARCHAR)[:11]
                WHEN 'instagram' THEN (17800000000000000 + h_id % 100000000000000)::VARCHAR
                ELSE 'urn:li:activity:' || (7000000000000000000 + h_id % 100000000000000000)::VARCHAR END AS item,
            [
                'Thanks for the quick reply!', 'Any update on my order?', 'Love the new release, great work.',
                'Is this available in Europe yet?', 'Hey, could you DM me the details?',
                'This is exactly what we needed, thank you', 'Not working for me since the update, any ideas?',
                'Congrats to the whole team 🎉', 'When is the next webinar?', 'Great thread, bookmarked.',
                'Can I get an invoice for last month?', 'We said "soon" and meant it, stay tuned',
                'Price, shipping and returns: where do I find them?', 'Following up on ticket',
                'Merci beaucoup, très utile !', 'Danke, das hilft sehr.', '¿Tienen soporte en español?',
                'Ok, that fixed it', 'Would love to collaborate, let''s talk', 'see you at the conference next week'
            ][1 + (h_txt % 20)::INT] AS phrase
        FROM shaped
    )
    SELECT
        CASE WHEN u_bad < 0.00002 THEN 'not a date'
             WHEN off_min = 0 AND u_off < 0.5 THEN strftime(utc, '%Y-%m-%dT%H:%M:%SZ')
             ELSE strftime(utc + to_minutes(off_min), '%Y-%m-%dT%H:%M:%S')
                  || CASE WHEN off_min < 0 THEN '-' ELSE '+' END
                  || lpad((abs(off_min) // 60)::VARCHAR, 2, '0') || ':' || lpad((abs(off_min) % 60)::VARCHAR, 2, '0')
        END AS ts,
        platform, account,
        CASE WHEN u_bad BETWEEN 0.00002 AND 0.00004 THEN '' ELSE person END AS person,
        CASE WHEN inbound THEN 'in' ELSE 'out' END AS direction,
        kind,
        CASE WHEN u_id < 0.95 THEN item END AS id,
        CASE WHEN kind IN ('reply', 'dm', 'mention') THEN
            CASE WHEN kind = 'dm' AND u_txt < 0.005 THEN phrase || chr(10) || 'Sent from my phone'
                 WHEN u_txt < 0.3 THEN phrase || ' #' || (h_txt % 10000)::VARCHAR
                 ELSE phrase END
        END AS text,
        CASE WHEN kind = 'reply' AND u_rep < 0.9 THEN
            (1600000000000000000 + h_rep % 200000000000000000)::VARCHAR END AS in_reply_to,
        CASE WHEN kind = 'dm' THEN 'conv-' || (pid % 100000)::VARCHAR
             WHEN kind = 'reply' AND u_thr < 0.5 THEN (1600000000000000000 + h_rep % 100000000000000)::VARCHAR
        END AS thread
    FROM valued
    """


def generate(out: Path, rows: int) -> dict[str, Path]:
    """The four input files, generated once per row count and cached."""
    import duckdb

    files = {
        "parquet": out / f"events_v{GENERATOR_VERSION}_{rows}.parquet",
        "csv": out / f"events_v{GENERATOR_VERSION}_{rows}.csv",
        "parquet_overlap": out / f"events_v{GENERATOR_VERSION}_{rows}_overlap.parquet",
        "csv_overlap": out / f"events_v{GENERATOR_VERSION}_{rows}_overlap.csv",
    }
    if all(p.exists() for p in files.values()):
        return files
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET temp_directory = '{out / 'gen.tmp'}'")
    ranges = {"": (0, rows), "_overlap": (rows // 10, rows + rows // 10)}
    for suffix, (start, stop) in ranges.items():
        sql = _events_sql(start, stop, rows)
        for kind, options in (("parquet", "FORMAT parquet"), ("csv", "FORMAT csv, HEADER true")):
            target = files[kind + suffix]
            if target.exists():
                continue
            started = time.perf_counter()
            partial = target.with_name(target.name + ".partial")
            con.execute(f"COPY ({sql}) TO '{partial}' ({options})")
            partial.rename(target)
            print(f"  generated {target.name}: {target.stat().st_size / 1e6:.0f} MB "
                  f"in {time.perf_counter() - started:.1f}s", flush=True)
    con.close()
    shutil.rmtree(out / "gen.tmp", ignore_errors=True)
    return files


# -- measurements (each in a child process) -------------------------------------------------------
def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(spec: dict) -> dict:
    """Runs in the child: one measurement, returned as a dict (printed as JSON)."""
    op, file, db = spec["op"], spec["file"], spec["db"]
    if op == "reference":
        import duckdb

        con = duckdb.connect(db)
        con.execute("SET enable_progress_bar = false")
        source = f"read_parquet('{file}')" if file.endswith(".parquet") else f"read_csv('{file}', {CSV_OPTIONS})"
        started, cpu = time.perf_counter(), _cpu()
        con.execute(f"CREATE TABLE t AS SELECT * FROM {source}")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu() - cpu, "rows": rows}
    import tiescale

    store = tiescale.Store(db)  # a fresh store is created (migrations) before the clock starts
    started, cpu = time.perf_counter(), _cpu()
    summary = tiescale.ingest_path(store, file)
    store.close()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds, "cpu_seconds": _cpu() - cpu, "status": summary.status, "rows_read": summary.rows_read,
        "new": summary.total_new, "duplicates": summary.duplicates, "rejected": summary.rejected,
        "new_people": summary.new_people, "first_reject": [[r.file, r.record, r.reason] for r in summary.rejects[:1]],
    }


def measure(spec: dict) -> dict:
    """Run one measurement in a fresh child; adds its peak RSS (MiB)."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps(spec)], stdout=subprocess.PIPE, cwd=ROOT,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"measurement {spec} failed with exit code {proc.returncode}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    return result


def summarise(results: list[dict]) -> dict:
    """Best (fastest) of several runs, with every run's seconds and the highest peak RSS."""
    best = dict(min(results, key=lambda r: r["seconds"]))
    best["all_seconds"] = [round(r["seconds"], 3) for r in results]
    best["min_cpu_seconds"] = min(r["cpu_seconds"] for r in results)
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
    return best


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def run_format(kind: str, files: dict[str, Path], work: Path, runs: int) -> dict:
    """Reference runs are interleaved with the imports so that both see the same machine load."""
    main, overlap = str(files[kind].resolve()), str(files[kind + "_overlap"].resolve())
    ref_db, store_db, scratch_db = work / f"ref_{kind}.duckdb", work / f"store_{kind}.duckdb", work / f"scratch_{kind}.duckdb"
    full = work / f"full_{kind}.duckdb"
    runs_of: dict[str, list[dict]] = {"reference": [], "first": [], "reimport": [], "overlap": []}

    def reference() -> None:
        _remove_db(ref_db)
        runs_of["reference"].append(measure({"op": "reference", "file": main, "db": str(ref_db)}))
        _remove_db(ref_db)

    for i in range(runs):
        print(f"[{kind}] run {i + 1}/{runs}: reference, first import", flush=True)
        reference()
        _remove_db(store_db)
        runs_of["first"].append(measure({"op": "ingest", "file": main, "db": str(store_db)}))
    shutil.copyfile(store_db, full)
    for i in range(runs):
        print(f"[{kind}] run {i + 1}/{runs}: re-import", flush=True)
        runs_of["reimport"].append(measure({"op": "ingest", "file": main, "db": str(store_db)}))
    for i in range(runs):
        print(f"[{kind}] run {i + 1}/{runs}: reference, overlapping import", flush=True)
        reference()
        _remove_db(scratch_db)
        shutil.copyfile(full, scratch_db)
        runs_of["overlap"].append(measure({"op": "ingest", "file": overlap, "db": str(scratch_db)}))
    out = {step: summarise(results) for step, results in runs_of.items()}
    out["store_mib"] = full.stat().st_size / 2**20
    for p in (store_db, scratch_db, full):
        _remove_db(p)
    return out


def report(rows: int, results: dict[str, dict]) -> list[str]:
    meta = results["_meta"]
    lines = [
        f"{rows:,} rows | DuckDB {meta['duckdb']} | {meta['cpus']} CPUs | best of {meta['runs']} "
        f"(reference: best of {2 * meta['runs']}, interleaved) | {meta['when']} | {meta['commit']}"
        + (f" | {meta['tag']}: {meta.get('tiescale')}" if meta.get('tag') else ""),
        f"{'format':8} {'step':10} {'seconds':>8} {'ratio':>6} {'rows/s':>11} {'cpu s':>7} {'cpu ratio':>9} "
        f"{'peak RSS MiB':>12}  note",
    ]
    for kind in ("parquet", "csv"):
        if kind not in results:
            continue
        r = results[kind]
        ref, ref_cpu = r["reference"]["seconds"], r["reference"]["min_cpu_seconds"]
        size = meta["files"][kind]["mb"]
        for step in ("reference", "first", "reimport", "overlap"):
            m = r[step]
            if step == "reference":
                note = f"{size:.0f} MB file"
            elif step in ("first", "overlap"):
                note = (f"new {m['new']:,}, dup {m['duplicates']:,}, rejected {m['rejected']:,}, "
                        f"new people {m['new_people']:,}")
            else:
                note = m["status"]
            lines.append(
                f"{kind:8} {step:10} {m['seconds']:8.2f} {m['seconds'] / ref:6.2f} {rows / m['seconds']:11,.0f} "
                f"{m['min_cpu_seconds']:7.2f} {m['min_cpu_seconds'] / ref_cpu:9.2f} {m['peak_rss_mib']:12,.0f}  {note}"
            )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--runs", type=int, default=2, help="best of this many runs per measurement")
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--tag", default="", help="stored under '<rows><tag>' in the JSON (e.g. '-before')")
    ap.add_argument("--show", action="store_true", help="print the saved table for --rows/--tag and exit")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return
    if args.show:
        saved = json.loads((args.out.resolve() / "ingest_events.json").read_text())
        print("\n".join(report(args.rows, saved[f"{args.rows}{args.tag}"])))
        return
    import duckdb

    out = args.out.resolve()
    print(f"generating / reusing {args.rows:,} rows in {out} ...", flush=True)
    files = generate(out, args.rows)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    results: dict[str, dict] = {"_meta": {
        "rows": args.rows, "duckdb": duckdb.__version__, "python": platform.python_version(),
        "cpus": os.cpu_count(), "runs": args.runs, "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else ""),
        "files": {k: {"path": str(p), "mb": round(p.stat().st_size / 1e6, 1)} for k, p in files.items()},
        "csv_reference_options": CSV_OPTIONS, "tag": args.tag,
        "tiescale": subprocess.run([sys.executable, "-c", "import tiescale; print(tiescale.__file__)"],
                                   capture_output=True, text=True).stdout.strip(),
    }}
    for kind in args.formats.split(","):
        results[kind] = run_format(kind, files, work, args.runs)
        results[kind]["when"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for kind in args.formats.split(","):
        ref = results[kind]["reference"]["seconds"]
        ref_cpu = results[kind]["reference"]["min_cpu_seconds"]
        for step in ("first", "reimport", "overlap"):
            results[kind][step]["ratio"] = results[kind][step]["seconds"] / ref
            results[kind][step]["cpu_ratio"] = results[kind][step]["min_cpu_seconds"] / ref_cpu
    lines = report(args.rows, results)
    print("\n".join(lines))
    path = out / "ingest_events.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    key = f"{args.rows}{args.tag}"
    if set(args.formats.split(",")) != {"parquet", "csv"} and key in saved:  # a partial run updates its formats
        results = {**saved[key], **results}
    saved[key] = results
    path.write_text(json.dumps(saved, indent=2, default=str) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
