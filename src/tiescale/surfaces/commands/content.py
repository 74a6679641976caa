"""Content commands: ``classify`` (check a draft) and ``content`` (the balance of the feed).

Logic lives in :mod:`tiescale.classify` and :mod:`tiescale.insights.content`.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ...store.db import Store

CLASSIFY_COLUMNS = ["input", "label", "confidence", "cues", "text"]
MIX_COLUMNS = ["period", "posts", "promotional", "relational", "value", "promotional_share", "over_limit",
               "messages", "messages_promotional"]
EARNINGS_COLUMNS = ["label", "posts", "replies", "mentions", "reposts", "likes", "conversations", "responders",
                    "relationship_change", "responders_rising"]
MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_TEXT_CHARS = 20_000  # a longer input is classified on its first 20,000 characters


def read_texts(source: str) -> list[str]:
    """Texts from a file or stdin (``-``): a CSV with a ``text`` column, else one text per line."""
    from ...records import UsageError

    if source == "-":
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        name = "stdin"
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"{source}: no such file")
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise UsageError(f"{source}: larger than {MAX_INPUT_BYTES // 2**20} MB; split it")
        raw = path.read_bytes()
        name = source
    if len(raw) > MAX_INPUT_BYTES:
        raise UsageError(f"{name}: larger than {MAX_INPUT_BYTES // 2**20} MB; split it")
    text = raw.decode("utf-8-sig", errors="replace")
    if "\0" in text[:8192]:
        raise UsageError(f"{name}: a binary file, not text (give one text per line, or a CSV with a text column)")
    first = text.split("\n", 1)[0]
    header = next(csv.reader([first]), [])
    if "text" in [h.strip().lower() for h in header]:
        column = [h.strip().lower() for h in header].index("text")
        try:
            rows = list(csv.reader(io.StringIO(text)))[1:]
        except csv.Error as exc:
            raise UsageError(f"{name}: not a readable CSV ({exc})") from None
        return [(row[column] if column < len(row) else "") for row in rows if row]
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def register(main: click.Group) -> None:
    from ..terminal import format_option, out
    from ..render import OUTPUT_FORMATS, render_rows

    @main.command()
    @click.argument("source", metavar="[FILE|-]", required=False, default="-")
    @click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)
    @click.option("--limit", type=click.IntRange(min=0), default=0, show_default=True, help="0 means all")
    def classify(source: str, fmt: str, limit: int) -> None:
        """Label texts promotional, relational or value, with confidence and cues.

        FILE holds one text per line, or is a CSV with a `text` column; `-` or nothing reads stdin.
        """
        from ...classify import classify_texts

        texts = read_texts(source)
        if limit:
            texts = texts[:limit]
        verdicts = classify_texts([t[:MAX_TEXT_CHARS] for t in texts])
        rows: list[dict[str, Any]] = []
        for n, (text, verdict) in enumerate(zip(texts, verdicts), 1):
            cues = verdict.cues if text.strip() else ["empty text"]
            rows.append({"input": n, "label": verdict.label, "confidence": verdict.confidence,
                         "cues": cues if fmt == "json" else "; ".join(cues), "text": text})
        if fmt == "table":
            for row in rows:
                row["text"] = row["text"][:70] + ("..." if len(row["text"]) > 70 else "")
        render_rows(rows, CLASSIFY_COLUMNS, fmt, title="Content verdicts")

    @main.command()
    @click.option("--account", default=None, help="Only this own account (handle, id or display name).")
    @click.option("--by", type=click.Choice(["week", "month"]), default="month", show_default=True)
    @click.option("--window-days", type=click.IntRange(min=1), default=None,
                  help="Only the last N days of the data (default: all of it).")
    @format_option
    @click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True,
                  help="Posts listed as conversation starters and as most salesy (0 means all).")
    @click.option("--languages/--no-languages", default=True, show_default=True,
                  help="The languages people write to you in (about 3 s: an offline detector loads).")
    @click.pass_context
    def content(ctx: click.Context, account: str | None, by: str, window_days: int | None, fmt: str,
                limit: int, languages: bool) -> None:
        """The content mix over time, the sell ratio, what each kind of post earns, and the
        languages people write to you in."""
        from ...insights.content import content_report
        from ...insights.languages import language_mix

        with _open(ctx) as store:
            report = content_report(store, account=account, by=by, window_days=window_days,
                                    limit=limit)
            mix = (language_mix(store, account=account, window_days=window_days)
                   if languages and fmt != "csv" else None)
        if fmt == "json":
            data = {**report.to_dict(), "languages": mix.to_dict() if mix else None}
            out.file.write(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n")
            return
        rows = [vars(m) for m in report.mix]
        if fmt == "csv":
            render_rows(rows, MIX_COLUMNS, "csv")
            return
        _print_report(report, rows)
        if mix is not None:
            _print_languages(mix)


def _open(ctx: click.Context) -> Store:
    """Writable when possible (verdicts are cached), else read-only (a server may hold the lock)."""
    from ...store.db import StoreError, resolve_db_path
    from ..terminal import open_store

    if not resolve_db_path(ctx.obj["db"]).exists():
        return open_store(ctx, read_only=True)  # says there is no store yet
    try:
        return open_store(ctx)
    except StoreError:
        return open_store(ctx, read_only=True)


def _print_report(report: Any, mix: list[dict[str, Any]]) -> None:
    from rich.markup import escape

    from ..terminal import out
    from ..render import render_rows

    span = (f"{report.start:%Y-%m-%d} .. {report.end:%Y-%m-%d}" if report.start and report.end else "no dated posts")
    who = f" of {report.account}" if report.account else ""
    out.print(f"[bold]Content balance{escape(who)}[/]: {report.posts:,} posts and {report.messages:,} replies and "
              f"messages, {span}")
    if report.sell_ratio is not None:
        rule = report.rule_80_20
        out.print(f"  sell ratio {report.sell_ratio:.0%} (promotional posts; 80/20 allows 20%)"
                  + ("" if rule["meets"] else f": {rule['fewer_promotional_needed']} fewer promotional posts "
                     f"would meet 80/20"))
        four = report.rule_4_1_1
        out.print(f"  4-1-1 (value 67%, relational 17%, promotional 17%): yours "
                  f"{four['actual']['value']:.0%} / {four['actual']['relational']:.0%} / "
                  f"{four['actual']['promotional']:.0%}; {four['distance']:.0%} of posts would have to change kind")
    if report.warning:
        out.print(f"[bold yellow]warning:[/] {escape(report.warning)}")
    if report.messages:
        share = report.message_totals["promotional"] / report.messages
        out.print(f"  replies and messages: {report.message_totals['relational']:,} relational, "
                  f"{report.message_totals['value']:,} value, {report.message_totals['promotional']:,} "
                  f"promotional ({share:.0%})")
    for note in report.notes:
        out.print(f"  [dim]note: {escape(note)}[/]")
    for row in mix:
        row["promotional_share"] = "" if row["promotional_share"] is None else f"{row['promotional_share']:.0%}"
        row["over_limit"] = "over 20%" if row["over_limit"] else ""
    render_rows(mix, MIX_COLUMNS, "table", title=f"Mix by {report.by}", console=out)
    earnings = [vars(e) for e in report.earnings]
    for row in earnings:
        per = row["per_post"]
        for key in ("replies", "mentions", "reposts", "likes", "conversations", "responders"):
            row[key] = f"{per.get(key, 0):.2f}"
        row["relationship_change"] = "" if row["relationship_change"] is None else f"{row['relationship_change']:+.2f}"
        row["responders_rising"] = "" if row["responders_rising"] is None else f"{row['responders_rising']:.0%}"
    render_rows(earnings, EARNINGS_COLUMNS, "table", console=out,
                title="What each kind earns per post in the 7 days after it (relationship change: "
                      "responders' score 5 weeks on)")
    for title, posts in (("Posts that started the most conversations", report.top_conversation_posts),
                         ("Most salesy posts and messages", report.most_salesy)):
        rows = [{"when": f"{p.ts:%Y-%m-%d}" if p.ts else "", "platform": p.platform, "label": p.label,
                 "conversations": p.conversations, "replies": p.replies, "p_promotional": p.p_promotional,
                 "cues": "; ".join(p.cues), "text": p.text[:70] + ("..." if len(p.text) > 70 else "")}
                for p in posts]
        columns = (["when", "platform", "label", "conversations", "replies", "text"]
                   if posts is report.top_conversation_posts else ["when", "platform", "p_promotional", "cues", "text"])
        if rows:
            render_rows(rows, columns, "table", title=title, console=out)


def _print_languages(mix: Any) -> None:
    """One line: the languages of the people's messages, largest first."""
    from ..terminal import out

    if not mix.available:
        out.print("  [dim]languages: not shown (pip install lingua-language-detector)[/]")
        return
    if not mix.messages:
        return
    parts = [f"{lang.name} {lang.share:.0%}" + ("" if lang.read or lang.code == "und" else " (not read)")
             for lang in mix.languages]
    sampled = f", the newest {mix.messages:,} of {mix.total:,}" if mix.sampled else ""
    out.print(f"  languages of {mix.messages:,} messages from {mix.people:,} people{sampled}: " + ", ".join(parts))
