"""Mastodon through Mastodon.py: notifications, the own statuses, conversations, followers.

Mastodon.py makes every request (auth header, parameters, error types); a response hook on its
``requests`` session keeps the raw answer, so the page saved for ingest is the server's JSON and
the rate-limit headers (``Retry-After``, ``X-RateLimit-Reset``) are at hand when it answers 429.
Mastodon.py is told to ``throw`` on rate limits and not to check versions: waiting is the
runner's job (with an injectable sleep), and no extra request is made.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from collections.abc import Callable

import requests
from mastodon import Mastodon
from mastodon import errors as mst

from ..sources.mastodon_api import MARKER, handle_of, host_of
from .base import (
    AuthFailed, NotPermitted, Page, PlatformClient, RateLimited, Stream, SyncError, TransientError, wait_from_headers,
)
from .credentials import Connection

PAGE_LIMIT = 40
FOLLOWERS_PAGE_LIMIT = 80
TIMEOUT_SECONDS = 30.0
ID_WIDTH = 24


def id_position(value: Any) -> str | None:
    """A Mastodon id (digits) zero-padded so that ids sort as strings in time order."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text.zfill(ID_WIDTH) if text.isdigit() else None


def unpad(position: str | None) -> str | None:
    return None if position is None else (position.lstrip("0") or "0")


class _LastResponse:
    """A ``requests`` response hook: the last answer Mastodon.py received."""

    def __init__(self) -> None:
        self.response: requests.Response | None = None

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.response = response
        return response


def _wait_from_headers(headers: Any, clock: Callable[[], float]) -> float | None:
    return wait_from_headers(headers, clock, "X-RateLimit-Reset")


class MastodonClient(PlatformClient):
    platform = "mastodon"

    def __init__(self, connection: Connection, clock: Callable[[], float] = time.time,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.connection = connection
        self.clock = clock
        self.pause: float | None = None
        self.last = _LastResponse()
        session = requests.Session()
        session.hooks["response"].append(self.last)
        self.api = Mastodon(api_base_url=connection.service, access_token=connection.resolved_secret().reveal(),
                            ratelimit_method="throw", version_check_mode="none", request_timeout=timeout,
                            session=session, user_agent="tiescale-sync")
        self.me = self._raw(self.api.account_verify_credentials, "verify_credentials")
        if not isinstance(self.me, dict) or not self.me.get("id") or not self.me.get("acct"):
            raise SyncError(f"mastodon:{connection.name}: verify_credentials did not return an account")
        self.instance_host = host_of(connection.service)
        self.account = handle_of(self.me, self.instance_host) or connection.name
        self.account_id = str(self.me["id"])

    # -- calls -------------------------------------------------------------------------------
    def _raw(self, call: Callable[..., Any], what: str, **params: Any) -> Any:
        """Run one Mastodon.py call; return the raw JSON of its answer."""
        where = f"mastodon:{self.connection.name}: {what}"
        self.last.response = None
        try:
            call(**params)
        except mst.MastodonRatelimitError:
            headers = self.last.response.headers if self.last.response is not None else None
            raise RateLimited(f"{where}: rate limited (HTTP 429)", _wait_from_headers(headers, self.clock)) from None
        except mst.MastodonNetworkError as exc:
            raise TransientError(f"{where}: network error ({_first_line(exc)})") from None
        except mst.MastodonServerError as exc:
            headers = self.last.response.headers if self.last.response is not None else None
            raise TransientError(f"{where}: server error ({_api_error(exc)})", _wait_from_headers(headers, self.clock)
                                 if headers is not None and headers.get("Retry-After") else None) from None
        except mst.MastodonUnauthorizedError as exc:
            raise AuthFailed(f"{where}: not authorised ({_api_error(exc)})") from None
        except mst.MastodonAPIError as exc:
            status = self.last.response.status_code if self.last.response is not None else 0
            if status == 403:
                raise NotPermitted(f"{where}: not permitted ({_api_error(exc)}); the token may lack a scope") from None
            raise SyncError(f"{where}: {_api_error(exc)}") from None
        except mst.MastodonError as exc:
            raise SyncError(f"{where}: {_first_line(exc)}") from None
        response = self.last.response
        if response is None:
            raise SyncError(f"{where}: no answer recorded")
        self.pause = None
        if response.headers.get("X-RateLimit-Remaining", "").strip() == "0":
            self.pause = _wait_from_headers({"X-RateLimit-Reset": response.headers.get("X-RateLimit-Reset")},
                                            self.clock)
        try:
            return response.json()
        except ValueError:
            raise SyncError(f"{where}: the answer is not JSON") from None

    def _list(self, call: Callable[..., Any], what: str, **params: Any) -> list[dict[str, Any]]:
        data = self._raw(call, what, **{k: v for k, v in params.items() if v is not None})
        if not isinstance(data, list):
            raise SyncError(f"mastodon:{self.connection.name}: {what}: the answer is not a JSON list")
        return [item for item in data if isinstance(item, dict)]

    # -- streams -----------------------------------------------------------------------------
    def streams(self) -> list[Stream]:
        return [
            Stream("notifications", "forward", self._forward(self.api.notifications, "notifications"),
                   lambda item: id_position(item.get("id")), self._save("notifications")),
            Stream("statuses", "forward", self._forward(self.api.account_statuses, "statuses", id=self.account_id),
                   lambda item: id_position(item.get("id")), self._save("statuses")),
            Stream("conversations", "forward", self._forward(self.api.conversations, "conversations"),
                   lambda item: id_position((item.get("last_status") or {}).get("id")),
                   self._save("conversations")),
            Stream("followers", "snapshot", self._followers, lambda item: None, self._save("followers")),
        ]

    def _forward(self, call: Callable[..., Any], what: str, **fixed: Any) -> Callable[[str | None, str | None], Page]:
        def fetch(cursor: str | None, since: str | None) -> Page:
            return Page(self._list(call, what, min_id=unpad(since) or "0", limit=PAGE_LIMIT, **fixed))
        return fetch

    def _followers(self, cursor: str | None, since: str | None) -> Page:
        items = self._list(self.api.account_followers, "followers", id=self.account_id, max_id=cursor,
                           limit=FOLLOWERS_PAGE_LIMIT)
        response = self.last.response
        next_link = response.links.get("next", {}).get("url") if response is not None else None
        next_cursor: str | None = None
        if next_link:
            from urllib.parse import parse_qs, urlsplit
            max_ids = parse_qs(urlsplit(next_link).query).get("max_id")
            next_cursor = max_ids[0] if max_ids else None
        return Page(items, next_cursor)

    def _save(self, endpoint: str) -> Callable[[list[dict[str, Any]], Path, str], tuple[Path, str]]:
        def save(items: list[dict[str, Any]], folder: Path, stem: str) -> tuple[Path, str]:
            path = folder / f"{stem}.json"
            page = {"tiescale": MARKER, "endpoint": endpoint, "instance": self.connection.service,
                    "account": self.me, "fetched_at": datetime.now(timezone.utc).isoformat(), "items": items}
            path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
            return path, "mastodon-api"
        return save

    def close(self) -> None:
        self.api.session.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def _api_error(exc: mst.MastodonAPIError) -> str:
    args = [a for a in exc.args[1:] if a is not None]
    return " ".join(str(a) for a in args)[:300] if args else _first_line(exc)
