"""YouTube: Data API comment JSON, and Google Takeout's ``comments.csv``.

- ``commentThreads.list`` responses (``youtube#commentThreadListResponse``, or a JSON array of
  pages): each thread's top-level comment and the replies it carries.
- ``comments.list`` responses (``youtube#commentListResponse``): more replies of a thread.
- ``videos.list`` responses (``youtube#videoListResponse``): only to learn which channel owns
  which video, when the comment threads lack ``snippet.channelId``.
- Takeout's ``YouTube and YouTube Music/comments/comments.csv`` (English column names, both the
  pre- and post-June-2024 layouts): the account's own comments, as Posts.

The own account is a channel id: ``--account``, else the one channel owning the videos
(``snippet.channelId`` or a videos.list response), else Takeout's ``Channel ID``. On the
account's videos, a top-level comment by someone else is ``in``/``comment``, a reply by someone
else ``in``/``reply``; a comment by the account is a Post plus an ``out``/``reply`` to the
author of the comment it answers (or ``out``/``comment`` to the owner of someone else's video).
Text is ``textOriginal``; only when it is withheld, ``textDisplay`` turned from HTML to text.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, Interaction, PersonInfo, Post, Rejected, Record, SourceError
from ..timeparse import BadTimestamp, parse_ts
from .contract import ReadOptions
from ._files import ExportFiles
from ._text import html_to_text

FORMAT = "youtube"
PLATFORM = "youtube"
_KIND = re.compile(rb'"kind"\s*:\s*"youtube#(commentThreadListResponse|commentListResponse|commentThread|comment)"')
_ANY_KIND = re.compile(rb'"kind"\s*:\s*"youtube#')
TAKEOUT_COLUMNS = frozenset({"comment id", "channel id", "comment create timestamp", "video id", "comment text"})
_ITEM_KINDS = ("youtube#commentThread", "youtube#comment", "youtube#video")


# -- detection --------------------------------------------------------------------------------
def _head(files: ExportFiles, name: str, size: int = 65536) -> bytes:
    return files.head(name, size)  # never raises; no BOM


def _header(files: ExportFiles, name: str) -> set[str]:
    """The lowercased column names of a CSV member's first line (empty when unreadable)."""
    line = files.head(name, 256 * 1024).split(b"\n", 1)[0]
    try:
        return {c.strip().lower() for c in next(csv.reader([line.decode("utf-8", "replace")]))}
    except (csv.Error, StopIteration):
        return set()


def _json_members(files: ExportFiles) -> list[str]:
    """JSON members that are YouTube Data API responses (a Takeout holds other JSON too)."""
    return [n for n in files.names() if n.lower().endswith(".json") and _ANY_KIND.search(_head(files, n))]


def _takeout_members(files: ExportFiles) -> list[str]:
    return [n for n in files.names() if n.lower().endswith(".csv") and TAKEOUT_COLUMNS <= _header(files, n)]


def detect(files: ExportFiles) -> bool:
    if any(_KIND.search(_head(files, n)) for n in _json_members(files)[:20]):
        return True
    return bool(_takeout_members(files))


def check(files: ExportFiles) -> None:
    if not any(_KIND.search(_head(files, n)) for n in _json_members(files)) and not _takeout_members(files):
        raise SourceError(str(files.path), "not a YouTube export: no Data API comment JSON "
                          "(youtube#commentThreadListResponse) and no Takeout comments.csv")


# -- reading ----------------------------------------------------------------------------------
def _items(doc: Any, display: str) -> list[Any]:
    """The items of a response, or of a JSON array of responses (pages)."""
    if isinstance(doc, list):
        return [item for part in doc for item in _items(part, display)]
    kind = doc.get("kind") if isinstance(doc, dict) else None
    if isinstance(kind, str) and kind.endswith("ListResponse") and isinstance(doc.get("items"), list):
        return list(doc["items"])
    if kind in _ITEM_KINDS:
        return [doc]
    raise SourceError(display, "not a YouTube Data API list response (kind youtube#...ListResponse with items[])")


def _dict(value: Any, *path: str) -> dict[str, Any]:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value).strip() or None


def _author(snippet: dict[str, Any]) -> str | None:
    raw = snippet.get("authorChannelId")
    return _str(raw.get("value") if isinstance(raw, dict) else raw)


def _text(snippet: dict[str, Any]) -> str | None:
    original = snippet.get("textOriginal")
    if isinstance(original, str):
        return original
    return html_to_text(snippet["textDisplay"]) if isinstance(snippet.get("textDisplay"), str) else None


def _takeout_text(raw: str | None) -> str | None:
    """Takeout's text: ``{"takeoutSegments":[{"text":..}]}``, ``{"text":..},{"text":..}`` or plain."""
    raw = (raw or "").strip()
    if not raw.startswith("{"):
        return raw or None
    for candidate in (raw, f"[{raw}]"):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        segments = value.get("takeoutSegments", value) if isinstance(value, dict) else value
        segments = [segments] if isinstance(segments, dict) else segments
        if isinstance(segments, list):
            return "".join(str(s.get("text", "")) for s in segments if isinstance(s, dict)) or None
    return raw


def _csv_rows(files: ExportFiles, name: str) -> Iterator[tuple[str, dict[str, str] | None]]:
    reader = csv.reader(io.StringIO(files.read_text(name), newline=""), strict=True)
    try:
        header = [c.strip().lower() for c in next(reader, [])]
        for row in reader:
            if row and row != [""]:
                yield f"line {reader.line_num}", dict(zip(header, row)) if len(row) == len(header) else None
    except csv.Error as exc:
        raise SourceError(files.display(name), f"malformed CSV ({exc})", f"line {reader.line_num}") from None


def _watch(video: str | None, comment: str) -> str | None:
    return f"https://www.youtube.com/watch?v={video}&lc={comment}" if video else None


# -- the first pass ---------------------------------------------------------------------------
@dataclass
class _Scan:
    authors: dict[str, str] = field(default_factory=dict)  # comment id -> author channel id
    video_owner: dict[str, str] = field(default_factory=dict)  # video id -> channel id
    thread_videos: set[str] = field(default_factory=set)
    owners: set[str] = field(default_factory=set)  # snippet.channelId of threads
    names: dict[str, str] = field(default_factory=dict)  # channel id -> display name
    takeout_channels: set[str] = field(default_factory=set)

    def comment(self, comment: Any) -> None:
        snippet = _dict(comment, "snippet")
        author, cid = _author(snippet), _str(comment.get("id") if isinstance(comment, dict) else None)
        if author and cid:
            self.authors[cid] = author
        if author and (name := _str(snippet.get("authorDisplayName"))):
            self.names[author] = name
        if video := _str(snippet.get("videoId")):
            self.thread_videos.add(video)
            if owner := _str(snippet.get("channelId")):
                self.owners.add(owner)
                self.video_owner.setdefault(video, owner)


def _scan(files: ExportFiles, members: list[str], takeout: list[str]) -> _Scan:
    scan = _Scan()
    for name in members:
        for item in _items(files.read_json(name), files.display(name)):
            kind, snippet = item.get("kind") if isinstance(item, dict) else None, _dict(item, "snippet")
            video, owner = _str(item.get("id")) if kind == "youtube#video" else None, _str(snippet.get("channelId"))
            if video and owner:
                scan.video_owner[video] = owner
                if title := _str(snippet.get("channelTitle")):
                    scan.names.setdefault(owner, title)
            elif kind == "youtube#commentThread":
                if video := _str(snippet.get("videoId")):
                    scan.thread_videos.add(video)
                    if owner := _str(snippet.get("channelId")):
                        scan.owners.add(owner)
                        scan.video_owner.setdefault(video, owner)
                replies = _dict(item, "replies").get("comments")
                for comment in [snippet.get("topLevelComment"), *(replies if isinstance(replies, list) else [])]:
                    scan.comment(comment)
            elif kind == "youtube#comment":
                scan.comment(item)
    for name in takeout:
        for _, row in _csv_rows(files, name):
            if row and (channel := _str(row.get("channel id"))):
                scan.takeout_channels.add(channel)
    return scan


def _account(scan: _Scan, options: ReadOptions, where: str) -> str:
    if options.account:
        return options.account
    owners = scan.owners | {scan.video_owner[v] for v in scan.thread_videos if v in scan.video_owner}
    for label, names in (("own the commented videos", owners), ("wrote the Takeout comments", scan.takeout_channels)):
        if len(names) == 1:
            return next(iter(names))
        if names:
            raise SourceError(where, f"several channels {label} ({', '.join(sorted(names)[:3])}); pass --account")
    raise SourceError(where, "cannot tell the own channel (no snippet.channelId, no videos.list response); "
                      "pass --account with the channel id that owns the videos")


# -- the second pass ----------------------------------------------------------------------------
class _Reader:
    def __init__(self, scan: _Scan, account: str) -> None:
        self.scan, self.account = scan, account
        self.people: set[str] = set()

    def touch(self, person: str, snippet: dict[str, Any], **fields: Any) -> Iterator[Record]:
        """An interaction; the person's name and channel URL come from a comment of their own."""
        own = _author(snippet) == person
        name = _str(snippet.get("authorDisplayName")) if own else self.scan.names.get(person)
        if own and person not in self.people:
            self.people.add(person)
            yield PersonInfo(platform=PLATFORM, handle=person, display_name=name,
                             url=_str(snippet.get("authorChannelUrl")) or f"https://www.youtube.com/channel/{person}")
        yield Interaction(platform=PLATFORM, account=self.account, person=person, person_name=name, **fields)

    def thread(self, display: str, ref: str, item: dict[str, Any]) -> Iterator[Record]:
        snippet = _dict(item, "snippet")
        top = snippet.get("topLevelComment")
        if not isinstance(top, dict) or not _str(top.get("id")):
            yield Rejected(display, ref, "comment thread without a topLevelComment")
            return
        thread, video = _str(item.get("id")) or top["id"], _str(snippet.get("videoId"))
        owner = _str(snippet.get("channelId"))
        count = snippet.get("totalReplyCount") if isinstance(snippet.get("totalReplyCount"), int) else None
        yield from self.comment(display, top, thread, video, None, count, owner)
        replies = _dict(item, "replies").get("comments") or []
        for reply in replies if isinstance(replies, list) else []:
            parent = _str(_dict(reply, "snippet").get("parentId")) or top["id"]
            yield from self.comment(display, reply, thread, video, parent, None, owner)

    def comment(self, display: str, comment: Any, thread: str | None, video: str | None, parent: str | None,
                reply_count: int | None, owner: str | None = None) -> Iterator[Record]:
        cid = _str(comment.get("id")) if isinstance(comment, dict) else None
        snippet, ref = _dict(comment, "snippet"), f"comment {cid}" if cid else "comment without id"
        author, video = _author(snippet), video or _str(snippet.get("videoId"))
        if cid is None or not snippet:
            yield Rejected(display, ref, "comment without an id or a snippet")
            return
        if author is None:
            yield Rejected(display, ref, "comment without authorChannelId")
            return
        try:
            ts = parse_ts(snippet.get("publishedAt"))
        except BadTimestamp as exc:
            yield Rejected(display, ref, f"publishedAt: {exc}")
            return
        owner = owner or _str(snippet.get("channelId")) or self.scan.video_owner.get(video or "") or self.account
        thread = thread or parent or cid
        fields: dict[str, Any] = dict(ts=ts, id=cid, text=_text(snippet), in_reply_to=parent or video, thread=thread)
        parent_author = self.scan.authors.get(parent or "")
        if author == self.account:
            likes = snippet.get("likeCount") if isinstance(snippet.get("likeCount"), int) else None
            yield Post(platform=PLATFORM, account=self.account, kind="comment", url=_watch(video, cid),
                       likes=likes, replies=reply_count, **fields)
            if parent and parent_author and parent_author != self.account:
                yield from self.touch(parent_author, {}, direction="out", kind="reply", **fields)
            elif not parent and owner != self.account:
                yield from self.touch(owner, {}, direction="out", kind="comment", **fields)
        elif parent is None and owner == self.account:
            yield from self.touch(author, snippet, direction="in", kind="comment", **fields)
        elif parent is not None and self.account in (owner, parent_author):
            yield from self.touch(author, snippet, direction="in", kind="reply", **fields)
        else:
            yield Rejected(display, ref,
                           f"comment by {author} on a video of channel {owner}, not addressed to the account")

    def takeout(self, display: str, ref: str, row: dict[str, str]) -> Iterator[Record]:
        cid, video = _str(row.get("comment id")), _str(row.get("video id"))
        try:
            ts = parse_ts(row.get("comment create timestamp"))
        except BadTimestamp as exc:
            yield Rejected(display, ref, f"Comment Create Timestamp: {exc}")
            return
        if cid is None:
            yield Rejected(display, ref, "comment without a Comment ID")
            return
        parent = _str(row.get("parent comment id"))
        thread = _str(row.get("top-level comment id")) or parent or cid
        fields: dict[str, Any] = dict(ts=ts, id=cid, text=_takeout_text(row.get("comment text")),
                                      in_reply_to=parent or video or _str(row.get("post id")), thread=thread)
        yield Post(platform=PLATFORM, account=self.account, kind="comment", url=_watch(video, cid), **fields)
        parent_author = self.scan.authors.get(parent or "")
        if parent and parent_author and parent_author != self.account:
            yield from self.touch(parent_author, {}, direction="out", kind="reply", **fields)


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    check(files)
    members, takeout = _json_members(files), _takeout_members(files)
    scan = _scan(files, members, takeout)
    account = _account(scan, options, str(files.path))
    yield AccountInfo(platform=PLATFORM, handle=account, display_name=scan.names.get(account))
    reader = _Reader(scan, account)
    for name in members:
        display = files.display(name)
        for number, item in enumerate(_items(files.read_json(name), display), 1):
            kind = item.get("kind") if isinstance(item, dict) else None
            ref = f"item {number}" + (f" ({item['id']})" if isinstance(item, dict) and _str(item.get("id")) else "")
            if kind == "youtube#commentThread":
                yield from reader.thread(display, ref, item)
            elif kind == "youtube#comment":
                snippet = _dict(item, "snippet")
                yield from reader.comment(display, item, None, None, _str(snippet.get("parentId")), None)
            elif kind != "youtube#video":
                yield Rejected(display, ref, f"not a comment thread, comment or video (kind {kind!r})")
    for name in takeout:
        display = files.display(name)
        for ref, row in _csv_rows(files, name):
            if row is None:
                yield Rejected(display, ref, "a row whose field count differs from the header")
            else:
                yield from reader.takeout(display, ref, row)


__all__ = ["FORMAT", "check", "detect", "read"]
