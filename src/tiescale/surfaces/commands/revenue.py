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
                "revenue_per_buyer", "lift", "lift_low", "lift_high", "person_days", "orders_per_1000_person_days",
                "rate_low", "rate_high", "first_orders", "first_order_person_days",
                "first_orders_per_1000_person_days", "first_rate_low", "first_rate_high", "first_order_lift",
                "first_order_lift_low", "first_order_lift_high", "revenue_per_person_month",
                "revenue_per_person_month_low", "revenue_per_person_month_high", "people_now", "too_small"]
#: The meaningful threshold every command defaults to (insights/meaningful.py; TIESCALE_MEANINGFUL_MIN)
MEANINGFUL_HELP = "Score from which a connection counts as meaningful (default: the setting, 7)."


def _meaningful_default() -> float:
    from ...insights.meaningful import MEANINGFUL_MIN

    return MEANINGFUL_MIN


def _rate(t: dict[str, Any]) -> str:
    from ...insights.revenue import per_1000

    if t["too_small"]:
        return f"too few ({t['people']:,} people)" if t["person_days"] else "-"
    return f"{per_1000(t['orders_per_1000_person_days'])} ({per_1000(t['rate_low'])}-{per_1000(t['rate_high'])})"


def _lift(t: dict[str, Any]) -> str:
    from ...insights.revenue import times

    if t["lift"] is None:
        return ""
    return f"{times(t['lift'])} ({times(t['lift_low'])}-{times(t['lift_high'])})"


def times_words(strong: Any) -> str:
    from ...insights.revenue import per_1000, times

    return (f"{per_1000(strong.first_orders_per_1000_person_days)} first orders per 1,000 person-days before "
            f"buying, {times(strong.first_order_lift)} the rate of people who never talked (95% interval "
            f"{times(strong.first_order_lift_low)}-{times(strong.first_order_lift_high)})")


@click.command()
@click.option("--account", default=None, help="Only this own account's relationships.")
@click.option("--window", "window_days", type=click.IntRange(min=1), default=365, show_default=True,
              help="Days of orders (ending at the end of the data).")
@click.option("--meaningful", "meaningful_min", type=click.FloatRange(0, 10), default=_meaningful_default,
              help=MEANINGFUL_HELP)
@click.option("--horizon", type=click.IntRange(min=1), default=30, show_default=True, help="Days to forecast.")
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=0, show_default=True, help="Tiers shown; 0 means all.")
@click.pass_context
def revenue(ctx: click.Context, account: str | None, window_days: int, meaningful_min: float, horizon: int,
            fmt: str, limit: int) -> None:
    """Orders and revenue per person-time by the tier people had each day, and the lift over people who never talked."""
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
        "tier": t["tier"], "people": f"{t['people']:,}", "person-days": f"{t['person_days']:,.0f}",
        "orders": f"{t['orders']:,}", "per 1,000 person-days": _rate(t),
        "revenue": f"{t['revenue']:,.2f}",
        "per person-month": "" if t["too_small"] else
        f"{t['revenue_per_person_month']:,.3g} ({t['revenue_per_person_month_low']:,.3g}-"
        f"{t['revenue_per_person_month_high']:,.3g})",
        "lift vs none": _lift(t),
    } for t in tiers]
    out.print(f"[bold]Revenue by relationship tier[/] {report.start:%Y-%m-%d} .. {report.end:%Y-%m-%d} "
              f"({report.window_days} days, {c}{', account ' + account if account else ''}); {report.method}")
    render_rows(rows, list(rows[0]) if rows else ["tier"], "table", console=out)
    out.print(f"[bold]Lift[/] {report.lift_statement}")
    strong = report.meaningful
    if strong.first_order_lift is not None:
        out.print(f"[bold]First orders[/] {times_words(strong)}")
    out.print(f"[bold]Meaningful[/] ({report.meaningful_label}) {_pct(report.share_meaningful)} of all revenue "
              f"({_money(report.revenue_total, c)}) came from orders placed on a day the buyer was at "
              f"{meaningful_min:g}+; {_pct(report.share_meaningful_matched)} of the revenue tied to a person; "
              f"{strong.people_now:,} people are at {meaningful_min:g}+ on the last day of the window "
              f"({strong.people:,} spent at least a day there)")
    if report.utm_platforms:
        platforms = ", ".join(f"{p.platform} {_money(p.revenue, c)} ({p.orders})" for p in report.utm_platforms)
        out.print(f"[bold]UTM only[/] (orders tied to a platform, not a person): {platforms}")
    if report.other_sources or report.unattributed.orders:
        others = ", ".join(f"{p.platform} {_money(p.revenue, c)} ({p.orders})" for p in report.other_sources)
        out.print(f"[bold]Other sources[/] {others}{'; ' if others else ''}no source: "
                  f"{_money(report.unattributed.revenue, c)} ({report.unattributed.orders})")
    out.print(f"[bold]Adds up[/] tiers {_money(report.revenue_people, c)} + UTM only "
              f"{_money(sum(p.revenue for p in report.utm_platforms), c)} + other sources "
              f"{_money(sum(p.revenue for p in report.other_sources), c)} + no source "
              f"{_money(report.unattributed.revenue, c)}"
              + (f" + placed before tiescale saw the buyer {_money(report.revenue_unplaced, c)}"
                 if report.revenue_unplaced else "") + f" = {_money(report.revenue_total, c)}")
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
@click.option("--meaningful", "min_score", type=click.FloatRange(0, 10), default=_meaningful_default,
              help=MEANINGFUL_HELP)
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
@click.option("--meaningful", "min_score", type=click.FloatRange(0, 10), default=_meaningful_default,
              help=MEANINGFUL_HELP)
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
