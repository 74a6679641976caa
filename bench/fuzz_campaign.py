"""A fuzz campaign against every importer: mutants of real samples, each imported by the real CLI.

Seeds are the project's fixtures (tests/fixtures/<format>) and, when present, samples under
../shared/data/exports that tiescale recognises. Each mutant (truncation, byte flips, other
encodings, BOMs, huge lines and values, wide rows, deep nesting, zip tricks, markup in names and
paths, formula cells) is imported with ``tiescale ingest`` in its own process, into a copy of a
store that already holds one import, and the campaign records per mutant: exit code, whether a
Python traceback was printed, time, peak memory (the child's max RSS), and whether the store
changed. The goals (issue 18): 0 tracebacks, 0 runs over the time limit, peak memory under 1 GB,
0 store changes on exit 2, 0 silent zeros (exit 0 with nothing new and nothing rejected for a
mutant that changed the data).

    nice .venv/bin/python bench/fuzz_campaign.py --mutants 200 --seed 18 --out bench/out/fuzz.jsonl

prints a table per importer (Markdown) and writes one JSON line per mutant.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("TIESCALE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "exports"
TABLES = ("interactions", "people", "identities", "posts", "accounts", "follower_snapshots", "conversions",
          "imports", "import_rejects", "import_skipped")
#: Tables whose rows are what an import brings (the others are its log).
DATA_TABLES = TABLES[:7]
MiB = 1024 * 1024
CLI = [sys.executable, "-c", "from tiescale.surfaces.cli import main; main()"]


@dataclass
class Seed:
    importer: str
    path: Path  # a file or a folder


@dataclass
class Outcome:
    importer: str
    seed: str
    mutation: str
    exit_code: int | None  # None: killed at the time limit
    traceback: bool
    seconds: float
    peak_mb: float
    store_changed: bool
    new_rows: int  # rows added to the data tables (interactions, posts, people, accounts ...)
    rejected: int  # rejected and skipped rows logged
    input_mb: float
    last_error: str


# -- seeds -------------------------------------------------------------------------------------------
def fixture_seeds() -> list[Seed]:
    seeds = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for child in sorted(folder.iterdir()):
            if child.name.startswith(".") or child.suffix == ".py":
                continue
            seeds.append(Seed(folder.name, child))
    return seeds


def shared_seeds(limit_per_importer: int = 3) -> list[Seed]:
    """Samples of ../shared/data/exports that tiescale recognises (small ones: under 8 MB)."""
    if not SHARED.is_dir():
        return []
    from tiescale.sources import ExportFiles
    from tiescale.store.import_formats import detect_format

    found: dict[str, list[Seed]] = defaultdict(list)
    for path in sorted(SHARED.rglob("*")):
        if not path.is_file() or path.stat().st_size > 8 * MiB:
            continue
        try:
            with ExportFiles(path) as files:
                fmt = detect_format(files)
        except Exception:  # noqa: BLE001 - not a sample tiescale reads
            continue
        if fmt and len(found[fmt]) < limit_per_importer:
            found[fmt].append(Seed(fmt, path))
    return [seed for seeds in found.values() for seed in seeds]


# -- mutations ------------------------------------------------------------------------------------------
Mutation = Callable[[bytes, random.Random], bytes]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, max(len(data), 1))]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(max(1, len(out) // 200)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def utf16(data: bytes, rng: random.Random) -> bytes:
    return data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-32"]))


def latin1(data: bytes, rng: random.Random) -> bytes:
    return data.decode("utf-8", "replace").encode("latin-1", "replace")


def bom(data: bytes, rng: random.Random) -> bytes:
    return b"\xef\xbb\xbf" + data


def huge_line(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    at = rng.randrange(1, max(len(lines), 2))
    lines.insert(at, b"x" * rng.choice([64 * 1024, 2 * MiB, 20 * MiB]))
    return b"\n".join(lines)


def huge_value(data: bytes, rng: random.Random) -> bytes:
    """A long string where a quoted value starts (JSON or CSV)."""
    at = data.find(b'"', rng.randrange(0, max(len(data), 1)))
    if at < 0:
        at = data.find(b'"')
    if at < 0:
        return data + b"y" * (3 * MiB)
    return data[: at + 1] + b"y" * rng.choice([2 * MiB, 30 * MiB]) + data[at + 1:]


def wide_row(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    lines.insert(min(2, len(lines)), b"," * rng.choice([5_000, 30_000, 100_000]))
    return b"\n".join(lines)


def deep_nesting(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([1_000, 100_000])
    start = data.find(b"[")
    if start < 0:
        return b"[" * depth + b"]" * depth
    return data[:start] + b"[" * depth + data[start:] + b"]" * depth


def markup_text(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b'"name"', b'"name"', 1).replace(b"a", b"[/]a", 3).replace(b"e", b"[bold]e", 2)


def formula_cells(data: bytes, rng: random.Random) -> bytes:
    payload = rng.choice([b"=HYPERLINK(\\\"http://x\\\")", b"=cmd|' /C calc'!A0", b"+1+1", b"@SUM(A1)"])
    return data.replace(b',"', b',"' + payload, 3)


def empty(data: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"", b"   \n", b"null", b"[]", b"{}"])


BYTE_MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate, "flip_bytes": flip_bytes, "utf16_32": utf16, "latin1": latin1, "bom": bom,
    "huge_line": huge_line, "huge_value": huge_value, "wide_row": wide_row, "deep_nesting": deep_nesting,
    "markup": markup_text, "formula": formula_cells, "empty": empty,
}
CONTAINER_MUTATIONS = ("zip", "zip_damaged", "zip_traversal", "zip_bomb_members", "markup_path")


def _members(seed: Path) -> list[Path]:
    if seed.is_file():
        return [seed]
    return sorted(p for p in seed.rglob("*") if p.is_file())


def make_mutant(seed: Seed, mutation: str, rng: random.Random, work: Path) -> Path:
    """A mutated copy of the seed under ``work``; returns the path to import."""
    target = work / "input" / seed.path.name
    if seed.path.is_dir():
        shutil.copytree(seed.path, target)
    else:
        target.parent.mkdir(parents=True)
        shutil.copy(seed.path, target)
    if mutation in BYTE_MUTATIONS:
        victim = rng.choice(_members(target))
        victim.write_bytes(BYTE_MUTATIONS[mutation](victim.read_bytes(), rng))
        return target
    if mutation == "markup_path":
        odd = target.parent / "exp[" / ("]" + target.name)  # the path reads .../exp[/]name
        odd.parent.mkdir()
        target.rename(odd)
        return odd
    archive = work / "input.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for member in _members(target):
            name = member.relative_to(target).as_posix() if target.is_dir() else member.name
            if mutation == "zip_traversal":
                name = "../[/]" + name
            out.write(member, name)
        if mutation == "zip_bomb_members":
            for n in range(60):
                out.writestr(f"pad/{n}.bin", b"\0" * MiB)
    if mutation == "zip_damaged":
        data = bytearray(archive.read_bytes())
        eocd = data.rfind(b"PK\x05\x06")
        if eocd >= 0:
            offset = int.from_bytes(data[eocd + 16: eocd + 20], "little")
            data[eocd + 16: eocd + 20] = (offset + rng.choice([7, 4096])).to_bytes(4, "little")
        archive.write_bytes(bytes(data))
    return archive


# -- running --------------------------------------------------------------------------------------------
def base_store(work: Path) -> Path:
    """A store that already holds one import, so that any change to it shows."""
    db = work / "base.duckdb"
    events = work / "base.csv"
    events.write_text("ts,account,person,direction,kind,id,text\n"
                      "2024-01-01T00:00:00Z,brand,basefolk,in,reply,base-1,already here\n")
    subprocess.run([*CLI, "--db", str(db), "ingest", "--no-refresh", str(events)], check=True,
                   capture_output=True, env=_env())
    return db


def _env() -> dict[str, str]:
    env = dict(os.environ, TIESCALE_LOCK_WAIT="0", COLUMNS="200")
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _counts(db: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES if t in present}
    finally:
        con.close()


def run_one(path: Path, db: Path, time_limit: float) -> tuple[int | None, str, float, float]:
    """Import ``path``; (exit code or None when killed, stderr, seconds, peak MB of the child)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err_file:
        child = subprocess.Popen([*CLI, "--db", str(db), "ingest", "--no-refresh", str(path)],
                                 stdout=subprocess.DEVNULL, stderr=err_file, env=_env(), start_new_session=True)
        result: dict[str, object] = {}

        def wait() -> None:
            _, status, usage = os.wait4(child.pid, 0)
            result["status"], result["rss_kb"] = status, usage.ru_maxrss

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        waiter.join(time_limit)
        code: int | None
        if waiter.is_alive():
            os.killpg(child.pid, signal.SIGKILL)
            waiter.join()
            code = None
        else:
            code = os.waitstatus_to_exitcode(int(result["status"]))  # type: ignore[arg-type]
        child.returncode = code if code is not None else -9  # reaped by wait4 already
        err_file.seek(0)
        stderr = err_file.read().decode("utf-8", "replace")
    return code, stderr, time.perf_counter() - started, int(result.get("rss_kb", 0)) / 1024  # type: ignore[call-overload]


def campaign(mutants: int, seed: int, time_limit: float, use_shared: bool, work: Path) -> list[Outcome]:
    rng = random.Random(seed)
    seeds = fixture_seeds() + (shared_seeds() if use_shared else [])
    base = base_store(work)
    base_counts = _counts(base)
    names = [*BYTE_MUTATIONS, *CONTAINER_MUTATIONS]
    outcomes = []
    for n in range(mutants):
        chosen = seeds[n % len(seeds)] if n < len(seeds) else rng.choice(seeds)
        mutation = names[n % len(names)] if mutants >= len(names) else rng.choice(names)
        case = work / f"case{n}"
        case.mkdir()
        mutant = make_mutant(chosen, mutation, rng, case)
        db = case / "store.duckdb"
        shutil.copy(base, db)
        code, stderr, seconds, peak = run_one(mutant, db, time_limit)
        after = _counts(db) if db.exists() else {}
        size = sum(p.stat().st_size for p in _members(mutant)) if mutant.exists() else 0
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        outcomes.append(Outcome(
            importer=chosen.importer, seed=str(chosen.path.relative_to(chosen.path.parents[1])), mutation=mutation,
            exit_code=code, traceback="Traceback (most recent call last)" in stderr, seconds=round(seconds, 2),
            peak_mb=round(peak, 1), store_changed=after != base_counts,
            new_rows=sum(after.get(t, 0) - base_counts.get(t, 0) for t in DATA_TABLES),
            rejected=sum(after.get(t, 0) - base_counts.get(t, 0) for t in ("import_rejects", "import_skipped")),
            input_mb=round(size / MiB, 2), last_error=(lines[-1] if lines else "")[:200],
        ))
        shutil.rmtree(case, ignore_errors=True)
    return outcomes


def silent_zero(o: Outcome) -> bool:
    """Exit 0, nothing new and nothing rejected, from data that was changed (not an exact re-import)."""
    return o.exit_code == 0 and o.new_rows == 0 and o.rejected == 0 and o.mutation not in ("bom", "markup_path")


def summary(outcomes: list[Outcome], time_limit: float) -> str:
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[o.importer].append(o)
    head = ("| importer | mutants | exit 0 / 1 / 2 | tracebacks | over the limit | peak MB (max) "
            "| store changed on exit 2 | exit 0, nothing read |")
    rows = [head, "|" + "---|" * 8]
    for importer, group in sorted(by.items()):
        codes = Counter(o.exit_code for o in group)
        rows.append(
            f"| {importer} | {len(group)} | {codes[0]} / {codes[1]} / {codes[2]} "
            f"| {sum(o.traceback for o in group)} | {sum(o.exit_code is None for o in group)} "
            f"| {max(o.peak_mb for o in group):.0f} | {sum(o.store_changed and o.exit_code == 2 for o in group)} "
            f"| {sum(silent_zero(o) for o in group)} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=120)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per import before it counts as a hang")
    parser.add_argument("--no-shared", action="store_true", help="fixtures only, not ../shared/data/exports")
    parser.add_argument("--out", type=Path, default=None, help="one JSON line per mutant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tiescale-fuzz-") as tmp:
        outcomes = campaign(args.mutants, args.seed, args.time_limit, not args.no_shared, Path(tmp))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(asdict(o)) + "\n" for o in outcomes))
    print(summary(outcomes, args.time_limit))
    bad = [o for o in outcomes if o.traceback or o.exit_code is None or (o.store_changed and o.exit_code == 2)]
    for o in bad:
        print(f"- {o.importer} {o.seed} {o.mutation}: exit {o.exit_code}, {o.last_error}")


if __name__ == "__main__":
    main()
