"""Nurture commands: ``queue``, ``done``, ``snooze``, ``responsiveness`` (logic in tiescale.insights)."""
from __future__ import annotations

import click

QUEUE_COLUMNS = ["person", "reason", "priority", "name", "platform", "account", "evidence", "action",
                 "waited_hours", "score", "tier", "url", "need"]
TABLE_COLUMNS = ["person", "name", "platform", "reason", "evidence", "action", "score"]
#: Platforms `tiescale reply` answers in place (a connected account writes there).
ANSWERABLE = ("bluesky", "mastodon")
RESPONSIVENESS_COLUMNS = ["period", "platform", "account", "messages", "answered", "response_rate",
                          "median_hours", "p90_hours", "within_1h", "within_24h"]


def register(main: click.Group) -> None:
    from rich.markup import escape

    from ..terminal import format_option, limit_option, open_store, out, writing_store
    from ..render import render_rows

    @main.command()
    @click.option("--account", default=None, help="Only this own account (its handle as imported).")
    @format_option
    @limit_option
    @click.pass_context
    def queue(ctx: click.Context, account: str | None, fmt: str, limit: int) -> None:
        """Whom to engage today and why: one row per person, most urgent first."""
        from ...insights.queue import build_queue

        with open_store(ctx) as store:
            items = build_queue(store, account=account, limit=limit)
        rows = [i.to_dict() for i in items]
        if fmt == "table":
            if not rows:
                out.print("Nobody is waiting and no relationship needs you today.")
                return
            for n, item in enumerate(items, 1):
                account = item.account_shown or item.account
                where = f"{item.platform}" + (f", {account}" if account else "")  # account: @name (Display)
                score = f"score {item.score:.1f} {item.tier}" if item.score is not None else "not scored"
                if item.activity and item.activity != "active":
                    score += f", {item.activity}"
                who = item.person_shown or item.person
                if item.name and item.name not in who and item.name != item.person:
                    who += f" ({item.name})"
                out.print(f"[bold]{n:>3}. {item.reason:<10}[/] {escape(who)}  [dim]{escape(where)}; {score}[/]")
                out.print(f"     {escape(item.evidence)}", highlight=False)
                if item.url:
                    out.print(f"     open: {item.url}", markup=False, highlight=False)
                ref = f"{item.platform}:{item.username or item.person}" if item.platform else f"#{item.person_id}"
                hint = f"tiescale done '{ref}'"
                if item.platform in ANSWERABLE:
                    hint = f"tiescale reply '{ref}' \"...\"; {hint}"
                out.print(f"     [green]-> {item.action}[/]  [dim]({escape(hint)})[/]")
            return
        columns = QUEUE_COLUMNS + [c for c in (rows[0] if rows else {}) if c not in QUEUE_COLUMNS]
        render_rows(rows, columns, fmt)

    @main.command()
    @click.argument("person")
    @click.option("--note", default=None, help="What you did (kept in the person's history).")
    @click.pass_context
    def done(ctx: click.Context, person: str, note: str | None) -> None:
        """Mark PERSON as handled: they leave the queue until something new happens."""
        from ...insights.actions import mark_done

        with writing_store(ctx) as store:
            action = mark_done(store, person, note=note)
        out.print(f"done: {action.person} (#{action.person_id})" + (f" — {note}" if note else ""), markup=False)

    @main.command()
    @click.argument("person")
    @click.option("--days", type=click.FloatRange(min=0, min_open=True, max=3650), required=True)
    @click.pass_context
    def snooze(ctx: click.Context, person: str, days: float) -> None:
        """Hide PERSON from the queue for N days (a new message from them still shows)."""
        from ...insights.actions import snooze as snooze_person

        with writing_store(ctx) as store:
            action = snooze_person(store, person, days)
        out.print(f"snoozed: {action.person} (#{action.person_id}) until {action.until:%Y-%m-%d %H:%M} UTC",
                  markup=False)

    @main.command()
    @click.option("--account", default=None)
    @click.option("--by", type=click.Choice(["week", "month", "all"]), default="month", show_default=True)
    @format_option
    @limit_option
    @click.pass_context
    def responsiveness(ctx: click.Context, account: str | None, by: str, fmt: str, limit: int) -> None:
        """Response rate and time to first answer, per platform, account and period."""
        from ...insights.responsiveness import responsiveness as compute

        with open_store(ctx) as store:
            rows = [r.to_dict() for r in compute(store, account=account, by=by)]
        if limit:
            rows = rows[-limit:]  # the most recent periods
        if fmt == "table":
            for row in rows:
                for key in ("response_rate", "within_1h", "within_24h"):
                    row[key] = f"{row[key]:.0%}"
        render_rows(rows, RESPONSIVENESS_COLUMNS, fmt, title=f"Responsiveness by {by}")
