"""What the platform clients hand the runner: pages of API items, streams, and typed failures."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from collections.abc import Callable

from ..records import TiescaleError

#: How a stream is read incrementally.
#: ``walk``: newest first with an opaque cursor (Bluesky); the run walks down to the last high water.
#: ``forward``: oldest first after an id (Mastodon ``min_id``); each page moves the high water up.
#: ``snapshot``: the whole list every time (followers), taken at most once per ``SNAPSHOT_EVERY``.
Mode = Literal["walk", "forward", "snapshot"]


class SyncError(TiescaleError):
    """A sync step failed; the message never carries a secret."""


class TransientError(SyncError):
    """Worth retrying: a dropped connection, a timeout, a 5xx answer."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """The server said to slow down (429); ``retry_after`` is how long it asked to wait, if it said."""


class AuthFailed(SyncError):
    """The credentials were refused: retrying will not help."""


class NotPermitted(SyncError):
    """This credential may not read this stream (e.g. an app password without DM access)."""


@dataclass
class Page:
    items: list[dict[str, Any]]
    cursor: str | None = None  # walk/snapshot: the cursor of the next (older) page; None at the end


@dataclass
class Stream:
    """One incremental stream of one account, e.g. Bluesky ``notifications`` or ``chat:<convo>``."""

    name: str
    mode: Mode
    #: ``fetch(cursor, since)`` -> one page. walk/snapshot: ``cursor`` is the page cursor.
    #: forward: ``since`` is the high water (an id), the page holds what comes right after it.
    fetch: Callable[[str | None, str | None], Page]
    #: An item's position as a string that sorts in time order (a UTC timestamp, a zero-padded id).
    position: Callable[[dict[str, Any]], str | None]
    #: ``save(items, folder, stem)`` -> (file written, ingest format); the file goes through ingest.
    save: Callable[[list[dict[str, Any]], Path, str], tuple[Path, str]]
    #: Skip the stream when its high water is already at or past this position (e.g. a chat
    #: conversation whose last message is known).
    newest_known: str | None = None
    #: The ingest ``--account`` for the saved files, when the format needs it.
    account_hint: str | None = None
    #: Set when the stream cannot be read with this credential: reported as skipped.
    skip_reason: str | None = None


class PlatformClient:
    """A logged-in client of one connected account."""

    platform: str
    account: str  # the own account as the store names it (Bluesky DID, Mastodon user@host)

    def streams(self) -> list[Stream]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass


def wait_from_headers(headers: Any, clock: Callable[[], float], reset_header: str) -> float | None:
    """Seconds to wait before the next call: ``Retry-After`` (seconds or an HTTP date), else the
    platform's rate-limit reset header (unix seconds or an ISO 8601 time); None when neither says."""
    if headers is None:
        return None

    def header(name: str) -> Any:
        return headers.get(name) or headers.get(name.lower())

    value = header("Retry-After")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            from email.utils import parsedate_to_datetime
            try:
                return max(parsedate_to_datetime(value).timestamp() - clock(), 0.0)
            except (TypeError, ValueError):
                pass
    reset = header(reset_header)
    if reset:
        try:
            return max(float(reset) - clock(), 0.0)
        except ValueError:
            from ..timeparse import BadTimestamp, parse_ts
            try:
                return max(parse_ts(reset).timestamp() - clock(), 0.0)
            except (BadTimestamp, TypeError, ValueError):
                return None
    return None
