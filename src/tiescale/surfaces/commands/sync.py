"""``tiescale connect bluesky|mastodon`` and ``tiescale sync [ACCOUNT...] [--every DURATION]``."""
from __future__ import annotations

import os
import sys
from datetime import datetime

import click

from ...sync import DEFAULT_BLUESKY_SERVICE, Connected, connect, connections_path, list_connections
from ...sync.credentials import BLUESKY_PASSWORD_ENV, MASTODON_TOKEN_ENV
from ...sync.runner import StreamReport, SyncReport, parse_duration, run_every, sync_store

REPORT_COLUMNS = ["platform", "account", "stream", "status", "pages", "new_items", "duplicates", "rejected",
                  "retries", "message"]


def _secret(given: str | None, env: str, prompt: str) -> str | None:
    """The secret to store: the option's; None when it comes from the environment; asked on a terminal."""
    if given:
        from ..terminal import err

        err.print(f"[yellow]warning:[/] a secret given as an option is visible to other users in the process "
                  f"list and stays in your shell history; prefer ${env} or the prompt (leave the option out).",
                  soft_wrap=True)
        return given
    if os.environ.get(env):
        return None
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True)
    from ...records import UsageError
    raise UsageError(f"no secret: pass it as an option, set ${env}, or run this on a terminal to be asked")


@click.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="For the list of connections.")
@click.pass_context
def connect_group(ctx: click.Context, fmt: str) -> None:
    """Connect a Bluesky or Mastodon account for `tiescale sync` (without a subcommand: list them)."""
    if ctx.invoked_subcommand is None:
        from ..terminal import out
        from ..render import render_rows

        rows = list_connections()
        if not rows and fmt == "table":
            out.print(f"No connected accounts ({connections_path()}). "
                      "Run `tiescale connect bluesky --handle H` or `tiescale connect mastodon --instance URL`.")
            return
        render_rows(rows, ["platform", "name", "account", "service", "secret"], fmt,
                    title=f"Connections ({connections_path()})")


@connect_group.command("bluesky")
@click.option("--handle", required=True, help="The account's handle, e.g. brand.bsky.social.")
@click.option("--app-password", default=None,
              help=f"An app password (Settings > App passwords); or ${BLUESKY_PASSWORD_ENV}.")
@click.option("--service", default=DEFAULT_BLUESKY_SERVICE, show_default=True, help="The PDS or entryway URL.")
def connect_bluesky(handle: str, app_password: str | None, service: str) -> None:
    """Store how to reach a Bluesky account (checked by logging in once)."""
    secret = _secret(app_password, BLUESKY_PASSWORD_ENV, "App password")
    _print_connected(connect("bluesky", handle, service, secret), BLUESKY_PASSWORD_ENV)


@connect_group.command("mastodon")
@click.option("--instance", required=True, help="The instance URL, e.g. https://mastodon.social.")
@click.option("--token", default=None,
              help=f"An access token (Preferences > Development, scope read); or ${MASTODON_TOKEN_ENV}.")
def connect_mastodon(instance: str, token: str | None) -> None:
    """Store how to reach a Mastodon account (checked with verify_credentials)."""
    secret = _secret(token, MASTODON_TOKEN_ENV, "Access token")
    _print_connected(connect("mastodon", None, instance, secret), MASTODON_TOKEN_ENV)


def _print_connected(connected: Connected, env: str) -> None:
    from ..terminal import out

    where = f"secret stored in {connected.path} (0600)" if connected.secret_stored else \
        f"secret not stored: read from ${env} at every sync; connection in {connected.path}"
    out.print(f"Connected {connected.platform} account [bold]{connected.name}[/] ({connected.account}); {where}.")


@click.command("sync")
@click.argument("accounts", nargs=-1)
@click.option("--every", "every", default=None, metavar="DURATION",
              help="Keep running in the foreground, syncing every DURATION (15m, 1h, 1h30m).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def sync_command(ctx: click.Context, accounts: tuple[str, ...], every: str | None, fmt: str) -> None:
    """Pull what is new from every connected account (or the ACCOUNTs named)."""
    from ..terminal import err, writing_store

    def once() -> SyncReport:
        # opened per round and closed after it: between rounds the dashboard and other commands use
        # the store; each round ends with derived state brought up to date, so pages opened between
        # rounds read what the round brought without recomputing anything
        with writing_store(ctx) as store:
            report = sync_store(store, accounts, on_stream=_progress if fmt == "table" else None)
        _print_report(report, fmt)
        return report

    if every is None:
        report = once()
        sys.exit(_exit_code(report))
    interval = parse_duration(every)
    err.print(f"syncing every {every}; Ctrl-C to stop")
    try:
        run_every(interval, once, on_error=lambda exc: err.print(f"[bold red]error:[/] {exc}", soft_wrap=True))
    except KeyboardInterrupt:
        err.print("stopped; every page synced so far is stored")


def _progress(report: StreamReport) -> None:
    from ..terminal import err

    if err.is_terminal:
        err.print(f"  {report.platform}:{report.account} {report.stream}: {report.status}, {report.new_items} new")


def _print_report(report: SyncReport, fmt: str) -> None:
    from ..terminal import out
    from ..render import render_rows

    rows = [s.to_dict() for s in report.streams]
    if fmt == "table":
        render_rows(rows, REPORT_COLUMNS, "table", title=f"Sync {datetime.now():%Y-%m-%d %H:%M}")
        problems = report.failed
        out.print(f"{report.new_items:,} new item(s)" + (f"; {len(problems)} stream(s) stopped early, see message "
                                                         "(the next sync resumes where they stopped)"
                                                         if problems else ""))
    else:
        render_rows(rows, REPORT_COLUMNS, fmt)


def _exit_code(report: SyncReport) -> int:
    """0 all read; 1 some streams stopped early (reported); 2 nothing could be read."""
    if not report.failed:
        return 0
    return 2 if all(s.status in ("failed", "skipped") for s in report.streams) else 1


def register(main: click.Group) -> None:
    main.add_command(connect_group, "connect")
    main.add_command(sync_command, "sync")
