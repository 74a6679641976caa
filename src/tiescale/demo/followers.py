"""Follows: follow/unfollow events on Mastodon, Bluesky and Instagram, and monthly X follower
lists that grow from about 8,000 to 12,000 accounts, most of whom never say a word."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from .activity import Activity, Event
from .community import Person
from .config import BRAND, DemoConfig
from .ids import Ids

FOLLOWS = {"champion": 0.95, "regular": 0.9, "rising": 0.85, "cooling": 0.9, "occasional": 0.5, "oneoff": 0.3}
#: Cooling people who also unfollow after going quiet (the relationship ended).
UNFOLLOW_COOLING = 0.35
MONTHLY_CHURN = 0.012


@dataclass
class XFollowers:
    """X follower lists by date (account ids, newest follower first) and the following list."""

    snapshots: list[tuple[datetime, list[str]]] = field(default_factory=list)
    following: list[str] = field(default_factory=list)
    members: dict[str, tuple[datetime, datetime | None]] = field(default_factory=dict)  # id -> (joined, left)
    interacting: set[str] = field(default_factory=set)  # ids of followers who are simulated people

    def silent_ids(self) -> list[str]:
        return sorted(m for m in self.members if m not in self.interacting)


def snapshot_dates(config: DemoConfig) -> list[datetime]:
    """Monthly, on the end date's day of the month, from the start to the end."""
    dates = []
    year, month = config.end.year, config.end.month
    while True:
        day = min(config.end.day, calendar.monthrange(year, month)[1])
        at = config.end.replace(year=year, month=month, day=day)
        if at < config.start:
            break
        dates.append(at)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(dates)


def _follow_id(ids: Ids, platform: str, person: Person, ts: datetime, undo: bool) -> str:
    if platform == "bluesky":
        return f"at://{person.did}/app.bsky.graph.follow/{ids.tid(ts)}"
    if platform == "mastodon":
        user, host = person.handles["mastodon"].split("@", 1)
        return f"https://{host}/users/{user}#{'unfollows' if undo else 'follows'}/{ids.mastodon_number(ts)}"
    return f"{'unfollow' if undo else 'follow'}:{ids.instagram()}"


def build_follows(config: DemoConfig, ids: Ids, people: list[Person], activity: Activity) -> XFollowers:
    rng = config.rng("follows")
    x = XFollowers()
    for person in people:
        first_on: dict[str, datetime] = {}
        for ts, platform in person.touches:
            first_on.setdefault(platform, ts)
        for platform in person.platforms:
            if platform == "youtube" or rng.random() >= FOLLOWS[person.archetype]:
                continue
            followed = first_on.get(platform, person.first_ts or config.start) - timedelta(days=rng.uniform(0, 45))
            left = None
            if person.archetype == "cooling" and platform == person.home and rng.random() < UNFOLLOW_COOLING:
                assert person.cool_at is not None
                left = person.cool_at + timedelta(days=rng.uniform(10, 60))
                left = left if left < config.end else None
            if platform == "x":
                x.members[person.x_id or ""] = (followed, left)
                x.interacting.add(person.x_id or "")
                continue
            events = []
            if followed >= config.start:
                events.append(Event(followed, platform, person.person_key(platform), "in", "follow",
                                    _follow_id(ids, platform, person, followed, False)))
                if person.archetype in ("champion", "regular") and rng.random() < 0.6:
                    back = followed + timedelta(hours=rng.uniform(1, 72))
                    events.append(Event(back, platform, person.person_key(platform), "out", "follow",
                                        f"follow:{platform}:{ids.tid(back)}"))
            if left is not None:
                events.append(Event(left, platform, person.person_key(platform), "in", "unfollow",
                                    _follow_id(ids, platform, person, left, True)))
            for event in events:
                event.ts = event.ts.replace(microsecond=0)
                if event.ts < config.end:
                    event.pid = person.pid
                    activity.events.append(event)
                    person.seen(event.ts)
                    person.inbound += event.direction == "in"
                    person.outbound += event.direction == "out"
    _silent_followers(config, ids, x)
    _following(config, people, ids, x)
    activity.events.sort(key=lambda e: (e.ts, e.platform, e.id, e.person))
    return x


def _active(x: XFollowers, at: datetime, only: set[str] | None = None) -> list[str]:
    members = x.members if only is None else {m: x.members[m] for m in only}
    return [m for m, (joined, left) in members.items() if joined <= at and (left is None or left > at)]


def _silent_followers(config: DemoConfig, ids: Ids, x: XFollowers) -> None:
    """Fill the follower list around the people who talk: silent followers join and leave."""
    rng = config.rng("silent-followers")
    dates = snapshot_dates(config)
    total = (config.end - config.start).total_seconds()

    def target(at: datetime) -> int:
        frac = (at - config.start).total_seconds() / total
        return round(config.followers_start + (config.followers_end - config.followers_start) * float(frac ** 1.2))

    start = dates[0]
    for _ in range(max(0, target(start) - len(_active(x, start, x.interacting)))):
        x.members[ids.x_user()] = (start - timedelta(days=rng.uniform(1, 1500)), None)
    for previous, current in pairwise(dates):
        span = (current - previous).total_seconds()
        for member in sorted(_active(x, previous)):
            if member not in x.interacting and rng.random() < MONTHLY_CHURN:
                x.members[member] = (x.members[member][0], previous + timedelta(seconds=rng.uniform(0, span)))
        missing = target(current) - len(_active(x, current))
        for _ in range(max(0, missing)):
            x.members[ids.x_user()] = (previous + timedelta(seconds=rng.uniform(0, span)), None)
    for at in dates:
        active = _active(x, at)
        active.sort(key=lambda m: (x.members[m][0], m), reverse=True)
        x.snapshots.append((at, active))


def _following(config: DemoConfig, people: list[Person], ids: Ids, x: XFollowers) -> None:
    """The brand follows back most X champions and regulars, and a few other coffee accounts."""
    rng = config.rng("following")
    x.following = [p.x_id or "" for p in people
                   if "x" in p.platforms and p.archetype in ("champion", "regular") and rng.random() < 0.7]
    x.following += [ids.x_user() for _ in range(25)]
    assert BRAND.x_account_id not in x.following
