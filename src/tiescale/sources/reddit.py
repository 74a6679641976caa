"""Reddit: the data-request export (CSV files) and saved API Listing JSON.

Two inputs, alone or together in one folder or zip:

- the data-request export: ``comments.csv``, ``posts.csv``, ``messages.csv`` /
  ``messages_archive.csv`` (or their ``*_headers.csv`` twins without bodies) and
  ``chat_history.csv``. Votes, saved items, subscriptions and the like are not read.
- API Listing JSON (``{"kind": "Listing", "data": {"children": [...]}}`` or an array of
  them): inbox comment replies and mentions (``t1`` with ``was_comment``), messages
  (``t4``, with their nested ``replies``), and the account's own comments and submissions.

Ids are Reddit fullnames (``t1_abc``, ``t3_abc``, ``t4_abc``) in both inputs, so the CSV
export and the API overlap without duplicates. The own account is ``--account``, else what
the data says: ``dest`` of inbox comments, the name common to every message, the one author
of a user listing, ``statistics.csv``'s account name, or the name common to every CSV message.

A comment by the account becomes a :class:`Post`, plus an ``out``/``reply`` to the author of
the parent when that author is known (a top-level comment's ``link_author``, or a parent
present in the same export). The CSV export never names the parent's author, so its comments
are only Posts. Modmail (a subreddit's moderators, not a person) and public items neither
by nor addressed to the account are rejected with that reason.
"""
from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, Interaction, PersonInfo, Post, Rejected, Record, SourceError
from ..timeparse import BadTimestamp, parse_ts
from .contract import ReadOptions
from ._files import ExportFiles

FORMAT = "reddit"
PLATFORM = "reddit"
SITE = "https://www.reddit.com"
#: CSV member -> (role, columns that must be in its header). The first found of each role is read.
CSV_MEMBERS: dict[str, tuple[str, frozenset[str]]] = {
    "comments.csv": ("comments", frozenset({"id", "date", "link", "parent", "body"})),
    "comment_headers.csv": ("comments", frozenset({"id", "date", "link", "parent"})),
    "posts.csv": ("posts", frozenset({"id", "date", "subreddit", "title", "body"})),
    "post_headers.csv": ("posts", frozenset({"id", "date", "subreddit", "title"})),
    "messages.csv": ("messages", frozenset({"id", "thread_id", "date", "from", "to", "body"})),
    "message_headers.csv": ("messages", frozenset({"id", "thread_id", "date", "from", "to"})),
    "messages_archive.csv": ("archive", frozenset({"id", "thread_id", "date", "from", "to", "body"})),
    "messages_archive_headers.csv": ("archive", frozenset({"id", "thread_id", "date", "from", "to"})),
    "chat_history.csv": ("chat", frozenset({"message_id", "created_at", "username", "message", "channel_url"})),
}
_LISTING_HEAD = re.compile(rb'"kind"\s*:\s*"Listing"')
_CHILDREN_HEAD = re.compile(rb'"children"\s*:\s*\[')
_POST_IN_URL = re.compile(r"/comments/([a-z0-9]+)", re.I)
_FULLNAME = re.compile(r"^t[1-6]_[a-z0-9]+$", re.I)
_GONE = {"", "[deleted]", "[removed]"}
_SELF = "\x00self"  # author of the own CSV items, before the account is known
_GROUP_CHATS = {"group", "community", "subreddit", "channel"}
_ROLE_KINDS = {"comments": "t1", "posts": "t3", "messages": "t4", "archive": "t4"}


# -- detection ------------------------------------------------------------------------------
def _header(files: ExportFiles, name: str) -> set[str]:
    """The lowercased column names of a CSV member's first line (empty when unreadable)."""
    line = files.head(name, 256 * 1024).split(b"\n", 1)[0]
    try:
        return {c.strip().lower() for c in next(csv.reader([line.decode("utf-8", "replace")]))}
    except (csv.Error, StopIteration):
        return set()


def _csv_members(files: ExportFiles) -> dict[str, str]:
    """Role -> member for the export's CSV files whose header is Reddit's."""
    found: dict[str, str] = {}
    for basename, (role, required) in CSV_MEMBERS.items():
        if role in found:
            continue
        for name in files.find(basename):
            if required <= _header(files, name):
                found[role] = name
                break
    return found


def _head(files: ExportFiles, name: str, size: int = 65536) -> bytes:
    return files.head(name, size)  # never raises; no BOM


def _json_members(files: ExportFiles) -> list[str]:
    return [n for n in files.names() if n.lower().endswith(".json")]


def _looks_like_listing(files: ExportFiles, name: str) -> bool:
    head = _head(files, name)
    return bool(head.lstrip()[:1] in (b"{", b"[") and _LISTING_HEAD.search(head) and _CHILDREN_HEAD.search(head))


def detect(files: ExportFiles) -> bool:
    if _csv_members(files):
        return True
    return any(_looks_like_listing(files, n) for n in _json_members(files)[:20])


def check(files: ExportFiles) -> None:
    if _csv_members(files):
        return
    members = _json_members(files)
    if not members:
        raise SourceError(str(files.path), "not a Reddit export: no comments.csv, posts.csv, messages.csv "
                          "or chat_history.csv with Reddit's columns, and no Listing JSON")
    for name in members:
        if not _looks_like_listing(files, name):
            raise SourceError(files.display(name), 'not a Reddit API Listing ({"kind": "Listing", "data": '
                              '{"children": [t1/t3/t4 items]}} or an array of them)')


# -- small helpers ----------------------------------------------------------------------------
def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def _text(value: Any) -> str | None:
    return html.unescape(value) if isinstance(value, str) and value != "" else None


def _ts(value: Any) -> datetime:
    if isinstance(value, str) and value.strip().upper().endswith(" UTC"):
        value = value.strip()[:-4] + "+00:00"
    return parse_ts(value)


def _csv_ts(value: str | None) -> datetime | None:
    try:
        return _ts(value)
    except BadTimestamp:
        return None


def _fullname(value: str | None, kind: str) -> str | None:
    value = _str(value)
    if value is None:
        return None
    return value if _FULLNAME.match(value) else f"{kind}_{value}"


def _post_of(*urls: str | None) -> str | None:
    for url in urls:
        if url and (m := _POST_IN_URL.search(url)):
            return f"t3_{m.group(1).lower()}"
    return None


def _is_group(name: str | None) -> bool:
    """A subreddit (modmail) rather than a person: ``#pics``, ``/r/pics``, ``r/pics``."""
    return name is not None and name.startswith(("#", "/r/", "r/"))


def _dict_at(value: Any, *path: str) -> dict[str, Any]:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _url(permalink: str | None) -> str | None:
    if not permalink:
        return None
    return permalink if permalink.startswith("http") else SITE + permalink


# -- reading the files ----------------------------------------------------------------------------
def _csv_rows(files: ExportFiles, name: str) -> Iterator[tuple[str, dict[str, str] | None, str]]:
    """``(ref, row, problem)`` of a CSV member; a row with the wrong field count has a problem."""
    display = files.display(name)
    reader = csv.reader(io.StringIO(files.read_text(name), newline=""), strict=True)
    try:
        header = [c.strip().lower() for c in next(reader, [])]
        for row in reader:
            ref = f"line {reader.line_num}"
            if not row or row == [""]:
                continue
            if len(row) != len(header):
                yield ref, None, f"{len(row)} fields where the header has {len(header)}"
                continue
            yield ref, dict(zip(header, row)), ""
    except csv.Error as exc:
        raise SourceError(display, f"malformed CSV ({exc})", f"line {reader.line_num}") from None


def _listing_children(doc: Any, display: str) -> list[Any]:
    listings = doc if isinstance(doc, list) else [doc]
    children: list[Any] = []
    for number, listing in enumerate(listings, 1):
        data = listing.get("data") if isinstance(listing, dict) else None
        if not (isinstance(listing, dict) and listing.get("kind") == "Listing" and isinstance(data, dict)
                and isinstance(data.get("children"), list)):
            where = f"listing {number}" if isinstance(doc, list) else None
            raise SourceError(display, 'not a Reddit API Listing ({"kind": "Listing", "data": {"children": [...]}})',
                              where)
        children.extend(data["children"])
    return children


def _things(files: ExportFiles, name: str) -> Iterator[tuple[str, str, dict[str, Any] | None]]:
    """``(ref, kind, data)`` of every item of a Listing file, nested replies included."""
    stack = list(reversed(_listing_children(files.read_json(name), files.display(name))))
    number = 0
    while stack:
        child = stack.pop()
        number += 1
        if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
            yield f"item {number}", "", None
            continue
        kind, data = str(child.get("kind") or ""), child["data"]
        if kind == "more":  # a placeholder for comments the listing did not load: no item
            continue
        yield _str(data.get("name")) or f"item {number}", kind, data
        nested = _dict_at(data, "replies", "data").get("children")
        if isinstance(nested, list):
            stack.extend(reversed(nested))


# -- the first pass: who is the account, who wrote what ----------------------------------------
@dataclass
class _Scan:
    authors: dict[str, str] = field(default_factory=dict)  # fullname -> author (or _SELF)
    inbox_dests: set[str] = field(default_factory=set)
    message_common: set[str] | None = None  # the names in every API message
    csv_common: set[str] | None = None  # the names in every CSV message
    listing_authors: set[str] = field(default_factory=set)  # authors of t1/t3 outside the inbox
    everyone: set[str] = field(default_factory=set)  # casefolded authors and recipients in listings
    stated: str | None = None  # statistics.csv
    account_id: dict[str, str] = field(default_factory=dict)  # author -> t2_ id

    def note_message(self, names: set[str], csv_file: bool) -> None:
        names = {n for n in names if n and n not in _GONE and not _is_group(n)}
        if not names:  # modmail from a deleted user: says nothing about the account
            return
        if csv_file:
            self.csv_common = names if self.csv_common is None else self.csv_common & names
        else:
            self.message_common = names if self.message_common is None else self.message_common & names


def _scan(files: ExportFiles, csvs: dict[str, str], listings: list[str]) -> _Scan:
    scan = _Scan()
    for name in listings:
        for _, kind, data in _things(files, name):
            if data is None:
                continue
            author, dest, fullname = _str(data.get("author")), _str(data.get("dest")), _str(data.get("name"))
            if fullname and author:
                scan.authors[fullname] = author
            if (link := _str(data.get("link_id"))) and (link_author := _str(data.get("link_author"))):
                scan.authors.setdefault(link, link_author)  # a user listing names the submission's author
            if author and _str(data.get("author_fullname")):
                scan.account_id[author.casefold()] = str(data["author_fullname"])
            scan.everyone.update(n.casefold() for n in (author, dest) if n)
            if kind == "t1" and data.get("was_comment") and dest:
                scan.inbox_dests.add(dest)
            elif kind == "t4":
                scan.note_message({author or "", dest or ""}, csv_file=False)
            elif kind in ("t1", "t3") and author and author not in _GONE:
                scan.listing_authors.add(author)
    for role in ("comments", "posts"):
        if role in csvs:
            for _, row, _ in _csv_rows(files, csvs[role]):
                if row and (fullname := _fullname(row.get("id"), "t1" if role == "comments" else "t3")):
                    scan.authors[fullname] = _SELF
    for role in ("messages", "archive"):
        if role in csvs:
            for _, row, _ in _csv_rows(files, csvs[role]):
                if row:
                    scan.note_message({row.get("from") or "", row.get("to") or ""}, csv_file=True)
    for name in files.find("statistics.csv"):
        for _, row, _ in _csv_rows(files, name):
            if row and (row.get("statistic") or "").strip().lower() == "account name":
                scan.stated = _str(row.get("value"))
    return scan


def _account(scan: _Scan, options: ReadOptions, where: str) -> str:
    if options.account:
        return options.account.removeprefix("u/").removeprefix("/u/")
    candidates = [
        ("the recipients of the inbox comments", scan.inbox_dests),
        ("the names in every message", scan.message_common),
        ("the authors of the listing", scan.listing_authors),
        ("statistics.csv", {scan.stated} if scan.stated else None),
        ("the names in every CSV message", scan.csv_common),
    ]
    for label, names in candidates:
        if names:
            if len({n.casefold() for n in names}) == 1:
                return next(iter(names))
            shown = ", ".join(sorted(names)[:3])
            raise SourceError(where, f"cannot tell the own account ({label} name several: {shown}); pass --account")
    raise SourceError(where, "cannot tell the own account; pass --account")


# -- the second pass -------------------------------------------------------------------------------
class _Reader:
    def __init__(self, scan: _Scan, account: str) -> None:
        self.scan, self.account = scan, account
        self.people: set[str] = set()

    def own(self, author: str | None) -> bool:
        return author == _SELF or _same(author, self.account)

    def touch(self, person: str, **fields: Any) -> Iterator[Record]:
        """An interaction with ``person``, and their profile URL the first time."""
        if person.casefold() not in self.people:
            self.people.add(person.casefold())
            yield PersonInfo(platform=PLATFORM, handle=person, url=f"{SITE}/user/{person}")
        yield Interaction(platform=PLATFORM, account=self.account, person=person, **fields)

    def reply_to_parent(self, parent: str | None, **fields: Any) -> Iterator[Record]:
        """An out/reply to the parent's author, when the export names one who is not the account."""
        author = self.scan.authors.get(parent or "")
        if author and author not in _GONE and not self.own(author):
            yield from self.touch(author, direction="out", kind="reply", in_reply_to=parent, **fields)

    # -- API listings
    def thing(self, display: str, ref: str, kind: str, data: dict[str, Any] | None) -> Iterator[Record]:
        if data is None:
            yield Rejected(display, ref, "not a Listing child ({kind, data})")
            return
        if kind not in ("t1", "t3", "t4"):
            yield Rejected(display, ref, f"a {kind or 'kindless'} item is not a comment, submission or message")
            return
        try:
            ts = _ts(data.get("created_utc", data.get("created")))
        except BadTimestamp as exc:
            yield Rejected(display, ref, f"created_utc: {exc}")
            return
        author, name = _str(data.get("author")), _str(data.get("name"))
        if name is None:
            yield Rejected(display, ref, "item without a name (fullname id)")
        elif kind == "t4":
            yield from self.message(display, ref, ts, data, author, _str(data.get("dest")), name)
        elif author is None or author in _GONE:
            yield Rejected(display, ref, "author deleted")
        elif self.own(author):
            yield from self.own_item(kind, ts, data, name)
        elif kind == "t3":
            yield Rejected(display, ref, f"submission by u/{author}, not by the account")
        else:
            yield from self.their_comment(display, ref, ts, data, author, name)

    def own_item(self, kind: str, ts: datetime, data: dict[str, Any], name: str) -> Iterator[Record]:
        url = _url(_str(data.get("permalink")))
        score = data.get("score") if isinstance(data.get("score"), int) else None
        if kind == "t3":
            title, body = _text(data.get("title")), _text(data.get("selftext"))
            text = "\n\n".join(t for t in (title, body) if t) or None
            replies = data.get("num_comments") if isinstance(data.get("num_comments"), int) else None
            yield Post(ts=ts, platform=PLATFORM, account=self.account, id=name, kind="post", text=text,
                       thread=name, url=url, likes=score, replies=replies)
            return
        parent, text = _str(data.get("parent_id")), _text(data.get("body"))
        thread = _str(data.get("link_id")) or _post_of(_str(data.get("context")), url)
        yield Post(ts=ts, platform=PLATFORM, account=self.account, id=name, kind="comment", text=text,
                   in_reply_to=parent, thread=thread, url=url, likes=score)
        yield from self.reply_to_parent(parent, ts=ts, id=name, text=text, thread=thread)

    def their_comment(self, display: str, ref: str, ts: datetime, data: dict[str, Any], author: str,
                      name: str) -> Iterator[Record]:
        parent = _str(data.get("parent_id"))
        thread = _str(data.get("link_id")) or _post_of(_str(data.get("context")), _str(data.get("permalink")))
        fields = dict(ts=ts, id=name, text=_text(data.get("body")), in_reply_to=parent, thread=thread)
        if data.get("was_comment"):
            dest = _str(data.get("dest"))
            if dest and not self.own(dest):
                yield Rejected(display, ref, f"inbox item of u/{dest}, not of the account")
                return
            mention = data.get("type") == "username_mention" or data.get("subject") == "username mention"
            yield from self.touch(author, direction="in", kind="mention" if mention else "reply", **fields)
        elif self.own(self.scan.authors.get(parent or "")):
            yield from self.touch(author, direction="in", kind="reply", **fields)
        else:
            yield Rejected(display, ref, f"comment by u/{author} is neither by nor addressed to the account")

    def message(self, display: str, ref: str, ts: datetime, data: dict[str, Any], author: str | None,
                dest: str | None, name: str) -> Iterator[Record]:
        sub = _str(data.get("subreddit"))
        if _is_group(dest) or (author is None and sub):
            group = sub or (dest or "").lstrip("#").removeprefix("/r/").removeprefix("r/")
            yield Rejected(display, ref, f"modmail with the moderators of r/{group}, not with a person")
            return
        thread = _str(data.get("first_message_name")) or name
        fields = dict(ts=ts, kind="dm", id=name, text=_text(data.get("body")), thread=thread,
                      in_reply_to=_str(data.get("parent_id")))
        if self.own(author) and self.own(dest):
            yield Rejected(display, ref, "message from the account to itself")
        elif self.own(author):
            if dest is None or dest in _GONE:
                yield Rejected(display, ref, "message to a deleted account")
            else:
                yield from self.touch(dest, direction="out", **fields)
        elif self.own(dest):
            if author is None or author in _GONE:
                yield Rejected(display, ref, "message from a deleted account")
            else:
                yield from self.touch(author, direction="in", **fields)
        else:
            yield Rejected(display, ref, f"message between u/{author} and u/{dest}; neither is the account")

    # -- the data-request export
    def csv_row(self, role: str, display: str, ref: str, row: dict[str, str]) -> Iterator[Record]:
        """One row of comments.csv, posts.csv or a messages file."""
        name, ts = _fullname(row.get("id"), _ROLE_KINDS[role]), _csv_ts(row.get("date"))
        if ts is None or name is None:
            yield Rejected(display, ref, "row without an id" if ts else f"unreadable date {row.get('date', '')[:40]!r}")
            return
        text, url = _text(row.get("body")), _url(_str(row.get("permalink")))
        if role == "posts":
            text = "\n\n".join(t for t in (_text(row.get("title")), text) if t) or None
            yield Post(ts=ts, platform=PLATFORM, account=self.account, id=name, kind="post", text=text,
                       thread=name, url=url)
        elif role == "comments":
            thread, raw = _post_of(_str(row.get("link")), url), _str(row.get("parent"))
            parent = _fullname(raw, "t3" if thread and raw == thread[3:] else "t1") if raw else thread
            yield Post(ts=ts, platform=PLATFORM, account=self.account, id=name, kind="comment", text=text,
                       in_reply_to=parent, thread=thread, url=url)
            yield from self.reply_to_parent(parent, ts=ts, id=name, text=text, thread=thread)
        else:
            data = {"body": row.get("body"), "first_message_name": _fullname(row.get("thread_id"), "t4")}
            yield from self.message(display, ref, ts, data, _str(row.get("from")), _str(row.get("to")), name)

    def csv_chat(self, display: str, rows: list[tuple[str, dict[str, str]]]) -> Iterator[Record]:
        """Chat rows name only the sender: one-to-one channels give in/out DMs, group chats are refused."""
        others: dict[str, set[str]] = {}
        for _, row in rows:
            sender = _str(row.get("username"))
            if sender and sender not in _GONE and not self.own(sender):
                others.setdefault(row.get("channel_url", ""), set()).add(sender)
        for ref, row in rows:
            channel, sender = row.get("channel_url", ""), _str(row.get("username"))
            ts, kind = _csv_ts(row.get("created_at")), _str(row.get("conversation_type"))
            people = others.get(channel, set())
            if ts is None:
                yield Rejected(display, ref, f"unreadable created_at {row.get('created_at', '')[:40]!r}")
            elif not _str(row.get("message_id")) or not sender or sender in _GONE:
                yield Rejected(display, ref, "chat message without an id or a sender")
            elif (kind or "").lower() in _GROUP_CHATS or len(people) > 1:
                yield Rejected(display, ref, f"group chat with {len(people)} others, not a one-to-one message")
            elif not self.own(sender) or people:
                person = next(iter(people)) if self.own(sender) else sender
                yield from self.touch(person, ts=ts, direction="out" if self.own(sender) else "in", kind="dm",
                                      id=row["message_id"].strip(), text=_text(row.get("message")),
                                      thread=channel or None, in_reply_to=_str(row.get("thread_parent_message_id")))
            else:
                yield Rejected(display, ref, "chat message of the account in a channel where nobody else wrote")


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    csvs = _csv_members(files)
    listings = _json_members(files)
    if not csvs and not listings:
        check(files)
    scan = _scan(files, csvs, listings)
    account = _account(scan, options, str(files.path))
    if listings and account.casefold() not in scan.everyone and not csvs:
        raise SourceError(files.display(listings[0]), f"no item is by or addressed to u/{account}: a public "
                          "listing (subreddit, stream or comment tree) is not the account's inbox or history")
    yield AccountInfo(platform=PLATFORM, handle=account, account_id=scan.account_id.get(account.casefold()))
    reader = _Reader(scan, account)
    for name in listings:
        display = files.display(name)
        for ref, kind, data in _things(files, name):
            yield from reader.thing(display, ref, kind, data)
    for role, member in csvs.items():
        display = files.display(member)
        rows: list[tuple[str, dict[str, str]]] = []
        for ref, row, problem in _csv_rows(files, member):
            if row is None:
                yield Rejected(display, ref, problem)
            elif role == "chat":
                rows.append((ref, row))
            else:
                yield from reader.csv_row(role, display, ref, row)
        if role == "chat":
            yield from reader.csv_chat(display, rows)


__all__ = ["FORMAT", "check", "detect", "read"]
