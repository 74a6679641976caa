"""The ``tiescale`` command line: parse arguments, call the Python API, render with Rich.

Errors are typed exceptions turned into one clear line on stderr and an exit code:
0 all read, 1 some rows rejected (reported), 2 nothing imported (usage or format error).
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..insights.imports_log import import_log, import_rows
from ..records import TiescaleError
from ..results import Records
from ..scoring.config import TIER_NAMES
from ..store.import_formats import IMPORT_FORMATS
from ..store import identity
from ..store.ingest import ImportSummary, ingest_path
from .commands import content as content_commands
from .commands import engage as engage_commands
from .commands import nurture as nurture_commands
from .commands import revenue as revenue_commands
from .commands import sync as sync_commands
from .commands import web as web_commands
from .render import OUTPUT_FORMATS, render_rows
from .terminal import err, escape, fail, format_option, limit_option, open_store, out, refresh_after_write, writing_store


class TiescaleGroup(click.Group):
    """Turns every tiescale error into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TiescaleError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted; the store is as it was before the interrupted step", 130)


@click.group(cls=TiescaleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The store (default ./tiescale.duckdb, or $TIESCALE_DB).")
@click.version_option(package_name="tiescale")
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """tiescale: the strength of your relationships, from your own social data."""
    ctx.obj = {"db": db}


# -- ingest ----------------------------------------------------------------------------------------
@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(IMPORT_FORMATS)), default=None, help="Detected when omitted.")
@click.option("--account", default=None, help="The own account's handle, when the export does not say it.")
@click.option("--strict", is_flag=True, help="Abort on the first unreadable row; nothing is imported.")
@click.option("--date-order", "date_order", type=click.Choice(["day-first", "month-first"]), default=None,
              help="For exports whose dates read either way (a WhatsApp chat with no day above 12).")
@click.option("--no-refresh", "no_refresh", is_flag=True,
              help="Import only: leave scores, the queue and reports for one `tiescale refresh` after a batch.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], fmt: str | None, account: str | None, strict: bool,
           date_order: str | None, no_refresh: bool) -> None:
    """Import exports and event files. Each file lands whole or not at all; then scores, the queue
    and reports are brought up to date (unless --no-refresh)."""
    summaries: list[ImportSummary] = []
    failed = 0
    with writing_store(ctx, refresh=False) as store, _progress() as progress:
        overall = progress.add_task("importing", total=len(paths))
        for path in paths:
            progress.update(overall, description=f"importing {path.name}")
            try:
                summary = ingest_path(
                    store, path, fmt=fmt, account=account, strict=strict, date_order=date_order,
                    on_progress=_progress_reporter(progress, overall, path.name),
                )
            except TiescaleError as exc:
                failed += 1
                err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
                progress.advance(overall)
                continue
            summaries.append(summary)
            progress.advance(overall)
        progress.stop()
        if not no_refresh and any(s.status != "unchanged" for s in summaries):
            refresh_after_write(store)  # the import is committed: a failure here leaves it in place
    for summary in summaries:
        _print_summary(summary)
    if failed and not summaries:
        sys.exit(2)
    if failed or any(s.rejected for s in summaries):
        sys.exit(1)


def _progress_reporter(progress: Progress, task: Any, name: str) -> Callable[[int], None]:
    """Shows how many records of file ``name`` were read so far."""
    def report(n: int) -> None:
        progress.update(task, description=f"importing {name}: {n:,} records")
    return report


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )


def _print_summary(s: ImportSummary) -> None:
    if s.status == "unchanged":
        out.print(f"[bold]{escape(s.path)}[/] ({s.format}): already imported, nothing new.")
        return
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(s.new_interactions.items(), key=lambda kv: -kv[1])) or "none"
    span = f"{s.first_ts:%Y-%m-%d} .. {s.last_ts:%Y-%m-%d}" if s.first_ts and s.last_ts else "no dated events"
    out.print(f"[bold]{escape(s.path)}[/] ({s.format}) in {s.seconds:.1f}s")
    out.print(f"  rows read {s.rows_read:,}; new interactions {s.total_new:,} ({kinds})")
    out.print(f"  new people {s.new_people:,}; updated people {s.updated_people:,}; own posts {s.new_posts:,}; "
              f"duplicates skipped {s.duplicates:,}; time span {span}")
    _print_rows(f"[yellow]rows rejected {s.rejected:,}[/]:", s.rejected, s.rejects, 20,
                "all in the import log: `tiescale imports --rejects`")
    _print_rows(f"rows skipped {s.skipped:,} (read fine; the export does not say who they involve):", s.skipped,
                s.skips, 5, "`tiescale imports --skipped`")


def _print_rows(heading: str, count: int, rows: list[Any], shown: int, where_all: str) -> None:
    """Rejected or skipped rows of an import: the first ``shown``, and where to find the rest."""
    if not count:
        return
    out.print(f"  {heading}")
    for r in rows[:shown]:
        out.print(f"    {r.file}, {r.record}: {r.reason}", soft_wrap=True, markup=False)
    if count > shown:
        out.print(f"    ... and {count - shown:,} more ({where_all})")


@main.command()
@click.option("--rejects", is_flag=True, help="List rejected rows instead of imports.")
@click.option("--skipped", is_flag=True, help="List skipped rows (read, left out: nobody to attribute them to).")
@format_option
@limit_option
@click.pass_context
def imports(ctx: click.Context, rejects: bool, skipped: bool, fmt: str, limit: int) -> None:
    """The import log: every file imported, with its counts; or the rows rejected, or skipped."""
    with open_store(ctx, read_only=True) as store:
        if rejects or skipped:
            entries: Records[Any] = import_rows(store, "rejected" if rejects else "skipped", limit)
        else:
            entries = import_log(store, limit)
    title = "Rejected rows" if rejects else "Skipped rows" if skipped else "Imports"
    render_rows(entries.to_dicts(), entries.columns or [], fmt, title=title)


# -- identities ------------------------------------------------------------------------------------
@main.command()
@click.argument("into", required=False)
@click.argument("other", required=False)
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@format_option
@limit_option
@click.pass_context
def merge(ctx: click.Context, into: str | None, other: str | None, min_confidence: float, fmt: str, limit: int) -> None:
    """Merge OTHER into INTO (one human, several handles); with no arguments, list suggestions."""
    with open_store(ctx) as store:
        if into and other:
            merge_id = identity.merge_people(store.con, into, other)
            refresh_after_write(store)
            out.print(f"merged {other} into {into} (merge:{merge_id}; undo with `tiescale unmerge merge:{merge_id}`)")
            return
        if into or other:
            raise click.UsageError("merge takes two people, INTO and OTHER, or none to list suggestions")
        suggestions = identity.suggest_merges(store.con, min_confidence, limit or 1_000_000)
    rows = [
        {"person": s.into_label, "other": s.from_label, "confidence": s.confidence, "reason": s.reason,
         "command": f"tiescale merge '#{s.into_person}' '#{s.from_person}'"}
        for s in suggestions
    ]
    render_rows(rows, ["person", "other", "confidence", "reason", "command"], fmt, title="Merge suggestions")


@main.command()
@click.argument("ref")
@click.pass_context
def unmerge(ctx: click.Context, ref: str) -> None:
    """Undo a merge: REF is merge:N, an identity platform:handle, or a person (all merges into them)."""
    with writing_store(ctx) as store:
        undone = identity.unmerge_person(store.con, ref)
    out.print(f"undid {', '.join(f'merge:{m}' for m in undone)}")


@main.command()
@click.argument("person")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def forget(ctx: click.Context, person: str, yes: bool) -> None:
    """Delete a person and every interaction with them; later imports skip them."""
    if not yes and sys.stdin.isatty():
        click.confirm(f"Forget {person} and delete every interaction with them?", abort=True)
    from ..store.forgetting import rewrite_store_file

    with writing_store(ctx, refresh=False) as store:
        counts = identity.forget_person(store, person)
        refresh_after_write(store)
        rewrite_store_file(store)  # deleted rows leave no bytes behind in the file or its WAL
    out.print(f"forgot {escape(person)}: {counts['interactions']:,} interactions, "
              f"{counts['identities']} identities deleted; the store file was rewritten without them")


# -- the scale -------------------------------------------------------------------------------------
@main.command()
@click.option("--as-of", "as_of", default=None,
              help="YYYY-MM-DD, ISO 8601 or unix seconds; only touchpoints before it count. "
                   "Default: the end of the data (midnight after the newest touchpoint).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
@click.option("--force", is_flag=True, help="Recompute even when nothing changed since the last run.")
@click.option("--events", "events_path", default=None, metavar="PATH",
              help="spark: this store's events as `tiescale export events --format parquet` wrote them, where "
                   "the cluster can read them (default: exported to a temporary folder, for local mode).")
@click.option("--spark-master", default=None, metavar="URL",
              help="spark: local[N], a cluster master or a Spark Connect sc:// URL "
                   "(default: $TIESCALE_SPARK_MASTER, else local[2]).")
@click.pass_context
def score(ctx: click.Context, as_of: str | None, engine: str, force: bool, events_path: str | None,
          spark_master: str | None) -> None:
    """Score every connection 0-10 as of a date and store the snapshot."""
    from ..insights.people import connection_tiers  # imported when used: scoring loads Ibis
    from ..scoring.run import score_store
    from ..timeparse import BadTimestamp

    if engine != "spark" and (events_path or spark_master):
        raise click.UsageError("--events and --spark-master are for --engine spark")
    try:
        # no derived refresh after it: the queue's cache, the answer index and the content verdicts
        # depend on imports, merges and the date, not on a score run (ingest and sync refresh them)
        with open_store(ctx) as store:
            run = score_store(store, as_of, engine=engine, force=force, events_path=events_path,
                              spark_master=spark_master)
            tiers = connection_tiers(store, run.as_of)
    except BadTimestamp as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    verb = "unchanged since the last run" if run.status == "unchanged" else f"scored on {run.engine} in {run.seconds:.1f}s"
    out.print(f"as of {run.as_of:%Y-%m-%d %H:%M} UTC: {run.connections:,} connections, {run.people:,} people; {verb}")
    by_tier = {t.tier: (t.connections, t.average) for t in tiers}
    for name in reversed(TIER_NAMES):
        n, avg = by_tier.get(name, (0, None))
        out.print(f"  {name:<13}{n:>9,}" + (f"   average {avg}" if avg is not None else ""))


@main.command()
@click.option("--account", default=None)
@click.option("--platform", default=None)
@click.option("--tier", default=None, help="stranger, acquaintance, regular, close or champion")
@click.option("--min-score", type=click.FloatRange(0, 10), default=None)
@format_option
@limit_option
@click.pass_context
def people(ctx: click.Context, account: str | None, platform: str | None, tier: str | None,
           min_score: float | None, fmt: str, limit: int) -> None:
    """Connections by relationship score, strongest first."""
    from ..insights.people import list_connections

    with open_store(ctx) as store:
        rows = list_connections(store, account=account, tier=tier, min_score=min_score, platform=platform, limit=limit)
    columns = ["account", "person", "score", "tier", "platform", "name"]
    if fmt != "table":
        columns += [c for c in (rows[0] if rows else {}) if c not in columns]
        render_rows(rows, columns, fmt, title="Connections by relationship score")
        return
    handles = [row["person"] for row in rows]
    for n, row in enumerate(rows, 1):  # names, not ids: an id only when nothing else is known, marked
        row["n"], row["account"], row["person"] = n, row.get("account_shown"), row.get("person_shown")
        row["last_contact"] = f"{row['last_contact']:%Y-%m-%d}" if row.get("last_contact") else ""
        row["from_them"], row["to_them"] = row.get("touchpoints_in"), row.get("touchpoints_out")  # short headers
    columns = ["n", "person", "score", "tier", "platform", "account", "from_them", "to_them", "last_contact",
               "activity"]
    title = "Connections by relationship score"
    if len(accounts := {(row["platform"], row["account"]) for row in rows}) == 1:  # named once, in the title
        platform, shown = accounts.pop()
        columns.remove("platform")
        columns.remove("account")
        title += f" with {escape(shown)} on {escape(platform)}"  # a title is markup: data is escaped
    render_rows(rows, columns, fmt, title=title)
    for row in rows:  # what `tiescale person` takes, and the link whole (never cut by the table's width)
        ref = f"{row['platform']}:{handles[row['n'] - 1]}"
        out.print(f"  {row['n']:>3}  {ref}" + (f"  {row['url']}" if row.get("url") else ""), markup=False,
                  highlight=False)


@main.command()
@click.argument("ref", metavar="PERSON")
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, help="Touchpoints shown.")
@click.pass_context
def person(ctx: click.Context, ref: str, fmt: str, limit: int) -> None:
    """One person: score, tier, reasons in words, history and touchpoints."""
    import dataclasses
    import json

    from ..insights.links import add_account_names
    from ..insights.people import person_profile, tier_meaning

    with open_store(ctx) as store:
        profile = person_profile(store, ref, timeline_limit=limit or 1_000_000)
        add_account_names(store, profile.connections)
    if fmt != "table":
        data = dataclasses.asdict(profile)
        if fmt == "json":
            out.file.write(json.dumps(data, default=str, ensure_ascii=False, indent=1) + "\n")
        else:
            render_rows([{k: v for k, v in data.items() if not isinstance(v, list)}],
                        ["person_id", "label", "display_name", "as_of", "score", "tier"], "csv")
        return
    name = f"{profile.label}" + (f" ({profile.display_name})" if profile.display_name else "")
    out.print(f"[bold]{escape(name)}[/]", markup=True, highlight=False)
    if profile.score is None:
        out.print("  not scored yet (no dated touchpoints)")
    else:
        out.print(f"  [bold]{profile.score:.1f}[/] / 10, {profile.tier}: {tier_meaning(profile.tier or '')}"
                  f" (as of {profile.as_of:%Y-%m-%d})")
        if profile.activity:
            out.print(f"  now: {profile.activity}", markup=False)
        for reason in profile.reasons:
            out.print(f"  - {reason}", markup=False)
    for ident in profile.identities:
        handle = ident["handle"] + (f" (@{ident['username']})" if ident.get("username") else "")
        out.print(f"  on {ident['platform']}: {handle}" + (f"  {ident['profile']}" if ident.get("profile") else ""),
                  markup=False)
    for c in profile.connections:  # the own account by its @name, not its id
        out.print(f"  with {c['account_shown']} on {c['platform']}: {c['score']:.1f} {c['tier']}", markup=False)
    if len(profile.history) > 1:
        out.print("  history: " + "  ".join(f"{h['as_of']:%Y-%m-%d} {h['score']:.1f}" for h in profile.history[-8:]))
    if profile.timeline:
        rows = [{"when": f"{t['ts']:%Y-%m-%d %H:%M}" if t["ts"] else "undated", "platform": t["platform"],
                 "direction": "them -> you" if t["direction"] == "in" else "you -> them", "kind": t["kind"],
                 "text": (t["text"] or "")[:80], "n": n} for n, t in enumerate(profile.timeline, 1)]
        render_rows(rows, ["n", "when", "platform", "direction", "kind", "text"], "table", title="Touchpoints")
        for n, t in enumerate(profile.timeline, 1):  # whole, never cut by the table's width
            if t.get("url"):
                out.print(f"  {n:>3}  {t['url']}", markup=False, highlight=False)


@main.command()
@click.pass_context
def refresh(ctx: click.Context) -> None:
    """Bring scores, the queue, the answer index and content verdicts up to date with the data.

    Every command that writes does this after its write; run it once after a batch of
    `tiescale ingest --no-refresh`. Only what changed is recomputed; a current store takes a moment."""
    import time

    started = time.perf_counter()
    with open_store(ctx) as store:
        refresh_after_write(store)
    out.print(f"up to date in {time.perf_counter() - started:.1f}s: scores, the queue, the answer index, "
              "content verdicts")


# -- export ----------------------------------------------------------------------------------------
@main.group()
def export() -> None:
    """Export stored data."""


@export.command("events")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: stdout.")
@click.pass_context
def export_events(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Every stored interaction in the canonical events format."""
    from ..store.export import export_events as run_export

    with open_store(ctx, read_only=True) as store:
        run_export(store, fmt, output)


# -- demo ------------------------------------------------------------------------------------------
@main.command()
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--people", "n_people", type=click.IntRange(min=50), default=3000, show_default=True)
@click.pass_context
def demo(ctx: click.Context, seed: int, n_people: int) -> None:
    """Build the demo store (simulated data for a fictional brand) and print an overview."""
    from ..demo import run_demo

    run_demo(ctx.obj["db"], seed=seed, n_people=n_people, console=out)


# -- the commands of the other capabilities, one module each in surfaces/commands/ ------------------
for _commands in (nurture_commands, content_commands, revenue_commands, web_commands, sync_commands,
                  engage_commands):
    _commands.register(main)


if __name__ == "__main__":  # pragma: no cover
    main()
