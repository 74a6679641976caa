"""The demo's overview, printed with Rich: what was built, what was imported, what to try next."""
from __future__ import annotations

import json
import shlex
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from ..store.import_formats import IMPORT_FORMATS
from .config import BRAND, PLATFORMS
from .generate import SIMULATED
from .results import DemoResult

#: the commands the overview suggests next (each is a `tiescale` command; tests/test_demo.py checks it)
SUGGESTED_COMMANDS = ("people", "queue", "merge", "responsiveness", "content", "revenue", "imports",
                      "report demo-report.html", "serve")
KIND_ORDER = ("reply", "comment", "mention", "quote", "dm", "like", "repost", "follow", "unfollow")
ACTIONS = {
    "built": "built a new demo store",
    "refreshed": "the demo store was already built with these settings: nothing new was added",
    "completed": "the demo store was already built with these settings: imported what was missing",
    "rebuilt": "rebuilt the demo store from scratch (other settings than last time, or its data folder was gone)",
}


def _truth(result: DemoResult) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads(result.files.truth.read_text(encoding="utf-8"))
    return truth


def _interactions_table(result: DemoResult) -> Table:
    """Kinds down, platforms across: fits an 80-column terminal."""
    platforms = [p for p in PLATFORMS if p in result.interactions]
    platforms += sorted(set(result.interactions) - set(platforms))
    kinds = [k for k in KIND_ORDER if any(k in v for v in result.interactions.values())]
    kinds += sorted({k for v in result.interactions.values() for k in v} - set(kinds))
    table = Table(title="Interactions by kind and platform", header_style="bold", title_justify="left")
    table.add_column("kind")
    for platform in platforms:
        table.add_column(platform, justify="right")
    table.add_column("all", justify="right", style="bold")
    for kind in kinds:
        counts = [result.interactions[p].get(kind, 0) for p in platforms]
        table.add_row(kind, *(f"{n:,}" if n else "" for n in counts), f"{sum(counts):,}")
    totals = [sum(result.interactions[p].values()) for p in platforms]
    table.add_row("all", *(f"{n:,}" for n in totals), f"{result.total_interactions:,}", style="bold")
    return table


def _steps_table(result: DemoResult) -> Table:
    table = Table(title="Imports", header_style="bold", title_justify="left")
    for column in ("step", "status", "new", "detail"):
        table.add_column(column, justify="right" if column == "new" else "left")
    for step in result.steps:
        if step.status == "imported" and step.summary:
            detail = f"{step.summary.rows_read:,} rows read"
            if step.summary.new_posts:
                detail += f", {step.summary.new_posts:,} own posts"
            if step.summary.rejected:
                detail += f", [yellow]{step.summary.rejected:,} rejected[/]"
            status = "[green]imported[/]"
        elif step.status == "unchanged":
            detail, status = "already imported", "unchanged"
        else:
            detail = "no importer yet" if step.status == "skipped" else "importer failed"
            status = f"[yellow]{step.status}[/]"
        table.add_row(step.step, status, f"{step.new_interactions:,}", detail)
    return table


def _action(result: DemoResult) -> str:
    if result.action == "refreshed" and any(s.status == "imported" for s in result.steps):
        return "completed"  # e.g. an importer that was missing last time is there now
    return result.action


def _cmd(result: DemoResult, args: str) -> str:
    prefix = f"tiescale --db {shlex.quote(str(result.db))}" if result.db_given else "tiescale"
    return f"{prefix} {args}"


def _example_person(truth: dict[str, Any]) -> str | None:
    for person in truth["champions"]:
        for platform, handle in person["handles"].items():
            if platform != "x":
                return f"{platform}:{handle}"
    return None


def print_overview(result: DemoResult, console: Console) -> None:
    truth = _truth(result)
    config = result.config
    console.print(Panel.fit(
        f"[bold]{SIMULATED}[/]: {BRAND.name}. Every person, message and order is made up.\n"
        f"seed {config.seed} · {config.n_people:,} simulated people · {config.start:%Y-%m-%d} .. "
        f"{config.end:%Y-%m-%d} · {ACTIONS[_action(result)]}",
        title="tiescale demo", border_style="cyan"))
    console.print(f"store  {result.db}\ndata   {result.data_dir}/  (truth.json holds what was planted)")
    console.print()
    console.print(_interactions_table(result))
    posts = ", ".join(f"{n:,} on {p}" for p, n in result.posts.items()) or "none imported"
    span = (f"{result.first_ts:%Y-%m-%d} .. {result.last_ts:%Y-%m-%d}"
            if result.first_ts and result.last_ts else "no dated interactions")
    console.print(f"[bold]people[/] {result.talkers:,} replied, messaged, mentioned, liked or reposted; "
                  f"{result.people:,} counting followers who never did")
    console.print(f"[bold]own posts[/] {posts}   [bold]time span[/] {span}")
    x_posts = truth["posts"]["x"]
    console.print(f"own X posts written: {x_posts['top_level']:,} (promotional: "
                  f"{x_posts['promotional_share_first_half']:.0%} in the first half, "
                  f"{x_posts['promotional_share_second_half']:.0%} in the second)")
    first, last = truth["x_followers"][0], truth["x_followers"][-1]
    where = "imported" if result.follower_snapshots else "written, not imported"
    console.print(f"X followers: {first['followers']:,} -> {last['followers']:,} in {len(truth['x_followers'])} "
                  f"monthly lists ({where}); only {last['interacting']:,} of them ever talk to the brand")
    console.print()
    console.print(_steps_table(result))
    for step in result.skipped:
        console.print(f"[yellow]{step.status}:[/] {step.step} ({step.path}): {step.reason}", soft_wrap=True)
    console.print(f"planted: {len(truth['champions'])} champions, {len(truth['regulars'])} regulars, "
                  f"{len(truth['rising'])} rising, {len(truth['cooling'])} cooling, {len(truth['unanswered'])} "
                  f"unanswered recent questions and complaints, {len(truth['same_handle'])} people on two platforms; "
                  f"{truth['orders']['total']:,} orders in conversions.csv")
    console.print(f"built in {result.seconds:.1f}s")
    console.print()
    console.print("[bold]Try next[/]")
    wanted = list(SUGGESTED_COMMANDS)
    example = _example_person(truth)
    if example:
        wanted.insert(2, f"person {shlex.quote(example)}")
    if any(s.format == "conversions" and s.status == "skipped" for s in result.steps) \
            and "conversions" in IMPORT_FORMATS:
        wanted.append(f"ingest {shlex.quote(str(result.files.conversions))} --format conversions")
    for args in wanted:
        console.print(f"  {_cmd(result, args)}", soft_wrap=True, highlight=False, markup=False)
