"""The typed records every source yields, and the errors it may raise.

Parsers in :mod:`tiescale.sources` are pure: they read files and yield these records,
knowing nothing of the store. The store turns them into rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DIRECTIONS = ("in", "out")
KNOWN_KINDS = (
    "reply", "mention", "quote", "repost", "like", "dm", "comment", "follow", "unfollow", "invitation",
)


@dataclass(slots=True)
class Interaction:
    """One touchpoint between the brand's own ``account`` and another ``person``.

    ``ts`` is timezone-aware, or ``None`` when the export honestly gives no time
    (X likes). ``id`` is the platform's id of the item; with ``person`` it is the
    dedupe key, so a post mentioning three people is three interactions.
    """

    ts: datetime | None
    platform: str
    account: str
    person: str
    direction: str
    kind: str
    id: str | None = None
    text: str | None = None
    in_reply_to: str | None = None
    thread: str | None = None
    person_name: str | None = None


@dataclass(slots=True)
class Post:
    """Something the own account published: a post, a reply, a repost or a comment."""

    ts: datetime | None
    platform: str
    account: str
    id: str
    kind: str = "post"  # post | reply | repost | quote | comment | share
    text: str | None = None
    in_reply_to: str | None = None
    thread: str | None = None
    url: str | None = None
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None


@dataclass(slots=True)
class PersonInfo:
    """What an export says about another party: names, e-mail, profile URL."""

    platform: str
    handle: str
    display_name: str | None = None
    email: str | None = None
    url: str | None = None
    username: str | None = None  # the @name people know, when ``handle`` is a numeric id


@dataclass(slots=True)
class AccountInfo:
    """The brand's own account, as the export names it.

    ``username`` is its @name where ``handle`` is an id (an X archive keys the account by number,
    its ``account.js`` names it): shown instead of the number."""

    platform: str
    handle: str
    display_name: str | None = None
    account_id: str | None = None
    username: str | None = None


@dataclass(slots=True)
class FollowEdge:
    """One line of a follower or following list taken at ``snapshot_at``.

    ``relation`` is ``follower`` (person follows account) or ``following``
    (account follows person). Successive snapshots become follow/unfollow events.
    """

    platform: str
    account: str
    person: str
    relation: str
    snapshot_at: datetime
    person_name: str | None = None


@dataclass(slots=True)
class Rejected:
    """A record that could not be read: counted, reported, never dropped silently."""

    file: str
    record: str
    reason: str


@dataclass(slots=True)
class Skipped:
    """A record read fine but left out on purpose (the export does not say who it involves).

    Counted and listed in the import log like a rejected row, but not an error: an import with
    skipped rows and no rejected ones is complete (status ok, exit code 0).
    """

    file: str
    record: str
    reason: str


Record = Interaction | Post | PersonInfo | AccountInfo | FollowEdge | Rejected | Skipped


class TiescaleError(Exception):
    """Base of every error tiescale reports as one clear line."""


class SourceError(TiescaleError):
    """A file that cannot be read at all: names the file, the record and the reason."""

    def __init__(self, file: str, reason: str, record: str | None = None) -> None:
        self.file = file
        self.record = record
        self.reason = reason
        where = f"{file}, {record}" if record else file
        super().__init__(f"{where}: {reason}")


class UsageError(TiescaleError):
    """A wrong flag or argument."""
