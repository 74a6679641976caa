"""TikTok "Download your data" in the JSON format: ``user_data_tiktok.json`` (or ``user_data.json``), zip or folder.

Read, in the late-2024/2025 layout and the older one (``Activity``, ``Direct Messages`` > ``Chat
History``, ``Video`` > ``Videos``), with key spelling and capitals as TikTok varies them and empty
sections given as ``null``:

- Direct messages (``Chat History with <name>:``) -> ``dm`` both ways: a message ``From`` the own
  account goes to the chat's partner, any other ``From`` comes in from that person.
- Your comments -> :class:`Post` of kind ``comment`` (the export does not say on whose video).
- Follower and following lists -> :class:`FollowEdge` snapshots, taken at the export's newest date
  (the file names no export date; the newest dated row is a lower bound of it).
- Your videos -> :class:`Post` with their like count.

Not in the export: comments other people left on your videos, who liked them, replies to your
comments. TikTok gives those to nobody in a download; read them in the app (or the Display / Research
API for a business account). Times carry no zone; they are taken as UTC. The own account is the
profile's ``userName`` (else ``--account``).
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Record, Rejected, SourceError
from ..timeparse import BadTimestamp, parse_ts
from ._files import ExportFiles
from ._values import as_dict, as_list, clean, digest
from .contract import ReadOptions

FORMAT = "tiktok"
PLATFORM = "tiktok"
FILES = ("user_data_tiktok.json", "user_data.json")
_CHAT_KEY = re.compile(r"^chat history with (?P<name>.+?):?$", re.IGNORECASE)
_EMPTY = {"", "n/a", "none", "null"}


def _pick(value: Any, *names: str) -> Any:
    """The first key of ``value`` (a dict) matching one of ``names``, ignoring case and spaces."""
    found = as_dict(value)
    wanted = [n.replace(" ", "").lower() for n in names]
    by_key = {str(k).replace(" ", "").lower(): v for k, v in found.items()}
    for name in wanted:
        if name in by_key:
            return by_key[name]
    return None


def _path(value: Any, *steps: tuple[str, ...]) -> Any:
    for names in steps:
        value = _pick(value, *names)
    return value


def _member(files: ExportFiles) -> str | None:
    found = files.find(*FILES)
    return found[0] if found else None


def detect(files: ExportFiles) -> bool:
    name = _member(files)
    if name is None:
        return False
    try:
        with files.open_binary(name) as handle:
            head = handle.read(65536)
    except Exception:  # noqa: BLE001 - an unreadable member is simply not evidence of this format
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and any(
        key in head for key in (b'"Activity"', b'"Your Activity"', b'"Direct Message', b'"Profile"',
                                b'"Ads and data"', b'"App Settings"'))


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not a TikTok data download (user_data_tiktok.json or user_data.json "
                                           "in the JSON format)")


def _ts(value: Any) -> datetime:
    text = clean(value)
    if text is None:
        raise BadTimestamp("no date")
    return parse_ts(text)


def _present(value: Any) -> str | None:
    text = clean(value)
    return None if text is None or text.lower() in _EMPTY else text


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    name = _member(files)
    if name is None:
        check(files)
        return
    where = files.display(name)
    data = files.read_json(name)
    if not isinstance(data, dict):
        raise SourceError(where, "not a TikTok data download (a JSON object expected)")
    profile = as_dict(_path(data, ("Profile",), ("Profile Info", "Profile Information"), ("ProfileMap",)))
    chats = as_dict(_path(data, ("Direct Message", "Direct Messages"), ("Direct Messages", "Chat History"),
                          ("ChatHistory", "Chat History")))
    account = _present(profile.get("userName")) or clean(options.account) or _owner_from_chats(chats)
    if not account:
        raise SourceError(where, "the profile names no userName; pass --account with your TikTok username")
    account = account.lstrip("@")
    yield AccountInfo(PLATFORM, account, _present(profile.get("displayName")))
    activity = _pick(data, "Your Activity", "Activity")
    edges = [("follower", as_list(_path(activity, ("Follower", "Follower List"), ("FansList",)))),
             ("following", as_list(_path(activity, ("Following", "Following List"), ("Following",))))]
    taken = _newest(data)
    people: set[str] = set()
    for relation, rows in edges:
        for number, row in enumerate(rows, start=1):
            person = _present(as_dict(row).get("UserName"))
            if not person:
                yield Rejected(where, f"{relation} {number}", "no UserName")
                continue
            if taken is not None:
                yield FollowEdge(PLATFORM, account, person, relation, taken)
            people.add(person)
    yield from _messages(chats, account, where, people)
    for person in sorted(people):
        yield PersonInfo(PLATFORM, person, None, None, f"https://www.tiktok.com/@{person}", person)
    yield from _comments(data, account, where)
    yield from _videos(data, account, where)


def _owner_from_chats(chats: dict[str, Any]) -> str | None:
    """The one sender present in every chat (the own account writes in each), when there is one."""
    common: set[str] | None = None
    for messages in chats.values():
        senders = {s for m in as_list(messages) if (s := _present(as_dict(m).get("From")))}
        common = senders if common is None else common & senders
    return next(iter(common)) if common and len(common) == 1 and len(chats) > 1 else None


def _newest(data: Any) -> datetime | None:
    """The newest ``Date``/``date`` anywhere in the export, as the snapshot time of its lists."""
    newest: datetime | None = None
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("Date", "date") and isinstance(item, str):
                    try:
                        ts = parse_ts(item)
                    except BadTimestamp:
                        continue
                    newest = ts if newest is None or ts > newest else newest
                elif isinstance(item, (dict, list)):
                    stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return newest


def _messages(chats: dict[str, Any], account: str, where: str, people: set[str]) -> Iterator[Record]:
    for key, messages in chats.items():
        match = _CHAT_KEY.match(str(key).strip())
        partner = (match.group("name") if match else str(key)).strip().lstrip("@")
        seen: Counter[tuple[str, ...]] = Counter()
        for number, message in enumerate(as_list(messages), start=1):
            message = as_dict(message)
            sender = _present(message.get("From"))
            record = f"chat with {partner}, message {number}"
            try:
                ts = _ts(message.get("Date"))
            except BadTimestamp as exc:
                yield Rejected(where, record, str(exc))
                continue
            if not sender:
                yield Rejected(where, record, "no From")
                continue
            text = clean(message.get("Content"))
            fields = (partner, ts.isoformat(), sender, text or "")
            seen[fields] += 1
            outgoing = sender.lstrip("@").casefold() == account.casefold()
            person = partner if outgoing else sender.lstrip("@")
            people.add(person)
            yield Interaction(ts, PLATFORM, account, person, "out" if outgoing else "in", "dm",
                              id="dm:" + digest(*fields, seen[fields]), text=text, thread=f"chat:{partner}",
                              person_name=None)


def _comments(data: Any, account: str, where: str) -> Iterator[Record]:
    rows = as_list(_path(data, ("Comment",), ("Comments",), ("CommentsList",)))
    for number, row in enumerate(rows, start=1):
        row = as_dict(row)
        try:
            ts = _ts(_pick(row, "date"))
        except BadTimestamp as exc:
            yield Rejected(where, f"comment {number}", str(exc))
            continue
        text = clean(_pick(row, "comment"))
        url = _present(_pick(row, "url"))
        yield Post(ts, PLATFORM, account, "comment:" + digest(ts.isoformat(), text), kind="comment", text=text,
                   url=url)


def _videos(data: Any, account: str, where: str) -> Iterator[Record]:
    rows = as_list(_path(data, ("Post", "Video"), ("Posts", "Videos"), ("VideoList",)))
    for number, row in enumerate(rows, start=1):
        row = as_dict(row)
        try:
            ts = _ts(_pick(row, "Date"))
        except BadTimestamp as exc:
            yield Rejected(where, f"video {number}", str(exc))
            continue
        link = _present(_pick(row, "Link", "VideoLink"))
        likes = clean(_pick(row, "Likes"))
        yield Post(ts, PLATFORM, account, "video:" + digest(ts.isoformat()), kind="post",
                   text=_present(_pick(row, "Title", "Description")),
                   url=link if link and link.startswith("http") else None,
                   likes=int(likes) if likes and likes.isdigit() else None)
