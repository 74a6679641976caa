"""The simulated people: who they are, where they are, and how they behave over the year."""
from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .config import ARCHETYPES, DemoConfig
from .ids import Ids
from .texts import FIRST_NAMES, HANDLE_PREFIXES, HANDLE_WORDS, LAST_NAMES

#: Where people live, by share of the community.
HOME_WEIGHTS = {"x": 34, "instagram": 26, "bluesky": 15, "mastodon": 12, "youtube": 13}
MASTODON_HOSTS = ("mastodon.example", "toot.example", "fedi.example", "coffee.example")
EMAIL_HOSTS = ("example.com", "example.net", "example.org")
#: Chance of being present on a second platform, with the same handle.
SECOND_PLATFORM = {"champion": 0.5, "regular": 0.35, "rising": 0.2, "cooling": 0.25, "occasional": 0.08, "oneoff": 0.03}


@dataclass
class Person:
    pid: str
    archetype: str
    name: str
    base: str  # the handle people pick everywhere (platform rules applied per platform)
    platforms: list[str]  # home first
    handles: dict[str, str]
    email: str
    x_id: str | None = None
    did: str | None = None
    start: datetime | None = None  # first day of activity
    cool_at: datetime | None = None  # cooling: the day they went quiet
    touches: list[tuple[datetime, str]] = field(default_factory=list)  # (ts, platform) of inbound activity
    # filled by the simulation
    inbound: int = 0
    outbound: int = 0
    two_way: int = 0
    texts: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None

    @property
    def first(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def home(self) -> str:
        return self.platforms[0]

    def person_key(self, platform: str) -> str:
        """The ``person`` column on that platform (X: the numeric id, as the X importer keys people)."""
        if platform == "x":
            assert self.x_id is not None
            return self.x_id
        return self.handles[platform]

    def seen(self, ts: datetime) -> None:
        self.first_ts = ts if self.first_ts is None or ts < self.first_ts else self.first_ts
        self.last_ts = ts if self.last_ts is None or ts > self.last_ts else self.last_ts


def normalized(handle: str) -> str:
    """How merge suggestions compare handles: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", handle.lower())


def platform_handle(rng: random.Random, base: str, platform: str) -> str:
    if platform == "x":
        return base[:15]
    if platform == "mastodon":
        return f"{base}@{rng.choice(MASTODON_HOSTS)}"
    if platform == "bluesky":
        return f"{base.replace('_', '-').replace('.', '-')}.bsky.social"
    if platform == "instagram":
        return base
    return f"@{base}"


def _base(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    for attempt in range(100):
        pattern = rng.randrange(6)
        word = rng.choice(HANDLE_WORDS)
        if pattern == 0:
            base = f"{first}{last}".lower()
        elif pattern == 1:
            base = f"{first}_{last[0]}".lower()
        elif pattern == 2:
            base = f"{first}.{word}".lower()
        elif pattern == 3:
            base = f"{rng.choice(HANDLE_PREFIXES)}{word}{rng.randint(1, 99)}"
        elif pattern == 4:
            base = f"{first}_{word}".lower()
        else:
            base = f"{last}{word}".lower()
        if attempt > 3:
            base = f"{base[:11]}{rng.randint(10, 9999)}"
        base = base[:15].rstrip("._")
        if len(normalized(base)) >= 4 and normalized(base) not in taken:
            taken.add(normalized(base))
            return base
    raise RuntimeError("could not find a free handle")  # pragma: no cover


def build_people(config: DemoConfig, ids: Ids) -> list[Person]:
    """The community, in a fixed order: champions first, one-off visitors last."""
    rng = config.rng("people")
    taken = {"fernhillcoffee", "fernhill"}
    emails: set[str] = set()
    people: list[Person] = []
    homes, weights = zip(*HOME_WEIGHTS.items())
    for archetype in ARCHETYPES:
        for _ in range(config.counts()[archetype]):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            base = _base(rng, first, last, taken)
            home = rng.choices(homes, weights)[0]
            platforms = [home]
            if rng.random() < SECOND_PLATFORM[archetype]:
                others = [p for p in homes if p != home]
                platforms.append(rng.choices(others, [HOME_WEIGHTS[p] for p in others])[0])
            handles = {p: platform_handle(rng, base, p) for p in platforms}
            email = ""
            while not email or email in emails:
                email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(EMAIL_HOSTS)}".lower()
            emails.add(email)
            person = Person(f"p{len(people) + 1:05d}", archetype, f"{first} {last}", base, platforms, handles, email)
            if "x" in platforms:
                person.x_id = ids.x_user()
            if "bluesky" in platforms:
                person.did = ids.did()
            _schedule(config, rng, person)
            people.append(person)
    return people


# -- when each person shows up ------------------------------------------------------------------
def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


HOURS = [1, 1, 1, 1, 1, 2, 4, 7, 9, 8, 7, 7, 8, 7, 6, 6, 7, 8, 9, 9, 8, 6, 4, 2]


def daytime(rng: random.Random, day_start: datetime, days: float) -> datetime:
    """A moment within ``days`` after ``day_start``, at a plausible hour."""
    day = day_start + timedelta(days=int(rng.random() * max(days, 1e-9)))
    hour = rng.choices(range(24), HOURS)[0]
    return day.replace(hour=0, minute=0, second=0) + timedelta(hours=hour, minutes=rng.randrange(60),
                                                                seconds=rng.randrange(60))


def _weekly(rng: random.Random, start: datetime, end: datetime,
            rate: Callable[[float], float], at_least_one: bool = False) -> list[datetime]:
    found = []
    week = start
    span = (end - start).total_seconds() or 1.0
    while week < end:
        n = _poisson(rng, rate((week - start).total_seconds() / span))
        if at_least_one:
            n = max(1, n)
        for _ in range(n):
            found.append(daytime(rng, week, 7))
        week += timedelta(days=7)
    return [t for t in found if t < end]


def _schedule(config: DemoConfig, rng: random.Random, person: Person) -> None:
    start, end = config.start, config.end
    kind = person.archetype
    if kind == "champion":
        person.start = start + timedelta(days=rng.uniform(0, 45))
        base = rng.uniform(2.0, 3.2)
        times = _weekly(rng, person.start, end, lambda f: base, at_least_one=True)
    elif kind == "regular":
        person.start = start + timedelta(days=rng.uniform(0, 120))
        base = rng.uniform(0.55, 1.2)
        times = _weekly(rng, person.start, end, lambda f: base)
    elif kind == "rising":
        # New in the last months and talking more every week: density grows with the square of time
        # (stratified, so the rise is there for every rising person, not just on average).
        person.start = end - timedelta(days=rng.uniform(45, 100))
        n = rng.randint(12, 24)
        span = end - timedelta(days=1) - person.start
        times = [daytime(rng, person.start + span * ((i + rng.random()) / n) ** (1 / 3), 1) for i in range(n)]
    elif kind == "cooling":
        person.start = start + timedelta(days=rng.uniform(0, 40))
        person.cool_at = end - timedelta(days=rng.uniform(75, 140))
        base = rng.uniform(0.9, 1.6)
        times = _weekly(rng, person.start, person.cool_at, lambda f: base)
    elif kind == "occasional":
        person.start = start + timedelta(days=rng.uniform(0, config.days - 30))
        n = rng.choices(range(3, 13), [14, 12, 10, 8, 6, 5, 4, 3, 2, 2])[0]
        window = (end - person.start).days
        times = [daytime(rng, person.start, window) for _ in range(n)]
    else:
        person.start = start + timedelta(days=rng.uniform(0, config.days - 1))
        times = [daytime(rng, person.start, 1)]
        if rng.random() < 0.3:
            times.append(daytime(rng, person.start, min(30, (end - person.start).days)))
    times = sorted(t for t in times if start <= t < end - timedelta(hours=1))
    if not times:
        times = [daytime(rng, min(person.cool_at or end, end) - timedelta(days=20), 10)]
    person.start = times[0]
    for ts in times:
        platform = person.home if len(person.platforms) == 1 or rng.random() < 0.8 else person.platforms[1]
        person.touches.append((ts, platform))
    if len(person.platforms) > 1 and all(p == person.home for _, p in person.touches):
        # present on both: at least one touch on the second platform
        if len(times) > 1:
            index = rng.randrange(1, len(times))
            person.touches[index] = (times[index], person.platforms[1])
        else:
            person.touches.append((min(times[0] + timedelta(days=rng.uniform(1, 20)), end - timedelta(hours=2)),
                                   person.platforms[1]))
