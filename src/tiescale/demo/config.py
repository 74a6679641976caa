"""The demo's knobs and the fictional brand it simulates.

Everything the generator does follows from :class:`DemoConfig`: the same config gives
byte-identical files. Nothing reads the clock.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, UTC
from typing import Any

UTC = UTC
PLATFORMS = ("x", "mastodon", "bluesky", "instagram", "youtube")
ARCHETYPES = ("champion", "regular", "rising", "cooling", "occasional", "oneoff")
#: Version of the generator: bump it when the generated data changes on purpose.
GENERATOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """How big, how long, which seed. ``end`` is fixed (not "now") so the demo is reproducible."""

    seed: int = 7
    n_people: int = 3000
    days: int = 365
    end: datetime = field(default_factory=lambda: datetime(2026, 11, 1, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.n_people < 50:
            raise ValueError("the demo needs at least 50 people")
        if self.days < 60:
            raise ValueError("the demo needs at least 60 days")
        if self.end.tzinfo is None:
            raise ValueError("end must be timezone-aware")

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    @property
    def middle(self) -> datetime:
        return self.start + timedelta(days=self.days / 2)

    def rng(self, part: str) -> random.Random:
        """An independent, seeded random stream for one part of the generator."""
        return random.Random(f"tiescale-demo/{GENERATOR_VERSION}/{self.seed}/{part}")

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["end"] = self.end.isoformat()
        data["generator_version"] = GENERATOR_VERSION
        return data

    # -- population sizes ---------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many simulated people of each archetype; the rest interact once or twice."""
        n = self.n_people
        counts = {
            "champion": max(2, round(n * 0.0025)),
            "regular": max(4, round(n * 0.015)),
            "rising": max(3, round(n * 0.01)),
            "cooling": max(3, round(n * 0.01)),
            "occasional": max(6, round(n * 0.12)),
        }
        counts["oneoff"] = n - sum(counts.values())
        return counts

    @property
    def followers_start(self) -> int:
        """X followers at the start: about 8,000 for 3,000 people."""
        return round(self.n_people * 8 / 3)

    @property
    def followers_end(self) -> int:
        """X followers at the end: about 12,000 for 3,000 people."""
        return self.n_people * 4

    @property
    def n_unanswered(self) -> int:
        return max(3, round(self.n_people * 0.004))


@dataclass(frozen=True, slots=True)
class Brand:
    """The fictional brand and its own accounts, as each source keys them."""

    name: str = "Fernhill Coffee Roasters"
    site: str = "https://fernhill.example"
    x_username: str = "fernhillcoffee"
    #: The X importer keys accounts and people by numeric id (names change, ids do not).
    x_account_id: str = "1380241455226167296"
    mastodon_host: str = "social.example"
    mastodon_user: str = "fernhill"
    bluesky_handle: str = "fernhillcoffee.bsky.social"
    bluesky_did: str = "did:plc:fernhill7coffee2roasters"
    instagram_handle: str = "fernhillcoffee"
    youtube_handle: str = "@fernhillcoffee"

    @property
    def mastodon_handle(self) -> str:
        return f"{self.mastodon_user}@{self.mastodon_host}"

    @property
    def mastodon_actor(self) -> str:
        return f"https://{self.mastodon_host}/users/{self.mastodon_user}"

    def account(self, platform: str) -> str:
        """The ``account`` column of the canonical events files, per platform."""
        return {
            "x": self.x_account_id,
            "mastodon": self.mastodon_handle,
            "bluesky": self.bluesky_handle,
            "instagram": self.instagram_handle,
            "youtube": self.youtube_handle,
        }[platform]


BRAND = Brand()
