"""Platform-shaped ids, made deterministically from timestamps, counters and a seeded stream.

X and Mastodon ids are snowflakes (time in the high bits), Bluesky record keys are TIDs,
Instagram ids are long numbers, YouTube ids are URL-safe strings. Every id is unique.
"""
from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import datetime

from .config import BRAND

X_EPOCH_MS = 1288834974657
_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
_YT = string.ascii_letters + string.digits + "-_"


def _ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


class Ids:
    """All ids of one generated community; each call gives a new, unique id."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._counter = 0
        self._seen: set[str] = set()

    def _unique(self, make: Callable[[int], str]) -> str:
        while True:
            self._counter += 1
            value = make(self._counter)
            if value not in self._seen:
                self._seen.add(value)
                return value

    # -- X ---------------------------------------------------------------------------------
    def x_status(self, ts: datetime) -> str:
        return self._unique(lambda c: str(((_ms(ts) - X_EPOCH_MS) << 22) | (c & 0x3FFFFF)))

    def x_user(self) -> str:
        """An account id: an old short one, or a newer snowflake-sized one."""
        if self.rng.random() < 0.3:
            return self._unique(lambda c: str(self.rng.randrange(10_000_000, 3_000_000_000)))
        return self._unique(lambda c: str(self.rng.randrange(10**17, 185 * 10**16)))

    # -- Mastodon ------------------------------------------------------------------------------
    def mastodon_number(self, ts: datetime) -> str:
        return self._unique(lambda c: str((_ms(ts) << 16) | (c & 0xFFFF)))

    def mastodon_status(self, ts: datetime, handle: str) -> str:
        """The ActivityPub id of a status by ``user@host``."""
        user, host = handle.split("@", 1)
        return f"https://{host}/users/{user}/statuses/{self.mastodon_number(ts)}"

    # -- Bluesky --------------------------------------------------------------------------------
    def tid(self, ts: datetime) -> str:
        def make(c: int) -> str:
            value = (int(ts.timestamp() * 1_000_000) << 10) | (c & 0x3FF)
            chars = []
            for _ in range(13):
                chars.append(_B32_SORTABLE[value & 31])
                value >>= 5
            return "".join(reversed(chars))
        return self._unique(make)

    def did(self) -> str:
        return self._unique(lambda c: "did:plc:" + "".join(self.rng.choice(_B32_SORTABLE) for _ in range(24)))

    def bsky_post(self, ts: datetime, did: str) -> str:
        return f"at://{did}/app.bsky.feed.post/{self.tid(ts)}"

    # -- Instagram, YouTube --------------------------------------------------------------------
    def instagram(self) -> str:
        return self._unique(lambda c: str(17_840_000_000_000_000 + self.rng.randrange(10**14) * 100 + c % 100))

    def instagram_dm(self) -> str:
        return self._unique(lambda c: "aWdfZG1f" + "".join(self.rng.choice(_YT[:62]) for _ in range(24)))

    def youtube_video(self) -> str:
        return self._unique(lambda c: "".join(self.rng.choice(_YT) for _ in range(11)))

    def youtube_comment(self, parent: str | None = None) -> str:
        if parent:
            return self._unique(lambda c: f"{parent}.{''.join(self.rng.choice(_YT[:62]) for _ in range(22))}")
        return self._unique(lambda c: "Ugz" + "".join(self.rng.choice(_YT[:62]) for _ in range(21)) + "4AaABAg")

    # -- by platform -----------------------------------------------------------------------------
    def item(self, platform: str, ts: datetime, author: str, did: str | None = None) -> str:
        """The id of a post, reply, comment or mention written on ``platform`` by ``author``."""
        if platform == "x":
            return self.x_status(ts)
        if platform == "mastodon":
            return self.mastodon_status(ts, author)
        if platform == "bluesky":
            return self.bsky_post(ts, did or BRAND.bluesky_did)
        if platform == "instagram":
            return self.instagram()
        return self.youtube_comment()

    def dm(self, platform: str, ts: datetime, author: str) -> str:
        if platform == "x":
            return self.x_status(ts)
        if platform == "mastodon":
            return self.mastodon_status(ts, author)
        if platform == "bluesky":
            return self.tid(ts)
        return self.instagram_dm()
