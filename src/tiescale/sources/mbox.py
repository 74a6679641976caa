"""E-mail in the ``mbox`` format (Gmail Takeout ``All mail Including Spam and Trash.mbox``, Thunderbird,
Apple Mail, mailing-list archives), read one message at a time.

The own account is the mailbox owner: ``--account`` names the brand's address(es), comma-separated;
without it the owner is inferred (the sender of messages Gmail labels ``Sent``, else the address
most messages were delivered to, ``Delivered-To`` / ``X-Original-To``).

- A message from an own address -> ``out/dm`` to every To/Cc address that is not own (and to the
  author of the message it answers, when the headers name no one else: list archives).
- A message to the owner (To/Cc/Delivered-To), or answering an own message -> ``in/dm`` from its sender.
- Threads: ``In-Reply-To`` (else the last ``References`` id) is the message answered; the first
  ``References`` id is the thread. Addresses become people (e-mail kept, so the same address on
  Slack or LinkedIn suggests a merge); ``name at example.com`` (list archives) is read as an address.
- Mailing-list mail (``List-Id``, ``List-Unsubscribe``, ``Precedence: list|bulk``), no-reply and
  bounce senders, and messages that involve the owner neither way are skipped with a count.

The text kept is the subject and the plain-text body without quoted lines, cut at 2,000 characters.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import timezone
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from collections.abc import Iterator

from ..records import AccountInfo, Interaction, PersonInfo, Record, Rejected, Skipped, SourceError
from ._files import MiB, ExportFiles
from ._values import digest
from .contract import ReadOptions

FORMAT = "mbox"
PLATFORM = "email"
MAX_MESSAGE_BYTES = 64 * MiB
MAX_TEXT = 2000
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|donotreply|mailer-daemon|postmaster|bounces?|notifications?)"
                       r"([+.-].*)?$", re.IGNORECASE)
_AT = re.compile(r"^([^\s@]+) at ([^\s@]+\.[^\s@]+)$")
_ID = re.compile(r"<([^<>\s]+)>")
_FROM_LINE = re.compile(rb"^From \S")


def _is_mbox(head: bytes) -> bool:
    return bool(_FROM_LINE.match(head)) and any(h in head for h in (b"\nFrom:", b"\nDate:", b"\nMessage-ID:",
                                                                    b"\nMessage-Id:", b"\nSubject:"))


def _members(files: ExportFiles) -> list[str]:
    found = []
    for name in files.names():
        lower = name.lower()
        if not (lower.endswith((".mbox", ".mbx")) or "." not in lower.rsplit("/", 1)[-1]):
            continue
        try:
            with files.open_binary(name) as handle:
                if _is_mbox(handle.read(8192)):
                    found.append(name)
        except Exception:  # noqa: BLE001 - an unreadable member is simply not evidence of this format
            continue
    return found


def detect(files: ExportFiles) -> bool:
    return bool(_members(files))


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not an mbox file (messages starting with 'From ' lines)")


# -- splitting --------------------------------------------------------------------------------------
def _messages(files: ExportFiles, name: str) -> Iterator[tuple[int, bytes | None]]:
    """``(first line number, raw message or None when over the cap)`` of each message, streamed."""
    lines: list[bytes] = []
    size = 0
    start = 0
    too_big = False
    previous_blank = True
    for number, line in files.iter_lines(name):
        content = line if line is not None else b""
        if previous_blank and _FROM_LINE.match(content):
            if start:
                yield start, None if too_big else b"\n".join(lines)
            lines, size, start, too_big = [], 0, number, False
        elif start:
            size += len(content) + 1
            if line is None or size > MAX_MESSAGE_BYTES:
                too_big = True
                lines = []
            elif not too_big:
                lines.append(content.rstrip(b"\r"))
        previous_blank = not content.strip()
    if start:
        yield start, None if too_big else b"\n".join(lines)


# -- addresses ----------------------------------------------------------------------------------------
def _address(name: str, addr: str) -> tuple[str | None, str | None]:
    addr = addr.strip().strip("<>").strip()
    if match := _AT.match(addr):
        addr = f"{match.group(1)}@{match.group(2)}"
    if "@" not in addr:
        if match := _AT.match(name.strip()):  # "jgb at gsyc.es" parsed as a name
            return None, f"{match.group(1)}@{match.group(2)}".lower()
        return None, None
    return (name.strip() or None), addr.lower()


def _addresses(message: Message, *headers: str) -> list[tuple[str | None, str]]:
    values: list[str] = []
    for header in headers:
        values += [str(v) for v in message.get_all(header, [])]
    found = []
    for name, addr in getaddresses(values):
        display, address = _address(name, addr)
        if address:
            found.append((display, address))
    if not found:
        for value in values:  # "andy at example.com (Andy Grunwald)": getaddresses splits it oddly
            if match := re.match(r"^\s*(\S+) at (\S+)\s*(?:\((.*)\))?\s*$", value):
                found.append((match.group(3) or None, f"{match.group(1)}@{match.group(2)}".lower()))
    return found


def _ids(value: object) -> list[str]:
    return _ID.findall(str(value or ""))


def _own(files: ExportFiles, names: list[str], options: ReadOptions) -> list[str]:
    if options.account:
        wanted = [a.strip().lower() for a in options.account.split(",") if a.strip()]
        if not all("@" in a for a in wanted):
            raise SourceError(str(files.path), f"--account {options.account!r}: give the mailbox's e-mail address(es), "
                                               "comma-separated")
        return wanted
    sent: Counter[str] = Counter()
    delivered: Counter[str] = Counter()
    parser = BytesHeaderParser()
    for name in names:
        for _, raw in _messages(files, name):
            if raw is None:
                continue
            headers = parser.parsebytes(raw)
            labels = str(headers.get("X-Gmail-Labels", "")).lower().split(",")
            if "sent" in (label.strip() for label in labels):
                sent.update(a for _, a in _addresses(headers, "From"))
            delivered.update(a for _, a in _addresses(headers, "Delivered-To", "X-Original-To"))
    for counter in (sent, delivered):
        if counter:
            return [counter.most_common(1)[0][0]]
    raise SourceError(files.display(names[0]), "cannot tell whose mailbox this is; pass --account with its "
                                               "e-mail address")


# -- reading ------------------------------------------------------------------------------------------
def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    names = _members(files)
    if not names:
        check(files)
    own = _own(files, names, options)
    account = own[0]
    yield AccountInfo(PLATFORM, account, None, account)
    senders: dict[str, str] = {}  # Message-ID -> sender address, for replies
    people: dict[str, str | None] = {}
    parser = BytesParser(policy=policy.default)
    for name in names:
        where = files.display(name)
        for number, raw in _messages(files, name):
            record = f"message at line {number}"
            if raw is None:
                yield Rejected(where, record, f"message larger than {MAX_MESSAGE_BYTES // MiB} MiB or a line over the cap")
                continue
            try:
                message = parser.parsebytes(raw)
            except Exception as exc:  # noqa: BLE001 - the email package raises many kinds on broken input
                yield Rejected(where, record, f"unreadable message ({str(exc)[:80]})")
                continue
            yield from _message(message, where, record, own, account, senders, people)
    for address, display in people.items():
        yield PersonInfo(PLATFORM, address, display, address)


def _message(message: Message, where: str, record: str, own: list[str], account: str,
             senders: dict[str, str], people: dict[str, str | None]) -> Iterator[Record]:
    try:
        sender_list = _addresses(message, "From")
    except Exception:  # noqa: BLE001 - malformed header values
        sender_list = []
    if not sender_list:
        yield Rejected(where, record, "no readable From address")
        return
    sender_name, sender = sender_list[0]
    try:
        ts = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        yield Rejected(where, record, f"unreadable Date {str(message.get('Date', ''))[:60]!r}")
        return
    ts = ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    message_id = (_ids(message.get("Message-ID")) or [""])[0] or "h:" + digest(ts.isoformat(), sender,
                                                                                 message.get("Subject"))
    senders[message_id] = sender
    references = _ids(message.get("References"))
    answered = _ids(message.get("In-Reply-To")) or references[-1:]
    parent = answered[0] if answered else None
    thread = references[0] if references else (parent or message_id)
    if any(message.get(h) for h in ("List-Id", "List-Unsubscribe")) or \
            str(message.get("Precedence", "")).strip().lower() in ("list", "bulk", "junk"):
        yield Skipped(where, record, "mailing-list message")
        return
    if _NO_REPLY.match(sender.split("@")[0]):
        yield Skipped(where, record, "no-reply or bounce sender")
        return
    text = _text(message)
    parent_sender = senders.get(parent) if parent else None
    if sender in own:
        recipients = [(n, a) for n, a in _addresses(message, "To", "Cc") if a not in own]
        if not recipients and parent_sender and parent_sender not in own:
            recipients = [(None, parent_sender)]
        if not recipients:
            yield Skipped(where, record, "own message to no one but the owner")
            return
        for display, address in dict((a, (n, a)) for n, a in recipients).values():
            people.setdefault(address, display)
            yield Interaction(ts, PLATFORM, account, address, "out", "dm", id=message_id, text=text,
                              in_reply_to=parent, thread=thread)
        return
    addressed = {a for _, a in _addresses(message, "To", "Cc", "Delivered-To", "X-Original-To")}
    if not (addressed & set(own)) and parent_sender not in own:
        yield Skipped(where, record, "neither to nor from the mailbox owner")
        return
    if people.get(sender) is None:
        people[sender] = sender_name
    yield Interaction(ts, PLATFORM, account, sender, "in", "dm", id=message_id, text=text, in_reply_to=parent,
                      thread=thread, person_name=sender_name)


def _text(message: Message) -> str | None:
    subject = " ".join(str(message.get("Subject", "")).split())
    body = ""
    if isinstance(message, EmailMessage):
        try:
            part = message.get_body(preferencelist=("plain",))
            body = part.get_content() if part is not None else ""
        except (KeyError, LookupError, ValueError, AssertionError):
            body = ""
    kept = [line for line in str(body).splitlines() if not line.lstrip().startswith(">")]
    text = (subject + "\n" + "\n".join(kept).strip()).strip()
    return text[:MAX_TEXT] or None

