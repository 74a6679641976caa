"""Mastodon account export: ``outbox.json``, ``actor.json``, ``likes.json`` and the follows CSV.

What becomes what:

- ``actor.json`` -> the own account ``preferredUsername@host`` (host of the actor id).
- ``Create`` of a Note (or Question/Article/Page) -> a :class:`Post` (``post`` or ``reply``), plus
  an ``out/reply`` to the author of the status replied to (a reply to oneself, a thread
  continuation, is not an interaction) and an ``out/mention`` per other mentioned account.
  A Note addressed to nobody but the mentioned accounts (Mastodon's "direct" visibility, a
  private mention) is a conversation, not a publication: ``out/dm`` to each addressee and no Post.
- ``Announce`` -> a :class:`Post` of kind ``repost`` and an ``out/repost`` to the boosted author.
- ``likes.json`` -> ``out/like`` with ``ts=None``: the export gives no time for likes.
- ``following_accounts.csv`` -> :class:`FollowEdge` ``following``. The CSV carries no date, so the
  snapshot is taken at the date in the archive's name (``archive-YYYYMMDDHHMMSS-....zip``) when
  there is one, else at the newest ``published`` time in ``outbox.json``.

Not imported: ``bookmarks.json`` (private, not a touchpoint with anyone), blocked/muted/lists CSVs,
media. Followers are not in a Mastodon export at all.

People are ``name@host`` in lower case (Mastodon usernames are case-insensitive). A status author
is taken from the account the export itself names (mention tags, the boost's addressees) and
otherwise from the status URL (``https://host/users/name/statuses/N`` -> ``name@host``).
"""
from __future__ import annotations

import csv
import re
from datetime import datetime, timezone
from typing import Any
from collections.abc import Iterator
from urllib.parse import urlsplit

from ..records import (
    AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Record, Rejected, Skipped, SourceError,
)
from ..timeparse import BadTimestamp, parse_ts, plausibility_problem
from .contract import ReadOptions
from ._files import ExportFiles
from ._text import html_to_text

FORMAT = "mastodon"
PLATFORM = "mastodon"
PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
NOTE_TYPES = {"Note", "Question", "Article", "Page"}
JSON_MEMBERS = ("outbox.json", "actor.json", "likes.json")
FOLLOWING_CSV = "following_accounts.csv"
_ACTOR_PATH = re.compile(r"^/(?:ap/)?users/([^/]+)/?$|^/@([^/]+)/?$")
_STATUS_PATH = re.compile(r"^/(?:ap/)?users/([^/]+)/(?:statuses|post)/[^/]+/?$|^/@([^/]+)/[^/]+/?$")
_ARCHIVE_DATE = re.compile(r"archive-(\d{14})")
_HANDLE = re.compile(r"^@?([^@\s/]+)@([^@\s/]+\.[^@\s/]+)$")


# -- names ----------------------------------------------------------------------------------
def _split(url: str) -> tuple[str, str]:
    """``(host, path)`` of a URL; empty for one that is not a URL at all."""
    try:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.path
    except ValueError:
        return "", ""


def _host(url: str) -> str:
    return _split(url)[0]


def handle_from_actor_url(url: str) -> str | None:
    """``https://host/users/name`` or ``https://host/@name`` -> ``name@host``."""
    match = _ACTOR_PATH.match(_split(url)[1]) if url.startswith("http") and _host(url) else None
    if not match:
        return None
    name = match.group(1) or match.group(2)
    return (name if "@" in name else f"{name}@{_host(url)}").lower()


def handle_from_status_url(url: str) -> str | None:
    """``https://host/users/name/statuses/N`` or ``https://host/@name/N`` -> ``name@host``."""
    match = _STATUS_PATH.match(_split(url)[1]) if url.startswith("http") and _host(url) else None
    if not match:
        return None
    name = match.group(1) or match.group(2)
    return (name if "@" in name else f"{name}@{_host(url)}").lower()


def _str(value: Any) -> str | None:
    """A non-empty string, or ``None`` for anything else (exports are not trusted to be typed)."""
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    """An ActivityPub property that may be one value or a list, as a list of strings."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _actor_of_status(url: str) -> str | None:
    match = re.match(r"^(https?://[^/]+/(?:ap/)?users/[^/]+)/", url)
    return match.group(1) if match else None


def _profile_url(actor_url: str, handle: str) -> str:
    """Mastodon's profile page ``https://host/@name`` for an actor ``https://host/users/name``."""
    match = re.match(r"^(https?://[^/]+)/users/([^/]+)/?$", actor_url)
    if match and match.group(2).lower() == handle.split("@", 1)[0]:
        return f"{match.group(1)}/@{match.group(2)}"
    return actor_url


def _mention_handle(tag: dict[str, Any]) -> str | None:
    """A Mention tag's account: its ``name`` (``@user@host``; local ones lack the host)."""
    href = tag.get("href") if isinstance(tag.get("href"), str) else ""
    name = str(tag.get("name") or "").strip().lstrip("@")
    if name and "@" not in name and href:
        name = f"{name}@{_host(href)}"
    if name and _HANDLE.match(name):
        return name.lower()
    return handle_from_actor_url(href) if href else None


# -- detection ------------------------------------------------------------------------------
def _head(files: ExportFiles, name: str, size: int = 65536) -> bytes:
    return files.head(name, size)  # never raises; no BOM


def _members(files: ExportFiles) -> dict[str, str]:
    """Base name -> member of the export's Mastodon files.

    The export is recognised by its evidence (a JSON member that names ActivityStreams, or the
    following CSV's header); once it is, every member with a Mastodon export's file name is
    read, so that a damaged ``outbox.json`` is an error that names it, not a silent zero.
    """
    found: dict[str, str] = {}
    named: dict[str, str] = {}
    for name in files.find(*JSON_MEMBERS, FOLLOWING_CSV):
        base = name.rsplit("/", 1)[-1].lower()
        if base in found:
            continue
        named.setdefault(base, name)
        head = _head(files, name)
        if base == FOLLOWING_CSV:
            if head.lower().startswith(b"account address") or b"@" in head[:200]:
                found[base] = name
        elif b"activitystreams" in head:
            found[base] = name
    if found:
        for base, name in named.items():
            found.setdefault(base, name)
    return found


def detect(files: ExportFiles) -> bool:
    return bool(_members(files))


def check(files: ExportFiles) -> None:
    if not _members(files):
        raise SourceError(str(files.path), "not a Mastodon export (outbox.json, actor.json, likes.json "
                                           "or following_accounts.csv expected)")


# -- reading --------------------------------------------------------------------------------
class _Reader:
    def __init__(self, files: ExportFiles, options: ReadOptions) -> None:
        self.files = files
        self.options = options
        self.members = _members(files)
        self.account: str | None = None
        self.actor_id: str | None = None
        self.newest: datetime | None = None
        self.authors: dict[str, str] = {}  # actor URL -> handle, from mention tags
        self.status_authors: dict[str, str] = {}  # status URL -> handle, as resolved from the outbox
        self.people: dict[str, bool] = {}  # handle -> whether its PersonInfo had a URL

    def _json(self, base: str) -> Any:
        name = self.members.get(base)
        return None if name is None else self.files.read_json(name)

    def run(self) -> Iterator[Record]:
        actor, outbox = self._json("actor.json"), self._json("outbox.json")
        items = self._outbox_items(outbox)
        yield from self._own(actor, items)
        if items is not None:
            yield from self._outbox(items)
        if "likes.json" in self.members:
            yield from self._likes()
        if FOLLOWING_CSV in self.members:
            yield from self._following()

    # the own account
    def _own(self, actor: Any, items: list[Any] | None) -> Iterator[Record]:
        display_name = None
        if actor is not None:
            where = self.files.display(self.members["actor.json"])
            if not isinstance(actor, dict) or not isinstance(actor.get("id"), str) or not _str(
                    actor.get("preferredUsername")):
                raise SourceError(where, "not an ActivityPub actor (id and preferredUsername expected)")
            self.actor_id = actor["id"]
            self.account = f"{actor['preferredUsername']}@{_host(actor['id'])}".lower()
            display_name = _str(actor.get("name"))
        elif items:
            actors = {actor for i in items if isinstance(i, dict) and isinstance(actor := i.get("actor"), str)}
            if len(actors) == 1:
                actor_id = actors.pop()
                self.actor_id = actor_id
                self.account = handle_from_actor_url(actor_id)
        if self.account is None and self.options.account:
            self.account = self.options.account.strip().lstrip("@").lower()
        if self.account is None:
            raise SourceError(str(self.files.path), "cannot tell the own account; pass --account")
        if self.actor_id is None and _HANDLE.match(self.account):
            name, host = self.account.split("@", 1)
            self.actor_id = f"https://{host}/users/{name}"
        yield AccountInfo(PLATFORM, self.account, display_name, self.actor_id)

    def _own_url(self, url: str) -> bool:
        return bool(self.actor_id) and (url == self.actor_id or url.startswith(f"{self.actor_id}/"))

    def _outbox_items(self, outbox: Any) -> list[Any] | None:
        if outbox is None:
            return None
        items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
        if not isinstance(items, list):
            raise SourceError(self.files.display(self.members["outbox.json"]),
                              "not an ActivityPub outbox (an OrderedCollection with orderedItems expected)")
        return items

    # outbox
    def _outbox(self, items: list[Any]) -> Iterator[Record]:
        where = self.files.display(self.members["outbox.json"])
        for item in items:  # first pass: who every mentioned actor URL is
            note = item.get("object") if isinstance(item, dict) else None
            for tag in _list(note.get("tag") if isinstance(note, dict) else None):
                if isinstance(tag, dict) and tag.get("type") == "Mention" and isinstance(tag.get("href"), str):
                    if handle := _mention_handle(tag):
                        self.authors.setdefault(tag["href"], handle)
        for number, item in enumerate(items, 1):
            ref = f"item {number}"
            if not isinstance(item, dict):
                yield Rejected(where, ref, "not a JSON object")
                continue
            published = item.get("published")
            if published is None and isinstance(item.get("object"), dict):
                published = item["object"].get("published")
            try:
                ts = parse_ts(published)
            except BadTimestamp as exc:
                yield Rejected(where, ref, str(exc))
                continue
            if plausibility_problem(ts) is None and (self.newest is None or ts > self.newest):
                self.newest = ts
            kind = item.get("type")
            if kind == "Create":
                yield from self._create(item, ts, where, ref)
            elif kind == "Announce":
                yield from self._announce(item, ts, where, ref)
            else:
                yield Rejected(where, ref, f"unsupported activity type {str(kind)[:40]!r}")

    def _person(self, handle: str, actor_url: str | None) -> Iterator[Record]:
        if handle not in self.people or (actor_url and not self.people[handle]):
            self.people[handle] = bool(actor_url)
            yield PersonInfo(PLATFORM, handle, url=_profile_url(actor_url, handle) if actor_url else None)

    def _author_of_actor(self, url: str) -> str | None:
        return self.authors.get(url) or handle_from_actor_url(url)

    def _author_of_status(self, url: str) -> str | None:
        """The author of a status URL: a known actor whose URL prefixes it, else the URL's shape."""
        for actor_url, handle in self.authors.items():
            if url.startswith(f"{actor_url}/"):
                return handle
        return self.status_authors.get(url) or handle_from_status_url(url)

    def _create(self, item: dict[str, Any], ts: datetime, where: str, ref: str) -> Iterator[Record]:
        note = item.get("object")
        if not isinstance(note, dict):
            yield Rejected(where, ref, "Create without an embedded object")
            return
        if _str(note.get("type")) not in NOTE_TYPES or not _str(note.get("id")):
            yield Rejected(where, ref, f"unsupported object type {str(note.get('type'))[:40]!r} or missing id")
            return
        note_id: str = note["id"]
        text = html_to_text(note.get("content") if isinstance(note.get("content"), str) else None)
        reply_to = note.get("inReplyTo") if isinstance(note.get("inReplyTo"), str) else None
        thread = note.get("conversation") if isinstance(note.get("conversation"), str) else None
        tags = [t for t in _list(note.get("tag")) if isinstance(t, dict)]
        mentions: dict[str, str | None] = {}
        for tag in tags:
            if tag.get("type") == "Mention" and (handle := _mention_handle(tag)) and handle != self.account:
                mentions.setdefault(handle, tag.get("href") if isinstance(tag.get("href"), str) else None)
        target = self._reply_target(reply_to, mentions) if reply_to else None
        addressed = any(key in note or key in item for key in ("to", "cc"))
        audience = [a for key in ("to", "cc") for a in _strings(note.get(key) or item.get(key))]
        direct = addressed and not any(a in PUBLIC or a.endswith("/followers") for a in audience)
        common: dict[str, Any] = {"platform": PLATFORM, "account": self.account or "", "id": note_id, "text": text,
                                  "in_reply_to": reply_to, "thread": thread}
        if direct:  # a private mention: a conversation with its addressees, not a publication
            addressees = dict(mentions)
            for url in audience:
                if (handle := self._author_of_actor(url)) and handle != self.account:
                    addressees.setdefault(handle, url)
            for handle, href in addressees.items():
                yield from self._person(handle, href)
                yield Interaction(ts=ts, person=handle, direction="out", kind="dm", **common)
            return
        yield Post(ts=ts, platform=PLATFORM, account=self.account or "", id=note_id,
                   kind="reply" if reply_to else "post", text=text, in_reply_to=reply_to, thread=thread,
                   url=note.get("url") if isinstance(note.get("url"), str) else note_id)
        if reply_to and target is None:
            yield Rejected(where, ref, f"cannot tell whom the reply answers ({reply_to[:120]})")
        if target:
            yield from self._person(target, mentions.get(target) or _actor_of_status(reply_to or ""))
            yield Interaction(ts=ts, person=target, direction="out", kind="reply", **common)
        for handle, href in mentions.items():
            if handle != target:
                yield from self._person(handle, href)
                yield Interaction(ts=ts, person=handle, direction="out", kind="mention", **common)

    def _reply_target(self, reply_to: str, mentions: dict[str, str | None]) -> str | None:
        """The handle replied to; ``""`` for a reply to oneself (a thread continuation); ``None``: unknown."""
        if self._own_url(reply_to):
            return ""
        for mentioned, href in mentions.items():
            if href and reply_to.startswith(f"{href.rstrip('/')}/"):
                return mentioned
        handle = handle_from_status_url(reply_to)
        if handle is None:  # e.g. Misskey /notes/ID: the one account mentioned on that host
            same_host = [h for h, href in mentions.items() if href and _host(href) == _host(reply_to)]
            handle = same_host[0] if len(same_host) == 1 else None
        if handle == self.account:
            return ""
        if handle is not None:
            self.status_authors[reply_to] = handle
        return handle

    def _announce(self, item: dict[str, Any], ts: datetime, where: str, ref: str) -> Iterator[Record]:
        target = item.get("object")
        target = target.get("id") if isinstance(target, dict) else target
        if not isinstance(target, str) or not target or not _str(item.get("id")):
            yield Rejected(where, ref, "Announce without an object URL or id")
            return
        boost_id = item["id"].removesuffix("/activity")
        yield Post(ts=ts, platform=PLATFORM, account=self.account or "", id=boost_id, kind="repost", url=target)
        if self._own_url(target):
            return  # boosting one's own status is not an interaction
        addressees = [a for key in ("to", "cc") for a in _strings(item.get(key))
                      if a not in PUBLIC and not a.endswith("/followers") and not self._own_url(a)]
        actor_url = addressees[0] if len(addressees) == 1 else None
        author = (self._author_of_actor(actor_url) if actor_url else None) or self._author_of_status(target)
        if author is None:
            yield Rejected(where, ref, f"cannot tell whose status was boosted ({target[:120]})")
            return
        if author == self.account:
            return
        self.status_authors[target] = author
        yield from self._person(author, actor_url or _actor_of_status(target))
        yield Interaction(ts=ts, platform=PLATFORM, account=self.account or "", person=author,
                          direction="out", kind="repost", id=boost_id, in_reply_to=target)

    # likes
    def _likes(self) -> Iterator[Record]:
        name = self.members["likes.json"]
        where = self.files.display(name)
        data = self.files.read_json(name)
        items = data.get("orderedItems") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise SourceError(where, "not an ActivityPub collection (orderedItems expected)")
        for number, url in enumerate(items, 1):
            if isinstance(url, dict):
                url = url.get("id") or url.get("object")
            if not isinstance(url, str) or not url.startswith("http"):
                yield Rejected(where, f"like {number}", "not a status URL")
                continue
            if self._own_url(url):
                continue  # liking one's own status is not an interaction
            author = self._author_of_status(url)
            if author is None:
                yield Skipped(where, f"like {number}", f"the export does not say who wrote {url[:120]}")
                continue
            if author == self.account:
                continue
            yield from self._person(author, _actor_of_status(url))
            # Undated: the export has no time for likes, and none is invented.
            yield Interaction(ts=None, platform=PLATFORM, account=self.account or "", person=author,
                              direction="out", kind="like", id=url, in_reply_to=url)

    # follows
    def _snapshot_time(self) -> datetime | None:
        member = self.members.get("outbox.json") or self.members[FOLLOWING_CSV]
        for part in (*self.files.path.parts[::-1], *member.split("/")):
            if match := _ARCHIVE_DATE.search(part):
                try:
                    return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
                except ValueError:
                    continue
        return self.newest

    def _following(self) -> Iterator[Record]:
        name = self.members[FOLLOWING_CSV]
        where = self.files.display(name)
        snapshot = self._snapshot_time()
        if snapshot is None:
            yield Rejected(where, "whole file", "no date to take the following list at: import it together "
                                                "with outbox.json, or keep the archive-YYYYMMDDHHMMSS name")
            return
        rows = csv.reader(self.files.read_text(name).splitlines())
        for number, row in enumerate(rows, 1):
            if not row or not "".join(row).strip():
                continue
            cell = row[0].strip()
            if number == 1 and cell.lower() == "account address":
                continue
            match = _HANDLE.match(cell)
            if not match:
                yield Rejected(where, f"line {number}", f"not an account address: {cell[:60]!r}")
                continue
            yield FollowEdge(PLATFORM, self.account or "", cell.lstrip("@").lower(), "following", snapshot)


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    yield from _Reader(files, options).run()
