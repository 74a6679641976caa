"""What the platform writers share: the post they are asked to make, what they answer, their errors.

A writer answers in place for a connected account (:mod:`.bluesky_write`, :mod:`.mastodon_write`).
Every write carries a key chosen before the platform is asked (``record_key``): Bluesky gets it as
the record key of the new record, Mastodon as the ``Idempotency-Key`` header. After a failure the
writer is asked :meth:`Writer.find_sent` with the same key, so a retry never posts twice.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from .base import SyncError


class ParentGone(SyncError):
    """The post or message being answered (or liked) no longer exists."""


class DmRefused(SyncError):
    """The person does not accept direct messages from this account."""


@dataclass(frozen=True)
class Draft:
    """What to post: a public ``reply`` to ``target``, a ``dm`` to ``person``, or a ``like`` of ``target``."""

    kind: str  # reply | dm | like
    person: str  # the identity's handle on the platform (Bluesky DID, Mastodon user@host)
    target: str | None  # the platform id of the message answered (at:// URI, status URI); None: a new DM
    text: str
    record_key: str  # chosen before sending; the same on every retry
    created_at: datetime  # when the key was chosen: a DM sent after it with the same text is this one


@dataclass(frozen=True)
class Sent:
    """What the platform made: its id (the touchpoint's id, so the next sync deduplicates) and link."""

    item_id: str
    url: str | None
    thread: str | None = None
    in_reply_to: str | None = None


class Writer:
    """A logged-in writer for one connected account."""

    platform: str
    account: str

    def preview(self, draft: Draft) -> str:  # pragma: no cover - interface
        """Exactly what would be posted, in words (``--dry-run``); asks the platform nothing."""
        raise NotImplementedError

    def send(self, draft: Draft) -> Sent:  # pragma: no cover - interface
        raise NotImplementedError

    def find_sent(self, draft: Draft) -> Sent | None:  # pragma: no cover - interface
        """The post made under ``draft.record_key``, if the platform has it (after a failure)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid_for(key: str, at: datetime) -> str:
    """A Bluesky record key (TID: 53 bits of microseconds, 10 bits of clock id, base32-sortable)
    from the moment the draft was made and its key: the same draft always gets the same TID."""
    micros = int(at.timestamp() * 1_000_000) & ((1 << 53) - 1)
    clock = int(hashlib.sha256(key.encode()).hexdigest(), 16) & 0x3FF
    value = (micros << 10) | clock
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


__all__ = ["DmRefused", "Draft", "ParentGone", "Sent", "Writer", "tid_for"]
