"""Mastodon REST API responses (as saved by ``tiescale sync``) -> records.

A saved page is one JSON object: ``{"tiescale": "mastodon-api", "endpoint": E, "instance": URL,
"account": <the own Account from verify_credentials>, "fetched_at": ISO time, "items": [...]}``
where ``items`` is the API's own JSON for endpoint ``E``:

- ``notifications`` (``GET /api/v1/notifications``): ``mention`` -> ``in/reply`` when it answers
  one of the own statuses, ``in/dm`` when its visibility is ``direct``, else ``in/mention``;
  ``favourite`` -> ``in/like``, ``reblog`` -> ``in/repost``, ``follow`` -> ``in/follow``,
  ``quote`` -> ``in/quote``. Notifications that are not a touchpoint with a person (``poll``,
  ``status``, ``update``, ``follow_request``, ``admin.*``, ...) are skipped.
- ``statuses`` (``GET /api/v1/accounts/:id/statuses``, the own account): as the export's outbox:
  a :class:`Post` (``post``/``reply``; boosts ``repost``) plus ``out/reply``, ``out/mention``,
  ``out/repost``; a ``direct`` status is ``out/dm`` to each mentioned account and no Post.
- ``conversations`` (``GET /api/v1/conversations``): the last status of each: ``in/dm`` from its
  author, or ``out/dm`` to every other participant when the own account wrote it.
- ``followers`` (``GET /api/v1/accounts/:id/followers``): a follower snapshot taken at ``fetched_at``.

Ids are the status ``uri`` (the ActivityPub id), the same id the account export uses, so a sync
and an export of the same account deduplicate. People are ``name@host`` in lower case, as in
:mod:`tiescale.sources.mastodon`.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from collections.abc import Iterator
from urllib.parse import urlsplit

from ..records import AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Record, Rejected, SourceError
from ..timeparse import BadTimestamp, parse_ts
from .contract import ReadOptions
from ._files import ExportFiles
from ._text import html_to_text

FORMAT = "mastodon-api"
PLATFORM = "mastodon"
MARKER = "mastodon-api"
ENDPOINTS = ("notifications", "statuses", "conversations", "followers")
NOTIFICATION_KINDS = {"favourite": "like", "reblog": "repost", "follow": "follow", "quote": "quote"}
NOTIFICATION_SKIPPED = {"status", "update", "poll", "follow_request", "severed_relationships",
                        "moderation_warning", "quoted_update", "annual_report", "admin.sign_up", "admin.report"}
_MARKER = re.compile(rb'^\s*\{\s*"tiescale"\s*:\s*"mastodon-api"')


class _Skip(Exception):
    """An item that cannot be read: becomes a :class:`Rejected`."""


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int | None:
    """A count the API gives (favourites, boosts, replies): a non-negative integer, else unknown."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def host_of(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def handle_of(account: Any, local_host: str) -> str | None:
    """An Account's ``acct`` as ``name@host`` in lower case (local accounts lack the host)."""
    acct = _str(_get(account, "acct"))
    if acct is None:
        return None
    acct = acct.lstrip("@")
    if "@" not in acct:
        host = host_of(_str(_get(account, "url"))) or local_host
        acct = f"{acct}@{host}"
    return acct.lower()


def _ts(value: Any) -> datetime:
    try:
        return parse_ts(value)
    except BadTimestamp as exc:
        raise _Skip(str(exc)) from None


# -- detection ------------------------------------------------------------------------------
#: Detection opens JSON members to look for the marker; in a big export (thousands of JSON files
#: of another platform) only the members named like sync's pages are opened.
MAX_MEMBERS_OPENED = 50


def _members(files: ExportFiles) -> list[str]:
    names = [n for n in files.names() if n.lower().endswith(".json")]
    if len(names) > MAX_MEMBERS_OPENED:
        names = [n for n in names if "mastodon" in n.lower().rsplit("/", 1)[-1]][:MAX_MEMBERS_OPENED * 20]
    found = []
    for name in names:
        with files.open_binary(name) as handle:
            if _MARKER.match(handle.read(256)):
                found.append(name)
    return found


def detect(files: ExportFiles) -> bool:
    return bool(_members(files))


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), 'not a saved Mastodon API page ({"tiescale": "mastodon-api", ...})')


# -- reading --------------------------------------------------------------------------------
class _Page:
    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.where = where
        endpoint, items = data.get("endpoint"), data.get("items")
        if endpoint not in ENDPOINTS or not isinstance(items, list):
            raise SourceError(where, f"endpoint must be one of {', '.join(ENDPOINTS)} with an items list")
        self.endpoint: str = endpoint
        self.items: list[Any] = items
        self.own_account = data.get("account")
        own_id = _str(_get(self.own_account, "id"))
        self.local_host = host_of(_str(_get(self.own_account, "url"))) or host_of(_str(data.get("instance")))
        own = handle_of(self.own_account, self.local_host)
        if own is None or own_id is None:
            raise SourceError(where, "the page does not name the own account (account.id and account.acct)")
        self.own: str = own
        self.own_id: str = own_id
        own_uri = _str(_get(self.own_account, "uri"))
        name = self.own.split("@", 1)[0]
        self.own_uri = own_uri or f"https://{self.own.split('@', 1)[1]}/users/{name}"
        self.fetched_at = data.get("fetched_at")
        self.people: set[str] = set()

    def person(self, account: Any) -> tuple[str, Iterator[Record]]:
        handle = handle_of(account, self.local_host)
        if handle is None:
            raise _Skip("an account without acct")
        return handle, self._info(handle, account)

    def _info(self, handle: str, account: Any) -> Iterator[Record]:
        if handle not in self.people:
            self.people.add(handle)
            yield PersonInfo(PLATFORM, handle, display_name=_str(_get(account, "display_name")),
                             url=_str(_get(account, "url")))

    def parent_uri(self, status: Any) -> str | None:
        """The URI of the status answered, when it is one of the own statuses (the API gives only its id)."""
        parent = _str(_get(status, "in_reply_to_id"))
        if parent and _str(_get(status, "in_reply_to_account_id")) == self.own_id:
            return f"{self.own_uri}/statuses/{parent}"
        return None


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    members = _members(files)
    if not members:
        raise SourceError(str(files.path), "no saved Mastodon API page found")
    announced: set[str] = set()
    for name in members:
        where = files.display(name)
        data = files.read_json(name)
        if not isinstance(data, dict):
            raise SourceError(where, "a saved Mastodon API page is a JSON object")
        page = _Page(data, where)
        if page.own not in announced:
            announced.add(page.own)
            yield AccountInfo(PLATFORM, page.own, _str(_get(page.own_account, "display_name")), page.own_uri)
        reader = {"notifications": _notification, "statuses": _status, "conversations": _conversation,
                  "followers": _follower}[page.endpoint]
        for number, item in enumerate(page.items, 1):
            try:
                yield from reader(page, item)
            except _Skip as exc:
                ref = f"{page.endpoint[:-1]} {_str(_get(item, 'id')) or number}"
                yield Rejected(where, ref, str(exc))


def _notification(page: _Page, item: Any) -> Iterator[Record]:
    kind = _str(_get(item, "type"))
    if kind in NOTIFICATION_SKIPPED or (kind or "").startswith("admin."):
        return
    person, info = page.person(_get(item, "account"))
    if person == page.own:
        return
    status = _get(item, "status")
    name = _str(_get(item, "account", "display_name"))
    common: dict[str, Any] = {"platform": PLATFORM, "account": page.own, "person": person, "direction": "in",
                              "person_name": name}
    if kind == "mention":
        uri = _str(_get(status, "uri"))
        if uri is None:
            raise _Skip("a mention without its status")
        if _get(status, "visibility") == "direct":
            kind = "dm"
        elif _str(_get(status, "in_reply_to_account_id")) == page.own_id:
            kind = "reply"
        yield from info
        yield Interaction(ts=_ts(_get(status, "created_at") or _get(item, "created_at")), kind=kind, id=uri,
                          text=html_to_text(_str(_get(status, "content"))), in_reply_to=page.parent_uri(status),
                          **common)
        return
    if kind not in NOTIFICATION_KINDS:
        raise _Skip(f"unknown notification type {str(kind)[:40]!r}")
    ts = _ts(_get(item, "created_at"))
    target = _str(_get(status, "uri"))
    if kind == "follow":
        item_id = f"follow:{page.local_host}:{_str(_get(item, 'id'))}"
    elif kind == "quote":
        item_id = target or ""
        target = None
    else:
        if target is None:
            raise _Skip(f"a {kind} without its status")
        item_id = f"{kind}:{target}"
    yield from info
    yield Interaction(ts=ts, kind=NOTIFICATION_KINDS[kind], id=item_id or None, in_reply_to=target,
                      text=html_to_text(_str(_get(status, "content"))) if kind == "quote" else None, **common)


def _status(page: _Page, status: Any) -> Iterator[Record]:
    uri = _str(_get(status, "uri"))
    if uri is None:
        raise _Skip("a status without uri")
    ts = _ts(_get(status, "created_at"))
    boosted = _get(status, "reblog")
    if isinstance(boosted, dict):
        target = _str(boosted.get("uri"))
        yield Post(ts=ts, platform=PLATFORM, account=page.own, id=uri, kind="repost", url=target)
        person, info = page.person(boosted.get("account"))
        if person != page.own:
            yield from info
            yield Interaction(ts=ts, platform=PLATFORM, account=page.own, person=person, direction="out",
                              kind="repost", id=uri, in_reply_to=target)
        return
    text = html_to_text(_str(_get(status, "content")))
    mentions: dict[str, Any] = {}
    for mention in _get(status, "mentions") or []:
        handle = handle_of(mention, page.local_host)
        if handle and handle != page.own:
            mentions.setdefault(handle, mention)
    parent_id = _str(_get(status, "in_reply_to_id"))
    parent_uri = page.parent_uri(status)
    common: dict[str, Any] = {"platform": PLATFORM, "account": page.own, "id": uri, "text": text,
                              "in_reply_to": parent_uri}
    if _get(status, "visibility") == "direct":
        for handle, mention in mentions.items():
            yield from page._info(handle, mention)
            yield Interaction(ts=ts, person=handle, direction="out", kind="dm", **common)
        return
    yield Post(ts=ts, platform=PLATFORM, account=page.own, id=uri, kind="reply" if parent_id else "post", text=text,
               in_reply_to=parent_uri, url=_str(_get(status, "url")) or uri,
               likes=_count(_get(status, "favourites_count")), reposts=_count(_get(status, "reblogs_count")),
               replies=_count(_get(status, "replies_count")))
    target = None
    if parent_id and _str(_get(status, "in_reply_to_account_id")) != page.own_id:
        answered = _str(_get(status, "in_reply_to_account_id"))
        target = next((h for h, m in mentions.items() if _str(_get(m, "id")) == answered), None)
        if target is None:
            yield Rejected(page.where, f"status {_str(_get(status, 'id'))}", "cannot tell whom the reply answers")
    for handle, mention in mentions.items():
        yield from page._info(handle, mention)
        yield Interaction(ts=ts, person=handle, direction="out", kind="reply" if handle == target else "mention",
                          **common)


def _conversation(page: _Page, conversation: Any) -> Iterator[Record]:
    status = _get(conversation, "last_status")
    if not isinstance(status, dict):
        return  # a conversation whose last status was deleted
    uri = _str(status.get("uri"))
    if uri is None:
        raise _Skip("a conversation's last status without uri")
    ts = _ts(status.get("created_at"))
    text = html_to_text(_str(status.get("content")))
    author, info = page.person(status.get("account"))
    if author != page.own:
        yield from info
        yield Interaction(ts=ts, platform=PLATFORM, account=page.own, person=author, direction="in", kind="dm",
                          id=uri, text=text, in_reply_to=page.parent_uri(status),
                          person_name=_str(_get(status, "account", "display_name")))
        return
    for account in _get(conversation, "accounts") or []:
        person, info = page.person(account)
        if person != page.own:
            yield from info
            yield Interaction(ts=ts, platform=PLATFORM, account=page.own, person=person, direction="out",
                              kind="dm", id=uri, text=text, in_reply_to=page.parent_uri(status))


def _follower(page: _Page, account: Any) -> Iterator[Record]:
    snapshot = _ts(page.fetched_at)
    person, info = page.person(account)
    yield from info
    yield FollowEdge(PLATFORM, page.own, person, "follower", snapshot,
                     person_name=_str(_get(account, "display_name")))
