"""WhatsApp "Export chat" text files (``WhatsApp Chat with <name>.txt``, iOS ``_chat.txt``), one or many.

Both layouts are read: Android ``31/12/20, 23:59 - Name: text`` and iOS ``[31/12/2020, 23:59:59] Name:
text``, with 12- or 24-hour clocks (``PM``, ``p. m.``, the narrow no-break space newer iOS puts
before it), dates with ``/``, ``.`` or ``-``, year first or last. Whether a date is day-first or
month-first is inferred from the whole file (a field above 12; else the order under which the
times never go backwards); when it still cannot be told the import stops with a clear error, and
``tiescale ingest --date-order day-first`` (or ``month-first``; also ``TIESCALE_WHATSAPP_DATES``)
says it. Times are the phone's local
time without a zone; they are stored as UTC.

Lines that do not start with a date continue the message before (multi-line messages). System
lines (no ``Name:``) are not messages; group events among them (``created group``, ``added``,
``left``) mark the chat a group. ``<Media omitted>``, ``image omitted`` and ``<attached: ...>`` are
messages without text. The invisible marks iOS adds (U+200E), CRLF line ends and a BOM are removed.

The own account is the exporting person, as their name appears as a sender: ``--account``, or, in
a two-person chat whose file is named ``WhatsApp Chat with <name>``, the sender who is not
``<name>``. A chat with one other person is direct (every message a ``dm``); a group chat gives
own messages as posts and ``in/mention`` for ``@<own name>`` (the export marks no replies).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from collections.abc import Iterator

from ..records import AccountInfo, PersonInfo, Record, Rejected, Skipped, SourceError
from ._chat import ChatMessage, Own, members_whose_head, message_records
from ._files import ExportFiles
from ._values import digest
from .contract import ReadOptions

FORMAT = "whatsapp"
PLATFORM = "whatsapp"
DATE_ORDER_ENV = "TIESCALE_WHATSAPP_DATES"

_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_SPACES = {ord("\u202f"): " ", ord("\u00a0"): " "}
_DATE = r"(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"
_TIME = r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)(?:\s?(?P<ampm>[aApP]\.?\s?[mM]\.?))?"
_ANDROID = re.compile(_DATE + r",?\s" + _TIME + r"\s[-\u2013]\s(?P<rest>.*)$")
_IOS = re.compile(r"\[" + _DATE + r",?\s" + _TIME + r"\]\s?(?P<rest>.*)$")
_SENDER = re.compile(r"(?P<sender>[^:\"\n]{1,100}?):(?:\s|$)?(?P<text>.*)$", re.DOTALL)
_GROUP_EVENT = re.compile(r"\b(created group|created this group|added|left|removed|joined using|changed the subject|"
                          r"changed this group|changed the group)\b", re.IGNORECASE)
_MEDIA = re.compile(r"^(<media omitted>|<attached: [^>]*>|(image|video|audio|sticker|document|gif|contact card) "
                    r"omitted|this message was deleted|you deleted this message|null)$", re.IGNORECASE)
_CHAT_NAME = re.compile(r"^whatsapp chat (?:with|-|mit|con|avec|com|met) (?P<name>.+?)(?:\.txt)?$", re.IGNORECASE)


@dataclass(slots=True)
class _Line:
    number: int
    date: tuple[int, int, int]
    time: str
    ampm: str | None
    sender: str | None  # None: a system line
    text: str


@dataclass(slots=True)
class _Chat:
    """What the first pass learns about one chat file."""

    name: str
    display: str
    title: str | None
    dates: list[tuple[int, int, int]] = field(default_factory=list)
    senders: Counter[str] = field(default_factory=Counter)
    group: bool = False


def _clean_line(raw: str) -> str:
    return raw.rstrip("\r").translate(_INVISIBLE).translate(_SPACES)


def _header(line: str) -> re.Match[str] | None:
    return _ANDROID.match(line) or _IOS.match(line)


def _date_parts(text: str) -> tuple[int, int, int]:
    a, b, c = (int(p) for p in re.split(r"[./-]", text))
    return a, b, c


def _split(line: str, number: int) -> _Line | None:
    match = _header(line)
    if match is None:
        return None
    rest = match.group("rest").strip()
    who = _SENDER.match(rest)
    sender = who.group("sender").strip() if who else None
    text = who.group("text").strip() if who else rest
    return _Line(number, _date_parts(match.group("date")), match.group("time"), match.group("ampm"),
                 sender or None, text)


# -- detection ----------------------------------------------------------------------------------
def _chat_members(files: ExportFiles) -> list[str]:
    def looks_like(head: bytes) -> bool:
        first = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[:1]
        return bool(first) and _header(_clean_line(first[0])) is not None

    return members_whose_head(files, ".txt", looks_like)


def detect(files: ExportFiles) -> bool:
    return bool(_chat_members(files))


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not a WhatsApp chat export (a .txt file whose lines start "
                                           "'31/12/20, 23:59 - Name:' or '[31/12/2020, 23:59:59] Name:')")


# -- reading ------------------------------------------------------------------------------------
def _lines(files: ExportFiles, name: str) -> Iterator[tuple[int, str | None, str]]:
    """``(line number, text or None, why not)`` of one file, decoded and cleaned."""
    for number, raw in files.iter_lines(name):
        if raw is None:
            yield number, None, "line longer than the line cap"
            continue
        try:
            yield number, _clean_line(raw.decode("utf-8")), ""
        except UnicodeDecodeError as exc:
            yield number, None, f"bytes that are not UTF-8 at column {exc.start + 1}"


def _survey(files: ExportFiles, name: str) -> _Chat:
    stem = PurePosixPath(name).name
    title_match = _CHAT_NAME.match(stem) or _CHAT_NAME.match(PurePosixPath(files.path.name).stem)
    chat = _Chat(name, files.display(name), title_match.group("name").strip() if title_match else None)
    for number, text, _ in _lines(files, name):
        line = _split(text, number) if text is not None else None
        if line is None:
            continue
        chat.dates.append(line.date)
        if line.sender is None:
            chat.group = chat.group or bool(_GROUP_EVENT.search(line.text))
        else:
            chat.senders[line.sender] += 1
    return chat


def _date_order(chat: _Chat, said: str | None = None) -> str:
    """``ymd``, ``dmy`` or ``mdy`` for the whole file; raises when it cannot be told."""
    if chat.dates and all(d[0] > 31 for d in chat.dates):
        return "ymd"
    day_first = any(d[0] > 12 for d in chat.dates)
    month_first = any(d[1] > 12 for d in chat.dates)
    if day_first and month_first:
        raise SourceError(chat.display, "dates are neither all day-first nor all month-first")
    if day_first or month_first:
        return "dmy" if day_first else "mdy"
    said = (said or os.environ.get(DATE_ORDER_ENV, "")).strip().lower()
    if said in ("day-first", "month-first"):
        return "dmy" if said == "day-first" else "mdy"
    orders = [o for o in ("dmy", "mdy") if _ascending([_ymd(d, o) for d in chat.dates])]
    if len(orders) == 1:
        return orders[0]
    raise SourceError(chat.display, "cannot tell whether dates are day-first or month-first (no day above 12); "
                      "say which with --date-order day-first or month-first")


def _ymd(date: tuple[int, int, int], order: str) -> tuple[int, int, int]:
    a, b, c = date
    y, m, d = (a, b, c) if order == "ymd" else (c, b, a) if order == "dmy" else (c, a, b)
    return (y + 2000 if y < 100 else y), m, d


def _ascending(dates: list[tuple[int, int, int]]) -> bool:
    return all(earlier <= later for earlier, later in zip(dates, dates[1:]))


def _timestamp(line: _Line, order: str) -> datetime:
    year, month, day = _ymd(line.date, order)
    parts = [int(p) for p in re.split(r"[:.]", line.time)]
    hour, minute, second = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
    if line.ampm:
        pm = line.ampm.lower().startswith("p")
        if hour > 12:
            raise ValueError(f"hour {hour} with {line.ampm}")
        hour = (hour % 12) + (12 if pm else 0)
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


def _same(a: str, b: str) -> bool:
    return a.casefold().lstrip("@~ ") == b.casefold().lstrip("@~ ")


def _own(chats: list[_Chat], options: ReadOptions) -> str:
    wanted = (options.account or "").translate(_INVISIBLE).strip()
    everyone = Counter[str]()
    for chat in chats:
        everyone.update(chat.senders)
    if wanted:
        for sender in everyone:
            if _same(sender, wanted):
                return sender
        names = ", ".join(sorted(everyone)[:8])
        raise SourceError(chats[0].display, f"--account {wanted!r} wrote no message in this export; "
                          f"the senders are: {names}")
    guesses = set()
    for chat in chats:
        others = [s for s in chat.senders if chat.title is not None and not _same(s, chat.title)]
        if chat.title is not None and not chat.group and len(chat.senders) == 2 and len(others) == 1:
            guesses.add(others[0])
    if len(guesses) == 1:
        return guesses.pop()
    raise SourceError(chats[0].display, "cannot tell who exported this chat; pass --account with your name "
                      "as it appears before your messages")


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    members = _chat_members(files)
    if not members:
        check(files)
    chats = [_survey(files, name) for name in members]
    account = _own(chats, options)
    own = Own(account)
    yield AccountInfo(PLATFORM, account, account)
    people: set[str] = set()
    for chat in chats:
        order = _date_order(chat, options.date_order)
        others = [s for s in chat.senders if s != account]
        direct = not chat.group and len(others) <= 1
        partner = others[0] if others else (chat.title if direct else None)
        conversation = f"chat:{chat.title or digest(chat.name)}"
        for person in others:
            if person not in people:
                people.add(person)
                yield PersonInfo(PLATFORM, person, person)
        yield from _messages(files, chat, order, own, direct, partner, conversation)


def _messages(files: ExportFiles, chat: _Chat, order: str, own: Own, direct: bool, partner: str | None,
              conversation: str) -> Iterator[Record]:
    seen: Counter[tuple[str, str, str]] = Counter()
    pending: _Line | None = None

    def finish(line: _Line) -> Iterator[Record]:
        if line.sender is None:
            return
        try:
            ts = _timestamp(line, order)
        except ValueError as exc:
            yield Rejected(chat.display, f"line {line.number}", f"unreadable date or time ({exc})")
            return
        text = line.text.strip()
        body = None if _MEDIA.match(text) else (text or None)
        key = (ts.isoformat(), line.sender, text)
        seen[key] += 1
        msg_id = "wa:" + digest(*key, seen[key])
        if direct and line.sender == own.account and partner is None:
            yield Skipped(chat.display, f"line {line.number}", "own message in a chat whose other party is unknown")
            return
        mentions = (own.account,) if body and not direct and f"@{own.account}".casefold() in body.casefold() else ()
        yield from message_records(PLATFORM, own, ChatMessage(
            id=msg_id, ts=ts, sender=line.sender, conversation=conversation, direct=direct, text=body,
            sender_name=line.sender, participants=(own.account, partner) if partner else (), mentions=mentions))

    for number, text, problem in _lines(files, chat.name):
        if text is None:
            yield Rejected(chat.display, f"line {number}", problem)
            continue
        line = _split(text, number)
        if line is None:
            if pending is not None:
                pending.text += "\n" + text
            continue
        if pending is not None:
            yield from finish(pending)
        pending = line
    if pending is not None:
        yield from finish(pending)
