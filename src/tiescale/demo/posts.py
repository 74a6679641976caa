"""The brand's own posts: about one a day, selling too much in the first half, less later."""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .community import daytime
from .config import BRAND, DemoConfig
from .ids import Ids
from .texts import post_text

TOP_LEVEL = ("promotional", "relational", "value")
#: How much each kind of post attracts each kind of reaction (conversation follows relational posts).
ATTRACTS = {
    "reply": {"relational": 3.0, "value": 1.6, "promotional": 0.5},
    "comment": {"relational": 3.0, "value": 1.6, "promotional": 0.5},
    "quote": {"relational": 1.2, "value": 1.5, "promotional": 0.6},
    "like": {"relational": 1.6, "value": 1.5, "promotional": 0.7},
    "repost": {"relational": 1.0, "value": 2.2, "promotional": 0.5},
}


@dataclass
class OwnPost:
    """Something the brand published on one platform."""

    platform: str
    id: str
    ts: datetime
    category: str  # promotional | relational | value | shoutout | reply | repost
    text: str
    link: str | None = None
    #: X: (id, @name, display name) of people mentioned; the first is the reply target for replies.
    mentions: list[tuple[str, str, str]] = field(default_factory=list)
    in_reply_to: str | None = None
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    source: str | None = None  # the X post a cross-post copies

    @property
    def top_level(self) -> bool:
        return self.category in TOP_LEVEL


def promo_share(config: DemoConfig, ts: datetime) -> float:
    """About 40% promotional in the first half; from the middle, two weeks to fall to 15%."""
    after = (ts - config.middle).total_seconds() / 86400
    if after <= 0:
        return 0.40
    return max(0.15, 0.40 - 0.25 * after / 14)


class _Mix:
    """Chooses categories so the promotional share tracks :func:`promo_share` closely (error
    diffusion with a random threshold: random order, but no long streaks of luck)."""

    def __init__(self, rng: random.Random, config: DemoConfig) -> None:
        self.rng, self.config, self.debt = rng, config, 0.0

    def __call__(self, ts: datetime) -> str:
        self.debt += promo_share(self.config, ts)
        if self.debt >= self.rng.uniform(0.4, 1.0):
            self.debt -= 1.0
            return "promotional"
        return "relational" if self.rng.random() < 0.55 else "value"


def _post_id(ids: Ids, platform: str, ts: datetime) -> str:
    if platform == "x":
        return ids.x_status(ts)
    if platform == "mastodon":
        return ids.mastodon_status(ts, BRAND.mastodon_handle)
    if platform == "bluesky":
        return ids.bsky_post(ts, BRAND.bluesky_did)
    if platform == "instagram":
        return ids.instagram()
    return ids.youtube_video()


def build_posts(config: DemoConfig, ids: Ids) -> dict[str, list[OwnPost]]:
    """Own top-level posts per platform, by time: X daily, cross-posted to Mastodon and Bluesky;
    Instagram three times a week; a YouTube video a week (these two start a few days early so
    the first comments have something to land on)."""
    rng = config.rng("posts")
    mix = {p: _Mix(rng, config) for p in ("x", "instagram", "youtube")}
    posts: dict[str, list[OwnPost]] = {p: [] for p in ("x", "mastodon", "bluesky", "instagram", "youtube")}
    for day in range(config.days):
        start = config.start + timedelta(days=day)
        roll = rng.random()
        for _ in range(2 if roll < 0.1 else 1 if roll < 0.92 else 0):
            ts = daytime(rng, start, 1).replace(hour=rng.choice((8, 9, 10, 12, 15, 17)))
            category = mix["x"](ts)
            text, link = post_text(rng, category)
            source = OwnPost("x", ids.x_status(ts), ts, category, text, link)
            posts["x"].append(source)
            for platform, share, lag in (("mastodon", 0.6, 2), ("bluesky", 0.5, 4)):
                if rng.random() < share:
                    at = ts + timedelta(minutes=lag + rng.randrange(3))
                    posts[platform].append(OwnPost(platform, _post_id(ids, platform, at), at, category, text, link,
                                                   source=source.id))
    for platform, every, early in (("instagram", 7 / 3, 2), ("youtube", 7.0, 3)):
        at = config.start - timedelta(days=early)
        while at < config.end:
            ts = daytime(rng, at, 1)
            category = mix[platform](ts) if platform == "instagram" else (
                "value" if rng.random() < 0.6 else mix[platform](ts))
            text, link = post_text(rng, category)
            posts[platform].append(OwnPost(platform, _post_id(ids, platform, ts), ts, category, text, link))
            at += timedelta(days=every * rng.uniform(0.7, 1.3))
    return {platform: sorted((p for p in items if p.ts < config.end), key=lambda p: (p.ts, p.id))
            for platform, items in posts.items()}


class PostPicker:
    """Which own post a reply, comment, like or repost lands on: recent, and by what attracts it."""

    def __init__(self, posts: dict[str, list[OwnPost]]) -> None:
        self.posts = {p: [x for x in items if x.top_level] for p, items in posts.items()}
        self.times = {p: [x.ts for x in items] for p, items in self.posts.items()}

    def pick(self, rng: random.Random, platform: str, ts: datetime, kind: str,
             max_age_days: float = 7.0) -> OwnPost | None:
        index = bisect.bisect_left(self.times[platform], ts)
        recent = [p for p in self.posts[platform][max(0, index - 8):index]
                  if (ts - p.ts).total_seconds() < max_age_days * 86400]
        if not recent:
            return None
        weights = [ATTRACTS[kind][p.category] * 0.7 ** (len(recent) - i) for i, p in enumerate(recent)]
        return rng.choices(recent, weights)[0]
