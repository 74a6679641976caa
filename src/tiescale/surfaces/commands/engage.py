"""``tiescale reply``, ``tiescale like`` and ``tiescale snippets``: answer in place (logic in tiescale.sync.engage)."""
from __future__ import annotations

import json

import click

SNIPPET_COLUMNS = ["name", "body", "created_at"]


def register(main: click.Group) -> None:
    from ..render import OUTPUT_FORMATS, render_rows
    from ..terminal import err, escape, open_store, out, refresh_after_write

    def _answer(ctx: click.Context, ref: str, text: str, kind: str, dry_run: bool, anyway: bool,
                snippet: str | None, fmt: str) -> None:
        from ...sync.engage import plan_answer, send_answer

        with open_store(ctx) as store:
            plan = plan_answer(store, ref, text, kind=kind, snippet=snippet)
            for warning in plan.warnings:
                err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
            outcome = send_answer(store, plan, dry_run=dry_run, anyway=anyway)
            if outcome.status == "sent":
                refresh_after_write(store)  # the new touchpoint re-scores the connection; the queue follows
        if fmt == "json":
            out.file.write(json.dumps(outcome.to_dict(), default=str, ensure_ascii=False) + "\n")
            return
        if outcome.status == "dry run":
            out.print("dry run: nothing sent. This would be posted:", markup=False)
            out.print(outcome.preview or "", markup=False, highlight=False)
            return
        what = {"reply": "replied", "dm": "sent a DM", "like": "liked"}[plan.draft.kind]
        line = f"{what} on {plan.target.platform}" + (f": {outcome.sent.url}" if outcome.sent and outcome.sent.url
                                                      else "")
        if outcome.status == "already sent":
            line = f"already sent earlier, not posted again ({line})"
        out.print(line, markup=False, highlight=False)

    answer_format = click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table",
                                 show_default=True)

    @main.command()
    @click.argument("ref", metavar="PERSON-OR-ITEM")
    @click.argument("text", default="")
    @click.option("--dm", is_flag=True, help="Answer by direct message (Bluesky chat, Mastodon direct visibility).")
    @click.option("--dry-run", is_flag=True, help="Show exactly what would be posted; send nothing.")
    @click.option("--anyway", is_flag=True, help="Send even when the classifier warns (a promotional answer "
                                                 "to a question or complaint).")
    @click.option("--snippet", default=None, help="A saved reply (`tiescale snippets`); TEXT, if given, follows it.")
    @answer_format
    @click.pass_context
    def reply(ctx: click.Context, ref: str, text: str, dm: bool, dry_run: bool, anyway: bool, snippet: str | None,
              fmt: str) -> None:
        """Answer PERSON-OR-ITEM in place on Bluesky or Mastodon: a reply in the thread, or a DM where
        their message was one. {name}, {first_name}, {handle}, {account} in TEXT are filled in."""
        _answer(ctx, ref, text, "dm" if dm else "reply", dry_run, anyway, snippet, fmt)

    @main.command()
    @click.argument("ref", metavar="PERSON-OR-ITEM")
    @click.option("--dry-run", is_flag=True, help="Show what would be liked; send nothing.")
    @answer_format
    @click.pass_context
    def like(ctx: click.Context, ref: str, dry_run: bool, fmt: str) -> None:
        """Like PERSON-OR-ITEM's post (their newest on Bluesky or Mastodon, or the one named)."""
        _answer(ctx, ref, "", "like", dry_run, True, None, fmt)

    @main.group()
    def snippets() -> None:
        """Saved replies with placeholders ({name}, {first_name}, {handle}, {account})."""

    @snippets.command("add")
    @click.argument("name")
    @click.argument("text")
    @click.pass_context
    def snippets_add(ctx: click.Context, name: str, text: str) -> None:
        """Save TEXT as snippet NAME (replacing one of that name)."""
        from ...sync.snippets import add_snippet

        with open_store(ctx) as store:
            add_snippet(store, name, text)
        out.print(f"saved snippet {name}", markup=False)

    @snippets.command("list")
    @answer_format
    @click.pass_context
    def snippets_list(ctx: click.Context, fmt: str) -> None:
        """The saved replies."""
        from ...sync.snippets import list_snippets

        with open_store(ctx, read_only=True) as store:
            rows = list_snippets(store)
        render_rows(rows, SNIPPET_COLUMNS, fmt, title="Saved replies")

    @snippets.command("remove")
    @click.argument("name")
    @click.pass_context
    def snippets_remove(ctx: click.Context, name: str) -> None:
        """Delete snippet NAME."""
        from ...records import UsageError
        from ...sync.snippets import remove_snippet

        with open_store(ctx) as store:
            if not remove_snippet(store, name):
                raise UsageError(f"no snippet {name!r}")
        out.print(f"removed snippet {name}", markup=False)
