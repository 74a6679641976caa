"""LinkedIn "Get a copy of your data" (CSV files).

- ``Connections.csv`` -> a connection is mutual and dated, so it is read as the start of the
  relationship: ``in``/``follow`` at ``Connected On``, plus ``PersonInfo`` (name, e-mail, URL).
  Newer exports put a ``Notes:`` preamble before the header and add a ``URL`` column.
- ``Messages.csv`` (2018: ``From,To,Date,Subject,Content,Direction,Folder``; newer:
  ``CONVERSATION ID,...,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,...``) -> ``dm``;
- ``Invitations.csv`` -> an ``invitation`` interaction in the direction the file gives;
- ``Shares.csv`` -> ``Post`` (the 2018 file is UTF-16 with TAB separators); ``Comments.csv`` ->
  ``Post(kind="comment")``; ``Profile.csv`` -> the own account (its full name).

A person is keyed by the profile URL when the export gives one (newer exports), else by the full
name (2018 exports have no URLs at all): the two do not meet until merged. Dates without a zone
(``1/8/18, 6:14 PM``) are taken as UTC. Not imported: reactions (no person), positions, skills,
ad targeting, searches, logins.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, Interaction, PersonInfo, Post, Record, Rejected, SourceError
from ..timeparse import BadTimestamp, parse_ts
from .contract import ReadOptions
from ._files import ExportFiles
from ._values import digest

FORMAT = "linkedin"
PLATFORM = "linkedin"

#: file name -> header columns (normalised) that must be there.
_TABLES: dict[str, set[str]] = {
    "connections.csv": {"firstname", "lastname", "connectedon"},
    "messages.csv": {"from", "to", "date", "folder"},
    "invitations.csv": {"from", "to", "sentat", "direction"},
    "shares.csv": {"date", "sharelink"},
    "comments.csv": {"date", "message"},
    "profile.csv": {"firstname", "lastname"},
}
_MARKERS = ("connections.csv", "messages.csv", "invitations.csv", "shares.csv")
_HEADER_SEARCH_ROWS = 30
_SPECIFIC_LINK = re.compile(r"urn|activity|/posts/", re.IGNORECASE)

Row = dict[str, str]


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _members(files: ExportFiles, basename: str) -> list[str]:
    return [n for n in files.names() if PurePosixPath(n).name.lower() == basename]


def _find_header(text: str, required: set[str]) -> tuple[Any, list[str]] | None:
    """A reader positioned after the header row (found below any preamble), and that header."""
    for delimiter in (",", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            for _ in range(_HEADER_SEARCH_ROWS):
                header = [_key(c) for c in next(reader)]
                if required <= set(header):
                    return reader, header
        except (StopIteration, csv.Error):
            continue
    return None


def _head(files: ExportFiles, name: str, size: int = 8192) -> str:
    with files.open_binary(name) as handle:
        data = handle.read(size)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[: len(data) // 2 * 2].decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _looks_like(files: ExportFiles, name: str) -> bool:
    basename = PurePosixPath(name).name.lower()
    try:
        return basename in _TABLES and _find_header(_head(files, name), _TABLES[basename]) is not None
    except (OSError, KeyError):
        return False


def detect(files: ExportFiles) -> bool:
    return any(_looks_like(files, n) for n in files.names() if PurePosixPath(n).name.lower() in _MARKERS)


def check(files: ExportFiles) -> None:
    """Refuse, before anything is written, an export that is not LinkedIn's."""
    known = [n for n in files.names() if PurePosixPath(n).name.lower() in _TABLES]
    if not known:
        raise SourceError(str(files.path), "not a LinkedIn export: none of Connections.csv, Messages.csv, "
                          "Invitations.csv, Shares.csv, Comments.csv or Profile.csv found")
    for name in known:
        if not _looks_like(files, name):
            wanted = ", ".join(sorted(_TABLES[PurePosixPath(name).name.lower()]))
            raise SourceError(files.display(name), f"not a LinkedIn table: no header row with {wanted}")


def _rows(files: ExportFiles, name: str) -> Iterator[tuple[str, Row] | Rejected]:
    """Each data row as ``("line N", {column: value})``; a bad row is a :class:`Rejected`."""
    display = files.display(name)
    found = _find_header(files.read_text(name), _TABLES[PurePosixPath(name).name.lower()])
    if found is None:
        raise SourceError(display, "no header row found", "header")
    reader, header = found
    previous = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise SourceError(display, "the file ends inside a quoted field (truncated?)",
                                  f"line {previous + 1}") from None
            yield Rejected(display, f"line {previous + 1}", f"unreadable CSV row ({exc})")
            previous = reader.line_num
            continue
        ref, previous = f"line {previous + 1}", reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Rejected(display, ref, f"{len(row)} fields where the header has {len(header)}")
            continue
        yield ref, dict(zip(header, row))


def _ts(value: str) -> datetime:
    """LinkedIn dates: '1/8/18, 6:14 PM', '08 Jan 2018', '2018-11-04 10:12:00 UTC', '2017/06/08 08:15:44 UTC'."""
    text = value.strip()
    if re.match(r"^\d{4}/\d{1,2}/\d{1,2}\b", text):
        date, _, rest = text.partition(" ")
        text = f"{date.replace('/', '-')} {rest}".strip()
    return parse_ts(text)


def _name(*parts: str | None) -> str | None:
    return " ".join(" ".join(p or "" for p in parts).split()) or None


def _url(value: str | None) -> str | None:
    text = (value or "").strip().rstrip("/")
    return text or None


# -- reading ----------------------------------------------------------------------------------
def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    account = _profile_name(files)
    if account:
        yield AccountInfo(PLATFORM, account, display_name=account)
    else:
        account = options.account or _account_from_messages(files)
    readers = (("connections.csv", _connection), ("messages.csv", _message), ("invitations.csv", _invitation),
               ("shares.csv", _share), ("comments.csv", _comment))
    for basename, convert in readers:
        for name in _members(files, basename):
            display = files.display(name)
            for item in _rows(files, name):
                if isinstance(item, Rejected):
                    yield item
                    continue
                ref, row = item
                if not account:
                    raise SourceError(str(files.path), "cannot tell the own account; pass --account")
                try:
                    yield from convert(row, account)
                except _Bad as exc:
                    yield Rejected(display, ref, str(exc))


class _Bad(ValueError):
    """One row that cannot be read."""


def _date(row: Row, column: str) -> datetime:
    value = row.get(column, "").strip()
    if not value:
        raise _Bad(f"no {column} date")
    try:
        return _ts(value)
    except BadTimestamp as exc:
        raise _Bad(str(exc)) from None


def _profile_name(files: ExportFiles) -> str | None:
    for name in _members(files, "profile.csv"):
        for item in _rows(files, name):
            if not isinstance(item, Rejected):
                return _name(item[1].get("firstname"), item[1].get("lastname"))
    return None


def _account_from_messages(files: ExportFiles) -> str | None:
    """Without Profile.csv: the sender of an OUTGOING (or recipient of an INCOMING) 2018 message."""
    for name in _members(files, "messages.csv"):
        for item in _rows(files, name):
            if isinstance(item, Rejected):
                continue
            direction = item[1].get("direction", "").upper()
            if direction in ("OUTGOING", "INCOMING"):
                return _name(item[1].get("from" if direction == "OUTGOING" else "to"))
    return None


def _person(name: str | None, url: str | None, email: str | None = None) -> tuple[str, PersonInfo]:
    handle = url or name
    if not handle:
        raise _Bad("no name or profile URL for the other person")
    return handle, PersonInfo(PLATFORM, handle, display_name=name, email=email or None, url=url)


def _connection(row: Row, account: str) -> Iterator[Record]:
    name = _name(row.get("firstname"), row.get("lastname"))
    handle, info = _person(name, _url(row.get("url")), (row.get("emailaddress") or "").strip())
    ts = _date(row, "connectedon")
    yield info
    yield Interaction(ts, PLATFORM, account, handle, "in", "follow", f"connected:{ts.date().isoformat()}",
                      person_name=name)


def _recipients(row: Row) -> list[tuple[str | None, str | None]]:
    names = row.get("to", "")
    urls = [u for u in (_url(u) for u in row.get("recipientprofileurls", "").split(",")) if u]
    split = [n.strip() for n in names.split(",")]
    if len(urls) > 1:
        return list(zip(split, urls)) if len(split) == len(urls) else [(None, u) for u in urls]
    return [(_name(names), urls[0] if urls else None)]


def _message(row: Row, account: str) -> Iterator[Record]:
    ts = _date(row, "date")
    sender = _name(row.get("from"))
    direction = row.get("direction", "").strip().upper()
    if direction not in ("INCOMING", "OUTGOING"):
        own = account.casefold()
        outgoing = (sender or "").casefold() == own or _url(row.get("senderprofileurl")) == account
        direction = "OUTGOING" if outgoing else "INCOMING"
    if direction == "OUTGOING":
        others = _recipients(row)
    else:
        others = [(sender, _url(row.get("senderprofileurl")))]
    content = row.get("content") or row.get("subject") or None
    thread = (row.get("conversationid") or "").strip() or None
    item_id = "msg:" + digest(thread, row.get("date"), row.get("from"), row.get("to"), row.get("subject"),
                              row.get("content"))
    for name, url in others:
        handle, info = _person(name, url)
        if url:
            yield info
        yield Interaction(ts, PLATFORM, account, handle, "out" if direction == "OUTGOING" else "in", "dm",
                          item_id, content, thread=thread, person_name=name)


def _invitation(row: Row, account: str) -> Iterator[Record]:
    ts = _date(row, "sentat")
    direction = row.get("direction", "").strip().upper()
    if direction == "OUTGOING":
        name, url = _name(row.get("to")), _url(row.get("inviteeprofileurl"))
    elif direction == "INCOMING":
        name, url = _name(row.get("from")), _url(row.get("inviterprofileurl"))
    else:
        raise _Bad(f"direction must be INCOMING or OUTGOING, not {direction[:20]!r}")
    handle, info = _person(name, url)
    if url:
        yield info
    yield Interaction(ts, PLATFORM, account, handle, "out" if direction == "OUTGOING" else "in", "invitation",
                      f"invitation:{ts.isoformat()}", row.get("message") or None, person_name=name)


def _share(row: Row, account: str) -> Iterator[Record]:
    ts = _date(row, "date")
    link = _url(row.get("sharelink"))
    specific = link if link and _SPECIFIC_LINK.search(link) else None
    text = row.get("sharecommentary") or row.get("sharetitle") or None
    yield Post(ts, PLATFORM, account, specific or f"share:{ts.isoformat()}", text=text, url=specific)


def _comment(row: Row, account: str) -> Iterator[Record]:
    ts = _date(row, "date")
    text = row.get("message") or None
    yield Post(ts, PLATFORM, account, f"comment:{ts.isoformat()}:{digest(text)}", kind="comment", text=text,
               in_reply_to=_url(row.get("link")))
