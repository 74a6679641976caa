"""Commands ``revenue``, ``conversions``, ``vanity`` and ``goal``: thin, over insights.revenue and insights.goals."""
from __future__ import annotations

import json
import sys
from typing import Any

import click


def _json(data: Any) -> None:
    from ..render import _plain

    json.dump(data, sys.stdout, ensure_ascii=False, indent=1, default=_plain)
    sys.stdout.write("\n")


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _money(x: float, currency: str) -> str:
    return f"{currency} {x:,.2f}"


TIER_COLUMNS = ["tier", "people", "converted", "conversion_rate", "conversion_low", "conversion_high", "orders",
                "revenue", "revenue_per_person", "revenue_per_person_low", "revenue_per_person_high",
                "revenue_per_buyer", "lift", "lift_low", "lift_high"]


@click.command()
@click.option("--account", default=None, help="Only this own account's relationships.")
@click.option("--window", "window_days", type=click.IntRange(min=1), default=365, show_default=True,
              help="Days of orders (ending at the end of the data).")
@click.option("--meaningful", "meaningful_min", type=click.FloatRange(0, 10), default=7.0, show_default=True,
              help="Score from which a connection counts as meaningful.")
@click.option("--horizon", type=click.IntRange(min=1), default=30, show_default=True, help="Days to forecast.")
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=0, show_default=True, help="Tiers shown; 0 means all.")
@click.pass_context
def revenue(ctx: click.Context, account: str | None, window_days: int, meaningful_min: float, horizon: int,
            fmt: str, limit: int) -> None:
    """Conversion rate and revenue by the tier people had the day before they bought."""
    from ...insights.revenue import forecast, revenue_report
    from ..terminal import open_store, out
    from ..render import render_rows

    with open_store(ctx) as store:
        report = revenue_report(store, account=account, window_days=window_days, meaningful_min=meaningful_min)
        outlook = forecast(store, account=account, horizon_days=horizon, report=report)
    tiers = [t.__dict__ for t in report.tiers] + [report.meaningful.__dict__]
    if limit:
        tiers = tiers[:limit]
    if fmt == "json":
        data = report.to_dict()
        data["tiers"] = tiers
        data["forecast"] = outlook.to_dict()
        _json(data)
        return
    if fmt == "csv":
        render_rows(tiers, TIER_COLUMNS, "csv")
        return
    c = report.currency
    rows = [{
        "tier": t["tier"], "people": f"{t['people']:,}", "bought": f"{t['converted']:,}",
        "conversion": f"{_pct(t['conversion_rate'])} ({_pct(t['conversion_low'])}-{_pct(t['conversion_high'])})",
        "revenue": f"{t['revenue']:,.2f}",
        "per person": f"{t['revenue_per_person']:,.2f} ({t['revenue_per_person_low']:,.2f}-"
                      f"{t['revenue_per_person_high']:,.2f})",
        "lift vs none": "" if t["lift"] is None else f"{t['lift']:.1f}x ({t['lift_low']:.1f}-{t['lift_high']:.1f})",
    } for t in tiers]
    out.print(f"[bold]Revenue by relationship tier[/] {report.start:%Y-%m-%d} .. {report.end:%Y-%m-%d} "
              f"({report.window_days} days, {c}{', account ' + account if account else ''}); tier = the score "
              "the day before the first order (non-buyers: a fixed day of the window)")
    render_rows(rows, list(rows[0]) if rows else ["tier"], "table", console=out)
    out.print(f"[bold]Lift[/] {report.lift_statement}")
    out.print(f"[bold]Meaningful[/] {_pct(report.share_meaningful)} of all revenue ({_money(report.revenue_total, c)}) "
              f"came from orders by people at {meaningful_min:g}+ the day before; "
              f"{_pct(report.share_meaningful_matched)} of the revenue tied to a person")
    if report.utm_platforms:
        platforms = ", ".join(f"{p.platform} {_money(p.revenue, c)} ({p.orders})" for p in report.utm_platforms)
        out.print(f"[bold]UTM only[/] (orders tied to a platform, not a person): {platforms}")
    if report.other_sources or report.unattributed.orders:
        others = ", ".join(f"{p.platform} {_money(p.revenue, c)} ({p.orders})" for p in report.other_sources)
        out.print(f"[bold]Other sources[/] {others}{'; ' if others else ''}no source: "
                  f"{_money(report.unattributed.revenue, c)} ({report.unattributed.orders})")
    out.print(f"[bold]Matching[/] {report.matching.in_words()}")
    out.print(f"[bold]Forecast[/] {outlook.statement} (range {_money(outlook.total_low, c)}-"
              f"{_money(outlook.total_high, c)})")
    for note in report.notes:
        out.print(f"[yellow]note:[/] {note}")
    out.print(f"[italic]{report.caution}[/]")


@click.command()
@click.option("--all", "show_all", is_flag=True, help="List every order with its match, not only the unmatched.")
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="0 means all")
@click.pass_context
def conversions(ctx: click.Context, show_all: bool, fmt: str, limit: int) -> None:
    """The match report, and the orders that could not be tied to a person."""
    from ...insights.orders import all_orders, match_report, unmatched_conversions
    from ..terminal import open_store, out
    from ..render import render_rows

    with open_store(ctx) as store:
        report = match_report(store)
        if show_all:
            rows: list[dict[str, Any]] = all_orders(store, limit=limit)
        else:
            rows = unmatched_conversions(store, limit=limit)
    columns = list(rows[0]) if rows else ["order_id", "ts", "value", "currency", "utm_source", "utm_platform", "reason"]
    if fmt == "table":
        out.print(f"[bold]Matching[/] {report.in_words()}")
    render_rows(rows, columns, fmt, title="Orders" if show_all else "Unmatched orders", console=out)


@click.command()
@click.option("--account", default=None)
@click.option("--meaningful", "min_score", type=click.FloatRange(0, 10), default=7.0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=0, show_default=True, help="Latest months; 0 means all")
@click.pass_context
def vanity(ctx: click.Context, account: str | None, min_score: float, fmt: str, limit: int) -> None:
    """Followers vs people who talked vs meaningful connections, month by month; goal progress."""
    from ...insights.goals import goal_progress, vanity_vs_meaningful
    from ..terminal import open_store, out
    from ..render import render_rows

    with open_store(ctx) as store:
        report = vanity_vs_meaningful(store, account=account, min_score=min_score)
        goals = goal_progress(store)
    points = [p.__dict__ for p in report.points]
    if limit:
        points = points[-limit:]
    columns = ["month", "followers", "talked", "meaningful", "ratio"]
    if fmt == "json":
        _json({**report.to_dict(), "points": points, "goals": [g.to_dict() for g in goals]})
        return
    if fmt == "csv":
        render_rows(points, columns, "csv")
        return
    render_rows([{**p, "ratio": f"{p['ratio']:.2%}"} for p in points], columns, "table",
                title=f"Vanity vs meaningful (score {min_score:g}+)", console=out)
    out.print(f"[bold]Now[/] {report.statement}")
    for goal in goals:
        out.print(f"[bold]Goal[/] {goal.statement}")


@click.command()
@click.argument("metric", required=False)
@click.argument("target", required=False, type=click.FloatRange(min=0, min_open=True))
@click.option("--by", "by_date", default=None, help="The date to reach the target by (YYYY-MM-DD).")
@click.option("--account", default=None)
@click.option("--meaningful", "min_score", type=click.FloatRange(0, 10), default=7.0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=0, show_default=True, help="0 means all")
@click.pass_context
def goal(ctx: click.Context, metric: str | None, target: float | None, by_date: str | None, account: str | None,
         min_score: float, fmt: str, limit: int) -> None:
    """Set a goal (`tiescale goal meaningful 500 --by 2027-06-30`) or, with no arguments, show progress."""
    from ...insights.goals import goal_progress, set_goal
    from ...records import UsageError
    from ..terminal import open_store, out, refresh_after_write
    from ..render import render_rows

    with open_store(ctx) as store:
        if metric is not None:
            if target is None or by_date is None:
                raise UsageError("a goal needs a target and --by, e.g. tiescale goal meaningful 500 --by 2027-06-30")
            made = set_goal(store, metric, target, by_date, account=account, min_score=min_score)
            refresh_after_write(store)
            out.print(f"goal set: {made.target:,.0f} {made.metric} connections (score {made.min_score:g}+) by "
                      f"{made.by_date}; now {made.baseline:,.0f}")
        progress = goal_progress(store)
    rows = [g.to_dict() for g in progress][: limit or None]
    columns = ["metric", "account", "target", "by_date", "current", "expected_now", "on_track", "progress"]
    if fmt == "table":
        for g in progress[: limit or None]:
            out.print(f"[bold]Goal[/] {g.statement}")
        if not progress:
            out.print("no goals yet: tiescale goal meaningful 500 --by 2027-06-30")
        return
    render_rows(rows, columns + (["statement"] if fmt == "json" else []), fmt)


def register(main: click.Group) -> None:
    for command in (revenue, conversions, vanity, goal):
        main.add_command(command)
