"""Bluesky: the repository ``.car`` export, and saved XRPC API JSON.

The repository (Settings -> Export my data, or ``com.atproto.sync.getRepo``) is a CAR file of
DAG-CBOR blocks; its commit names the repo's DID, which is the own account. The records are
walked through the Merkle search tree, so every record keeps its ``collection/rkey`` and its
``at://`` URI (the same id the API uses, so a CAR and API JSON of the same items dedupe):

- ``app.bsky.feed.post`` -> a :class:`Post` (``post``, ``reply`` or ``quote``); ``out/reply`` to the
  parent's author, ``out/quote`` to the quoted author, ``out/mention`` per mention facet (one
  interaction per person and post: reply before quote before mention; oneself never counts).
- ``app.bsky.feed.like`` / ``app.bsky.feed.repost`` -> ``out/like`` / ``out/repost`` dated
  ``createdAt`` (a repost is also a :class:`Post` of kind ``repost``).
- ``app.bsky.graph.follow`` -> ``out/follow`` dated ``createdAt``: a follow record carries its own
  date, which is more honest than a snapshot taken at export time. (A follow deleted since is
  gone from the repo, so unfollows are not seen.)
- ``app.bsky.actor.profile`` -> the own account's display name. Blocks, lists, starter packs,
  feed generators, threadgates are not interactions and are not imported.

Saved API JSON (one response per file, or a JSON list of pages):

- ``app.bsky.notification.listNotifications`` -> inbound ``like, repost, follow, mention, reply,
  quote`` (id = the notification's record URI; time = the record's ``createdAt``, else
  ``indexedAt``). The own account is the DID the notifications are about (``reasonSubject``, the
  liked/reposted/followed subject).
- ``chat.bsky.convo.getMessages`` -> ``dm`` in/out. The response does not name the own account nor
  the conversation, so the own DID comes from ``--account`` (a DID, or a handle seen in the export)
  or from another file of the same export; a message the own account sent goes to the other
  sender(s) of the file: save one conversation per file.
- ``app.bsky.feed.getAuthorFeed`` -> the own posts (with like/repost/reply counts) and reposts.
- ``com.atproto.repo.listRecords`` -> records as in the CAR.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Iterator

import libipld

from ..records import AccountInfo, Interaction, PersonInfo, Post, Record, Rejected, SourceError
from ..timeparse import BadTimestamp, parse_ts
from .contract import ReadOptions
from ._files import ExportFiles

FORMAT = "bluesky"
PLATFORM = "bluesky"
_DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]+$")
_AT_URI = re.compile(r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)(?:/([^/]+)/([^/?#]+))?")
NOTIFICATION_KINDS = {"like": "like", "repost": "repost", "follow": "follow", "mention": "mention",
                      "reply": "reply", "quote": "quote"}
#: Notification reasons that are not a touchpoint between the person and the own account's own
#: content (``*-via-repost``: someone liked or reposted a third party's post seen via our repost).
NOTIFICATION_SKIPPED = {"starterpack-joined", "verified", "unverified", "subscribed-post",
                        "like-via-repost", "repost-via-repost"}
#: A saved API response: an object (or a list of pages) with one of these lists at the top.
_JSON_SHAPE = re.compile(rb'^\s*\[?\s*\{.*?"(notifications|messages|feed|records)"\s*:\s*\[', re.DOTALL)
MAX_MST_DEPTH = 128


class _Skip(Exception):
    """An item that cannot be read: becomes a :class:`Rejected`."""


def did_of(uri: Any) -> str | None:
    """The DID in an ``at://`` URI (or a bare DID)."""
    if isinstance(uri, str):
        if _DID.match(uri):
            return uri
        if match := _AT_URI.match(uri):
            return match.group(1)
    return None


def web_url(uri: str) -> str | None:
    match = _AT_URI.match(uri)
    if match and match.group(2) == "app.bsky.feed.post":
        return f"https://bsky.app/profile/{match.group(1)}/post/{match.group(3)}"
    return None


def _str(value: Any) -> str | None:
    """A non-empty string, or ``None`` for anything else (responses are not trusted to be typed)."""
    return value if isinstance(value, str) and value else None


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _ts(*values: Any) -> datetime:
    for value in values:
        if value is not None:
            try:
                return parse_ts(value)
            except BadTimestamp as exc:
                raise _Skip(str(exc)) from None
    raise _Skip("no timestamp")


# -- detection ------------------------------------------------------------------------------
def _head(files: ExportFiles, name: str, size: int = 8192) -> bytes:
    return files.head(name, size)  # never raises; no BOM


def _is_car(head: bytes) -> bool:
    return b"\xa2eroots" in head[:12] and b"gversion" in head[:200]


def _members(files: ExportFiles) -> tuple[list[str], list[str]]:
    cars, jsons = [], []
    for name in files.names():
        lower = name.lower()
        if not lower.endswith((".car", ".json")) and len(files.names()) > 1:
            continue
        head = _head(files, name)
        if _is_car(head):
            cars.append(name)
        elif lower.endswith(".json") and (shape := _JSON_SHAPE.match(head)):
            # Chat messages carry chat.bsky.convo $types; the other responses at:// record URIs.
            if (b"chat.bsky.convo" if shape.group(1) == b"messages" else b"at://did:") in head:
                jsons.append(name)
    return cars, jsons


def detect(files: ExportFiles) -> bool:
    cars, jsons = _members(files)
    return bool(cars or jsons)


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not a Bluesky export (a repository .car, or saved API JSON: "
                                           "listNotifications, getMessages, getAuthorFeed, listRecords)")


# -- the repository CAR ---------------------------------------------------------------------
@dataclass
class _Source:
    name: str
    kind: str  # car | notifications | messages | feed | records
    data: Any = None
    own: str | None = None  # the own DID when the file itself says it


def _decode_car(data: bytes, where: str) -> tuple[str, dict[bytes, Any], Any]:
    try:
        header, blocks = libipld.decode_car(data)
    except Exception as exc:  # noqa: BLE001 - libipld reports bad bytes as ValueError, deep nesting as RecursionError
        raise SourceError(where, f"not a readable CAR file ({str(exc)[:120]})") from None
    roots = header.get("roots") if isinstance(header, dict) else None
    commit = blocks.get(roots[0]) if isinstance(roots, list) and roots and isinstance(roots[0], bytes) else None
    if not isinstance(commit, dict) or not did_of(commit.get("did")) or not isinstance(commit.get("data"), bytes):
        raise SourceError(where, "not a repository export: the CAR root is not a signed commit with a DID")
    return commit["did"], blocks, commit["data"]


def _walk_mst(blocks: dict[bytes, Any], root: bytes) -> Iterator[tuple[str, Any]]:
    """Every ``(collection/rkey, record CID)`` of the tree, in key order; raises on a broken tree."""
    seen: set[bytes] = set()

    def walk(cid: bytes, depth: int) -> Iterator[tuple[str, Any]]:
        if depth > MAX_MST_DEPTH or cid in seen:
            raise SourceError("", "the repository tree loops or is too deep")
        seen.add(cid)
        node = blocks.get(cid)
        if not isinstance(node, dict) or not isinstance(node.get("e"), list):
            raise SourceError("", "a repository tree node is missing from the CAR or malformed")
        if isinstance(node.get("l"), bytes):
            yield from walk(node["l"], depth + 1)
        key = b""
        for entry in node["e"]:
            if not (isinstance(entry, dict) and isinstance(entry.get("k"), bytes) and isinstance(entry.get("p"), int)):
                raise SourceError("", "a repository tree entry is malformed")
            key = key[: entry["p"]] + entry["k"]
            yield key.decode("utf-8", errors="replace"), entry.get("v")
            if isinstance(entry.get("t"), bytes):
                yield from walk(entry["t"], depth + 1)

    yield from walk(root, 0)


# -- reading --------------------------------------------------------------------------------
class _Reader:
    def __init__(self, files: ExportFiles, options: ReadOptions) -> None:
        self.files = files
        self.options = options
        self.handles: dict[str, str] = {}  # handle -> DID, from every profile view seen
        self.people: set[str] = set()

    def run(self) -> Iterator[Record]:
        cars, jsons = _members(self.files)
        sources = [self._load_car(name) for name in cars] + [s for n in jsons if (s := self._load_json(n))]
        if not sources:
            raise SourceError(str(self.files.path), "no Bluesky repository or API response found")
        for name in self.files.names():  # other API responses saved alongside: say they were not read
            if name.lower().endswith(".json") and all(s.name != name for s in sources) and re.search(
                    rb'"did:(plc|web):', _head(self.files, name)):
                yield Rejected(self.files.display(name), "whole file", "not a Bluesky response this importer "
                               "reads (listNotifications, getMessages, getAuthorFeed, listRecords)")
        known = {s.own for s in sources if s.own}
        accounts: set[str] = set()
        for source in sources:
            own = source.own or self._fallback_own(known, source)
            if own not in accounts:
                accounts.add(own)
                yield AccountInfo(PLATFORM, own, None, own)
            where = self.files.display(source.name)
            yield from getattr(self, f"_{source.kind}")(source, own, where)

    def _fallback_own(self, known: set[str], source: _Source) -> str:
        wanted = (self.options.account or "").strip().lstrip("@")
        if wanted:
            did = wanted if _DID.match(wanted) else self.handles.get(wanted.lower())
            if did:
                return did
            raise SourceError(self.files.display(source.name), f"--account {wanted!r} is not a DID and no "
                              "profile in this export names it; pass the account's DID (did:plc:...)")
        if len(known) == 1:
            return next(iter(known))
        raise SourceError(self.files.display(source.name), "cannot tell the own account; pass --account "
                          "with the account's DID (did:plc:...)")

    # loading
    def _load_car(self, name: str) -> _Source:
        where = self.files.display(name)
        did, blocks, root = _decode_car(self.files.read_bytes(name), where)
        return _Source(name, "car", (blocks, root), own=did)

    def _load_json(self, name: str) -> _Source | None:
        data = self.files.read_json(name)
        pages = data if isinstance(data, list) else [data]
        if not pages or not all(isinstance(p, dict) for p in pages):
            raise SourceError(self.files.display(name), "not a Bluesky API response (a JSON object expected)")
        for kind, key in (("notifications", "notifications"), ("messages", "messages"), ("feed", "feed"),
                          ("records", "records")):
            if all(isinstance(p.get(key), list) for p in pages):
                items = [item for p in pages for item in p[key]]
                source = _Source(name, kind, items)
                self._learn(source)
                return source
        if len(self.files.names()) == 1:
            raise SourceError(self.files.display(name), "not a Bluesky API response this importer reads "
                              "(listNotifications, getMessages, getAuthorFeed or listRecords expected)")
        return None

    def _learn(self, source: _Source) -> None:
        """Handles of every profile seen, and the own DID where the file says it."""
        candidates: set[str] = set()
        for item in source.data:
            for actor in (_get(item, "author"), _get(item, "post", "author"), _get(item, "reason", "by")):
                if isinstance(actor, dict) and did_of(actor.get("did")) and isinstance(actor.get("handle"), str):
                    self.handles[actor["handle"].lower()] = actor["did"]
            if source.kind == "notifications" and _str(_get(item, "reason")) in NOTIFICATION_KINDS:
                subject = _get(item, "record", "subject")  # a post (like, repost) or a DID (follow)
                for value in (_get(item, "reasonSubject"), _get(subject, "uri") or subject):
                    if did := did_of(value):
                        candidates.add(did)
            elif source.kind == "feed":
                by = _get(item, "reason", "by", "did") if _is_repost(item) else _get(item, "post", "author", "did")
                if did := did_of(by):
                    candidates.add(did)
            elif source.kind == "records" and (did := did_of(_get(item, "uri"))):
                candidates.add(did)
        if len(candidates) == 1:
            source.own = candidates.pop()

    def _person(self, did: str, actor: Any = None, username: str | None = None) -> Iterator[Record]:
        name = _str(_get(actor, "displayName"))
        handle = _str(_get(actor, "handle")) if isinstance(actor, dict) else username
        key = f"{did}\0{handle}\0{name}"
        if key not in self.people:
            self.people.add(key)
            yield PersonInfo(PLATFORM, did, display_name=name, url=f"https://bsky.app/profile/{did}",
                             username=handle if handle != "handle.invalid" else None)

    # the CAR and listRecords
    def _car(self, source: _Source, own: str, where: str) -> Iterator[Record]:
        blocks, root = source.data
        try:
            entries = list(_walk_mst(blocks, root))
        except SourceError as exc:
            raise SourceError(where, exc.reason) from None
        for key, cid in entries:
            collection, _, rkey = key.partition("/")
            value = blocks.get(cid) if isinstance(cid, bytes) else None
            if not collection or not rkey:
                yield Rejected(where, key[:80], "not a collection/rkey key")
            elif not isinstance(value, dict):
                yield Rejected(where, key, "record block missing from the CAR")
            else:
                yield from self._record(own, collection, rkey, value, where, key)

    def _records(self, source: _Source, own: str, where: str) -> Iterator[Record]:
        for number, item in enumerate(source.data, 1):
            match = _AT_URI.match(str(_get(item, "uri") or ""))
            if not match or not match.group(2) or not isinstance(_get(item, "value"), dict):
                yield Rejected(where, f"record {number}", "no at:// uri or value")
            elif match.group(1) != own:
                yield Rejected(where, f"record {number}", "a record of another repository than the own account's")
            else:
                yield from self._record(own, match.group(2), match.group(3), item["value"], where, f"record {number}")

    def _record(self, own: str, collection: str, rkey: str, value: dict[str, Any], where: str,
                ref: str) -> Iterator[Record]:
        uri = f"at://{own}/{collection}/{rkey}"
        try:
            if collection == "app.bsky.feed.post":
                yield from self._post(own, uri, value, None)
            elif collection in ("app.bsky.feed.like", "app.bsky.feed.repost"):
                subject = _get(value, "subject", "uri")
                person = did_of(subject)
                if person is None:
                    raise _Skip("no subject uri")
                ts, kind = _ts(value.get("createdAt")), collection.rsplit(".", 1)[-1]
                if kind == "repost":
                    yield Post(ts, PLATFORM, own, uri, kind="repost", url=web_url(str(subject)))
                if person != own:
                    yield Interaction(ts, PLATFORM, own, person, "out", kind, id=uri, in_reply_to=str(subject))
            elif collection == "app.bsky.graph.follow":
                person = did_of(value.get("subject"))
                if person is None:
                    raise _Skip("no subject DID")
                yield Interaction(_ts(value.get("createdAt")), PLATFORM, own, person, "out", "follow", id=uri)
            elif collection == "app.bsky.actor.profile" and rkey == "self":
                yield AccountInfo(PLATFORM, own, _str(value.get("displayName")), own)
        except _Skip as exc:
            yield Rejected(where, ref, str(exc))

    def _post(self, own: str, uri: str, record: Any, view: dict[str, Any] | None) -> Iterator[Record]:
        """One own post (a record, with its API view when there is one) and whom it touches."""
        if not isinstance(record, dict):
            raise _Skip("post without a record")
        ts = _ts(record.get("createdAt"), _get(view, "indexedAt"))
        text = record.get("text") if isinstance(record.get("text"), str) else None
        parent, root = _get(record, "reply", "parent", "uri"), _get(record, "reply", "root", "uri")
        parent = parent if isinstance(parent, str) else None
        embed = record.get("embed")
        quoted = _get(embed, "record", "uri") or _get(embed, "record", "record", "uri")
        quoted = quoted if isinstance(quoted, str) and _get(embed, "$type") in (
            "app.bsky.embed.record", "app.bsky.embed.recordWithMedia") else None
        counts = {k: v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62 else None for k, v in (
            ("likes", _get(view, "likeCount")), ("reposts", _get(view, "repostCount")),
            ("replies", _get(view, "replyCount")))}
        yield Post(ts, PLATFORM, own, uri, kind="reply" if parent else "quote" if quoted else "post", text=text,
                   in_reply_to=parent, thread=root if isinstance(root, str) else None, url=web_url(uri), **counts)
        touched: dict[str, tuple[str, str | None]] = {}
        if did := did_of(parent):
            touched[did] = ("reply", parent)
        if (did := did_of(quoted)) and did not in touched:
            touched[did] = ("quote", quoted)
        data = text.encode("utf-8") if text else b""
        facets = record.get("facets")
        for facet in facets if isinstance(facets, list) else []:
            features = _get(facet, "features")
            for feature in features if isinstance(features, list) else []:
                did = did_of(_get(feature, "did"))
                if _get(feature, "$type") != "app.bsky.richtext.facet#mention" or did is None:
                    continue
                start, end = _get(facet, "index", "byteStart"), _get(facet, "index", "byteEnd")
                if isinstance(start, int) and isinstance(end, int) and did != own:
                    name = data[start:end].decode("utf-8", errors="ignore").lstrip("@").strip()
                    if re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", name):
                        yield from self._person(did, username=name.lower())
                touched.setdefault(did, ("mention", parent))
        thread = root if isinstance(root, str) else None
        for person, (kind, target) in touched.items():
            if person != own:
                yield Interaction(ts, PLATFORM, own, person, "out", kind, id=uri, text=text,
                                  in_reply_to=target, thread=thread)

    # notifications
    def _notifications(self, source: _Source, own: str, where: str) -> Iterator[Record]:
        for number, item in enumerate(source.data, 1):
            ref = f"notification {number}"
            try:
                reason = _str(_get(item, "reason"))
                if reason in NOTIFICATION_SKIPPED:
                    continue
                kind = NOTIFICATION_KINDS.get(str(reason))
                if kind is None:
                    raise _Skip(f"unknown notification reason {str(reason)[:40]!r}")
                author, uri, record = _get(item, "author"), _get(item, "uri"), _get(item, "record")
                person = did_of(_get(author, "did"))
                if person is None or not isinstance(uri, str):
                    raise _Skip("no author DID or uri")
                if person == own:
                    continue
                ts = _ts(_get(record, "createdAt"), _get(item, "indexedAt"))
                text = _get(record, "text") if kind in ("mention", "reply", "quote") else None
                target = (_get(record, "reply", "parent", "uri") if kind in ("reply", "mention")
                          else _get(item, "reasonSubject") or _get(record, "subject", "uri"))
                root = _get(record, "reply", "root", "uri")
                yield from self._person(person, author)
                yield Interaction(ts, PLATFORM, own, person, "in", kind, id=uri,
                                  text=text if isinstance(text, str) else None,
                                  in_reply_to=target if isinstance(target, str) else None,
                                  thread=root if isinstance(root, str) else None,
                                  person_name=_str(_get(author, "displayName")))
            except _Skip as exc:
                yield Rejected(where, ref, str(exc))

    # chat
    def _messages(self, source: _Source, own: str, where: str) -> Iterator[Record]:
        senders = {did for m in source.data if (did := did_of(_get(m, "sender", "did")))}
        others = sorted(senders - {own})
        for number, message in enumerate(source.data, 1):
            ref = f"message {_get(message, 'id') or number}"
            try:
                kind = str(_get(message, "$type") or "chat.bsky.convo.defs#messageView")
                sender, message_id = did_of(_get(message, "sender", "did")), _get(message, "id")
                if sender is None or not isinstance(message_id, str) or not kind.startswith("chat.bsky.convo.defs#"):
                    raise _Skip("not a chat message (sender DID and id expected)")
                ts = _ts(_get(message, "sentAt"))
                text = _get(message, "text") if isinstance(_get(message, "text"), str) else None
                if sender != own:
                    yield Interaction(ts, PLATFORM, own, sender, "in", "dm", id=message_id, text=text)
                    continue
                if not others:
                    raise _Skip("cannot tell whom the message went to: no message from anyone else in this file")
                for person in others:
                    yield Interaction(ts, PLATFORM, own, person, "out", "dm", id=message_id, text=text)
            except _Skip as exc:
                yield Rejected(where, ref, str(exc))

    # the author feed
    def _feed(self, source: _Source, own: str, where: str) -> Iterator[Record]:
        named: set[tuple[str | None, str | None]] = set()
        for number, item in enumerate(source.data, 1):
            post = _get(item, "post")
            uri, author = _get(post, "uri"), did_of(_get(post, "author", "did"))
            ref = f"feed item {number}"
            try:
                if not isinstance(uri, str) or author is None:
                    raise _Skip("no post uri or author")
                if _is_repost(item):
                    if _get(item, "reason", "by", "did") != own:
                        continue
                    ts, repost_id = _ts(_get(item, "reason", "indexedAt")), _get(item, "reason", "uri")
                    if isinstance(repost_id, str):
                        yield Post(ts, PLATFORM, own, repost_id, kind="repost", url=web_url(uri))
                    if author != own:
                        yield from self._person(author, _get(post, "author"))
                        yield Interaction(ts, PLATFORM, own, author, "out", "repost",
                                          id=repost_id if isinstance(repost_id, str) else None, in_reply_to=uri)
                elif author == own:
                    name = _str(_get(post, "author", "displayName"))
                    handle = _str(_get(post, "author", "handle"))
                    handle = handle if handle != "handle.invalid" else None
                    if (name or handle) and (name, handle) not in named:
                        named.add((name, handle))
                        yield AccountInfo(PLATFORM, own, name, own, handle)
                    for view in (_get(item, "reply", "parent"), _get(item, "reply", "root")):
                        if isinstance(view, dict) and (did := did_of(_get(view, "author", "did"))) and did != own:
                            yield from self._person(did, view["author"])
                    yield from self._post(own, uri, _get(post, "record"), post)
            except _Skip as exc:
                yield Rejected(where, ref, str(exc))


def _is_repost(item: Any) -> bool:
    return str(_get(item, "reason", "$type") or "").endswith("#reasonRepost")


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    yield from _Reader(files, options).run()
