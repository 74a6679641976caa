"""Bluesky through the ``atproto`` client: notifications, the own posts and replies, likes and
follows (the own repository's records), chat.

Every call goes through :class:`atproto.Client` (session, token refresh, the PDS switch after
login, the ``atproto-proxy`` header for chat), asking for the raw XRPC JSON so that the pages
saved for ingest are exactly what the server sent. Notifications, the author feed and the
``listRecords`` pages are saved as the API responses they are and read by
:mod:`tiescale.sources.bluesky`, the same parser as a saved export; chat messages are written in
the canonical events format (a getMessages page does not say who is in the conversation,
``listConvos`` does), with the message id as the dedupe key, as the export parser uses.
"""
from __future__ import annotations

import json
import time
from datetime import timezone
from pathlib import Path
from typing import Any
from collections.abc import Callable

import httpx
from atproto import Client, models
from atproto_client import exceptions as atp
from atproto_client.request import Request, Response

from ..timeparse import BadTimestamp, parse_ts
from .base import (
    AuthFailed, NotPermitted, Page, PlatformClient, RateLimited, Stream, SyncError, TransientError, wait_from_headers,
)
from .credentials import Connection, forget_session, load_session, save_session

PAGE_LIMIT = 100
CHAT_PAGE_LIMIT = 100
TIMEOUT_SECONDS = 30.0


def iso_position(value: Any) -> str | None:
    """A timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC: strings that sort in time order."""
    try:
        return parse_ts(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except (BadTimestamp, TypeError, ValueError):
        return None


def _error_text(exc: atp.RequestErrorBase) -> str:
    response = exc.response
    if response is None:
        return type(exc).__name__
    content = response.content
    detail = ""
    if isinstance(content, models.common.XrpcError):
        detail = f" {content.error}" + (f": {content.message}" if content.message else "")
    return f"HTTP {response.status_code}{detail}"[:300]


def _retry_after(headers: dict[str, Any], clock: Callable[[], float]) -> float | None:
    return wait_from_headers(headers, clock, "ratelimit-reset")


class BlueskyClient(PlatformClient):
    platform = "bluesky"

    def __init__(self, connection: Connection, clock: Callable[[], float] = time.time,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.connection = connection
        self.clock = clock
        self.pause: float | None = None  # seconds the last answer asked to wait before the next call
        self.timeout = timeout
        self.client = Client(base_url=connection.service, request=Request(timeout=timeout))
        self._chat: Client | None = None
        if not self._resume():
            password = connection.resolved_secret()
            self._call(lambda: self.client.login(connection.name, password.reveal(), fetch_bsky_profile=False),
                       "log in")
        me = self.client._session  # the session the login created (DID, handle, PDS)
        if me is None or not me.did:
            raise AuthFailed(f"bluesky:{connection.name}: the server did not return a session")
        self.account = me.did
        self.handle = me.handle
        save_session(connection, self.client.export_session_string())
        self.client.on_session_change(lambda _event, session: save_session(connection, session.export()))

    def _resume(self) -> bool:
        """Resume the saved session (refreshing it when due) instead of logging in again."""
        saved = load_session(self.connection)
        if saved is None:
            return False
        try:
            self.client.login(session_string=saved, fetch_bsky_profile=False)
            session = self.client._session
            if session is None or self.connection.account_id not in (None, session.did):
                raise AuthFailed("the saved session is for another account")
            if self.client._should_refresh_session():
                self._call(self.client._refresh_and_set_session, "refresh the session")
            return True
        except TransientError:
            raise
        except Exception:  # noqa: BLE001 - an unusable saved session: log in with the password instead
            forget_session(self.connection)
            self.client = Client(base_url=self.connection.service, request=Request(timeout=self.timeout))
            return False

    # -- calls -------------------------------------------------------------------------------
    def _call(self, action: Callable[[], Any], what: str) -> Any:
        """Run one client call, turning its failures into the runner's typed errors."""
        where = f"bluesky:{self.connection.name}: {what}"
        try:
            return action()
        except atp.RateLimitExceededError as exc:
            headers = exc.response.headers if exc.response is not None else {}
            raise RateLimited(f"{where}: rate limited ({_error_text(exc)})", _retry_after(headers, self.clock)) from None
        except atp.UnauthorizedError as exc:
            forget_session(self.connection)  # the next run logs in again
            raise AuthFailed(f"{where}: not authorised ({_error_text(exc)})") from None
        except atp.BadRequestError as exc:
            content = exc.response.content if exc.response is not None else None
            if isinstance(content, models.common.XrpcError) and content.error in ("ExpiredToken", "InvalidToken"):
                forget_session(self.connection)
                raise AuthFailed(f"{where}: {_error_text(exc)}") from None
            raise SyncError(f"{where}: refused ({_error_text(exc)})") from None
        except atp.NetworkError as exc:  # transport failures, and 409/413/502 answers
            raise TransientError(f"{where}: network error ({_error_text(exc)})") from None
        except atp.RequestException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            headers = exc.response.headers if exc.response is not None else {}
            if status >= 500 or status == 408:
                raise TransientError(f"{where}: server error ({_error_text(exc)})",
                                     _retry_after(headers, self.clock)) from None
            raise SyncError(f"{where}: {_error_text(exc)}") from None
        except httpx.LocalProtocolError as exc:  # a request this side could not even send
            raise SyncError(f"{where}: cannot send the request ({type(exc).__name__})") from None
        except httpx.TransportError as exc:  # e.g. the connection dropped before an answer
            raise TransientError(f"{where}: connection failed ({type(exc).__name__})") from None
        except atp.ModelError as exc:
            raise SyncError(f"{where}: unexpected answer ({str(exc)[:200]})") from None

    def _query(self, client: Client, nsid: str, params: Any, what: str) -> dict[str, Any]:
        response: Response = self._call(lambda: client.invoke_query(nsid, params=params), what)
        self.pause = None
        if str(response.headers.get("ratelimit-remaining", "")).strip() == "0":
            self.pause = _retry_after({"ratelimit-reset": response.headers.get("ratelimit-reset")}, self.clock)
        if not isinstance(response.content, dict):
            raise SyncError(f"bluesky:{self.connection.name}: {what}: the answer is not a JSON object")
        return response.content

    # -- streams -----------------------------------------------------------------------------
    def streams(self) -> list[Stream]:
        found = [
            Stream("notifications", "walk", self._notifications, self._notification_position,
                   self._save_json("notifications"), account_hint=self.account),
            Stream("posts", "walk", self._feed, self._feed_position, self._save_json("feed"),
                   account_hint=self.account),
            Stream("likes", "walk", self._records("app.bsky.feed.like"), self._record_position,
                   self._save_json("records"), account_hint=self.account),
            Stream("follows", "walk", self._records("app.bsky.graph.follow"), self._record_position,
                   self._save_json("records"), account_hint=self.account),
        ]
        try:
            found.extend(self._chat_streams())
        except NotPermitted as exc:
            found.append(Stream("chat", "walk", _nothing, _no_position, _no_save, skip_reason=str(exc)))
        return found

    def _notifications(self, cursor: str | None, since: str | None) -> Page:
        params = models.AppBskyNotificationListNotifications.Params(limit=PAGE_LIMIT, cursor=cursor)
        data = self._query(self.client, "app.bsky.notification.listNotifications", params, "listNotifications")
        return Page(_items(data, "notifications"), _str(data.get("cursor")))

    @staticmethod
    def _notification_position(item: dict[str, Any]) -> str | None:
        return iso_position(item.get("indexedAt"))

    def _feed(self, cursor: str | None, since: str | None) -> Page:
        params = models.AppBskyFeedGetAuthorFeed.Params(actor=self.account, filter="posts_with_replies",
                                                        limit=PAGE_LIMIT, cursor=cursor)
        data = self._query(self.client, "app.bsky.feed.getAuthorFeed", params, "getAuthorFeed")
        return Page(_items(data, "feed"), _str(data.get("cursor")))

    @staticmethod
    def _feed_position(item: dict[str, Any]) -> str | None:
        reason = _dict(item.get("reason"))
        kind = str(reason.get("$type") or "")
        if kind.endswith("#reasonPin"):
            return None  # a pinned post sits on top whatever its age
        if kind.endswith("#reasonRepost"):
            return iso_position(reason.get("indexedAt"))
        post = _dict(item.get("post"))
        return iso_position(post.get("indexedAt"))

    def _records(self, collection: str) -> Callable[[str | None, str | None], Page]:
        """The own repository's likes or follows (``listRecords``, newest first): outbound touchpoints."""
        def fetch(cursor: str | None, since: str | None) -> Page:
            params = models.ComAtprotoRepoListRecords.Params(repo=self.account, collection=collection,
                                                             limit=PAGE_LIMIT, cursor=cursor)
            data = self._query(self.client, "com.atproto.repo.listRecords", params, f"listRecords {collection}")
            return Page(_items(data, "records"), _str(data.get("cursor")))
        return fetch

    @staticmethod
    def _record_position(item: dict[str, Any]) -> str | None:
        value = _dict(item.get("value"))
        return iso_position(value.get("createdAt"))

    def _save_json(self, key: str) -> Callable[[list[dict[str, Any]], Path, str], tuple[Path, str]]:
        def save(items: list[dict[str, Any]], folder: Path, stem: str) -> tuple[Path, str]:
            path = folder / f"{stem}.json"
            path.write_text(json.dumps({key: items}, ensure_ascii=False), encoding="utf-8")
            return path, "bluesky"
        return save

    # chat
    def _chat_client(self) -> Client:
        if self._chat is None:
            self._chat = self.client.with_bsky_chat_proxy()
        return self._chat

    def _chat_streams(self) -> list[Stream]:
        convos: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = models.ChatBskyConvoListConvos.Params(limit=100, cursor=cursor)
            try:
                data = self._query(self._chat_client(), "chat.bsky.convo.listConvos", params, "listConvos")
            except (AuthFailed, SyncError) as exc:
                if isinstance(exc, TransientError):
                    raise
                raise NotPermitted(f"bluesky:{self.connection.name}: chat not read: this app password may not "
                                   "read direct messages (create one with 'Allow access to your direct "
                                   "messages')") from None
            convos.extend(_items(data, "convos"))
            cursor = _str(data.get("cursor"))
            if not cursor or not data.get("convos"):
                break
        streams = []
        for convo in convos:
            convo_id = _str(convo.get("id"))
            if convo_id is None:
                continue
            members = [m for m in convo.get("members") or [] if isinstance(m, dict) and _str(m.get("did"))]
            last = _dict(convo.get("lastMessage"))
            streams.append(Stream(
                f"chat:{convo_id}", "walk", self._messages(convo_id), self._message_position,
                self._save_messages(convo_id, members), newest_known=iso_position(last.get("sentAt"))))
        return streams

    def _messages(self, convo_id: str) -> Callable[[str | None, str | None], Page]:
        def fetch(cursor: str | None, since: str | None) -> Page:
            params = models.ChatBskyConvoGetMessages.Params(convo_id=convo_id, limit=CHAT_PAGE_LIMIT, cursor=cursor)
            data = self._query(self._chat_client(), "chat.bsky.convo.getMessages", params, "getMessages")
            return Page(_items(data, "messages"), _str(data.get("cursor")))
        return fetch

    @staticmethod
    def _message_position(item: dict[str, Any]) -> str | None:
        return iso_position(item.get("sentAt"))

    def _save_messages(self, convo_id: str, members: list[dict[str, Any]]
                       ) -> Callable[[list[dict[str, Any]], Path, str], tuple[Path, str]]:
        others = [m["did"] for m in members if m["did"] != self.account]

        def save(items: list[dict[str, Any]], folder: Path, stem: str) -> tuple[Path, str]:
            path = folder / f"{stem}.jsonl"
            with open(path, "w", encoding="utf-8") as handle:
                for message in items:
                    for row in _message_rows(message, self.account, others, convo_id):
                        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            return path, "events"
        return save

    def close(self) -> None:
        for client in (self.client, self._chat):
            if client is not None:
                client.request.close()


def _message_rows(message: dict[str, Any], own: str, others: list[str], convo_id: str) -> list[dict[str, Any]]:
    """One chat message as canonical events rows (as the export parser reads getMessages)."""
    sender = message.get("sender", {}).get("did") if isinstance(message.get("sender"), dict) else None
    message_id, sent = _str(message.get("id")), message.get("sentAt")
    kind = str(message.get("$type") or "chat.bsky.convo.defs#messageView")
    if not sender or not message_id or not kind.startswith("chat.bsky.convo.defs#") or not sent:
        return [{"ts": str(sent or ""), "account": own, "person": str(sender or ""), "direction": "in",
                 "kind": "dm", "platform": "bluesky", "id": message_id}]  # rejected by ingest, and counted
    text = message.get("text") if isinstance(message.get("text"), str) else None
    common = {"ts": sent, "account": own, "kind": "dm", "platform": "bluesky", "id": message_id, "text": text,
              "thread": f"chat:{convo_id}"}
    if sender != own:
        return [{**common, "person": sender, "direction": "in"}]
    return [{**common, "person": person, "direction": "out"} for person in others]


def _items(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    """An object of the API's JSON, or ``{}`` when the field is missing or of another type."""
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _nothing(cursor: str | None, since: str | None) -> Page:
    return Page([])


def _no_position(item: dict[str, Any]) -> str | None:
    return None


def _no_save(items: list[dict[str, Any]], folder: Path, stem: str) -> tuple[Path, str]:  # pragma: no cover
    raise SyncError("nothing to save")
