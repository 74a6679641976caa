"""Interactions: what people send the brand, and how (and whether, and when) the brand answers."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .community import Person
from .config import BRAND, DemoConfig
from .ids import Ids
from .posts import OwnPost, PostPicker
from .texts import inbound_text, reply_text, shoutout_text

TEXT_KINDS = ("reply", "mention", "quote", "dm", "comment")
KINDS = {
    "x": {"reply": 30, "like": 30, "repost": 10, "mention": 14, "quote": 6, "dm": 10},
    "mastodon": {"reply": 35, "like": 30, "repost": 15, "mention": 12, "dm": 8},
    "bluesky": {"reply": 32, "like": 33, "repost": 15, "mention": 12, "quote": 8},
    "instagram": {"comment": 45, "like": 35, "dm": 12, "mention": 8},
    "youtube": {"comment": 100},
}
PUBLIC_INTENTS = {"question": 20, "praise": 26, "negative": 5, "thanks": 9, "complaint": 7, "chat": 33}
DM_INTENTS = {"question": 42, "complaint": 25, "thanks": 13, "praise": 12, "chat": 8}
ANSWER = {"question": 0.85, "complaint": 0.85, "negative": 0.6, "praise": 0.45, "thanks": 0.25, "chat": 0.35,
          "followup": 0.3}
KIND_FACTOR = {"dm": 1.1, "reply": 1.0, "comment": 0.9, "mention": 0.8, "quote": 0.6}
FOLLOW_UP = {"champion": 0.55, "regular": 0.45, "rising": 0.45, "cooling": 0.35, "occasional": 0.25, "oneoff": 0.12}
#: Questions and complaints this recent are always answered, except the planted ones.
RECENT = timedelta(days=14)
#: The planted quiet champion: how long the brand has not engaged with them.
THANK_QUIET = timedelta(days=21)


@dataclass(slots=True)
class Event:
    """One row of a canonical events file, plus who it is in the simulation."""

    ts: datetime
    platform: str
    person: str
    direction: str
    kind: str
    id: str
    text: str | None = None
    in_reply_to: str | None = None
    thread: str | None = None
    pid: str = ""
    intent: str | None = None


@dataclass
class Activity:
    events: list[Event] = field(default_factory=list)
    own: list[OwnPost] = field(default_factory=list)  # X replies, reposts and shoutouts (go to tweets.js)
    unanswered: list[Event] = field(default_factory=list)  # planted


class Simulator:
    def __init__(self, config: DemoConfig, ids: Ids, posts: dict[str, list[OwnPost]]) -> None:
        self.config = config
        self.ids = ids
        self.rng = config.rng("activity")
        self.picker = PostPicker(posts)
        self.result = Activity()
        self._liked: set[tuple[str, str]] = set()
        self._dm_threads: dict[tuple[str, str], str] = {}
        #: A champion the brand has not engaged with lately (the queue's "thank"): in the last
        #: THANK_QUIET days they only like and repost, and the brand sends them nothing.
        self.quiet_champion: str | None = None

    # -- helpers ---------------------------------------------------------------------------------
    def _emit(self, person: Person, event: Event) -> Event | None:
        event.ts = event.ts.replace(microsecond=0)
        if event.ts >= self.config.end:
            return None
        event.pid = person.pid
        self.result.events.append(event)
        person.seen(event.ts)
        if event.direction == "in":
            person.inbound += 1
            person.texts += event.kind in TEXT_KINDS
        else:
            person.outbound += 1
        return event

    def _delay(self, median_minutes: float, sigma: float = 1.5) -> timedelta:
        minutes = math.exp(math.log(median_minutes) + self.rng.gauss(0, sigma))
        return timedelta(minutes=min(max(minutes, 2.0), 6 * 24 * 60), seconds=self.rng.randrange(60))

    def _item_id(self, person: Person, platform: str, ts: datetime) -> str:
        return self.ids.item(platform, ts, person.handles.get(platform, ""), person.did)

    def _brand_item_id(self, platform: str, ts: datetime, parent: str | None) -> str:
        if platform == "youtube":
            return self.ids.youtube_comment(parent)
        return self.ids.item(platform, ts, BRAND.mastodon_handle, BRAND.bluesky_did)

    def _dm_thread(self, person: Person, platform: str) -> str:
        key = (person.pid, platform)
        if key not in self._dm_threads:
            if platform == "x":
                a, b = sorted((int(person.x_id or 0), int(BRAND.x_account_id)))
                self._dm_threads[key] = f"{a}-{b}"
            elif platform == "instagram":
                self._dm_threads[key] = "3402823668417" + self.ids.instagram()[:11]
            else:
                self._dm_threads[key] = f"{platform}-dm-{self.ids.tid(person.start or self.config.start)}"
        return self._dm_threads[key]

    # -- one inbound touch -------------------------------------------------------------------------
    def _brand_quiet(self, person: Person, ts: datetime) -> bool:
        return person.pid == self.quiet_champion and ts >= self.config.end - THANK_QUIET

    def touch(self, person: Person, ts: datetime, platform: str) -> None:
        weights: dict[str, float] = dict(KINDS[platform])
        if self._brand_quiet(person, ts):
            self._reaction(person, ts, platform, "like" if self.rng.random() < 0.6 else "repost")
            return
        if person.archetype == "oneoff":
            weights = {k: w * (2.5 if k == "like" else 0.3 if k == "dm" else 1) for k, w in weights.items()}
        elif person.archetype in ("champion", "regular"):
            weights = {k: w * (1.8 if k == "dm" else 1.3 if k in ("reply", "comment") else 1)
                       for k, w in weights.items()}
        kind = self.rng.choices(list(weights), list(weights.values()))[0]
        if kind in ("like", "repost"):
            self._reaction(person, ts, platform, kind)
            return
        intents: dict[str, float] = dict(DM_INTENTS if kind == "dm" else PUBLIC_INTENTS)
        if person.archetype == "champion" and kind != "dm":
            intents = {k: w * (0.4 if k in ("complaint", "negative") else 1.4) for k, w in intents.items()}
        intent = self.rng.choices(list(intents), list(intents.values()))[0]
        event = self.inbound(person, ts, platform, kind, intent)
        if event is not None:
            self.respond(person, event)

    def inbound(self, person: Person, ts: datetime, platform: str, kind: str, intent: str) -> Event | None:
        """A message, reply, comment or mention from ``person``; kinds fall back when no post fits."""
        target = None
        if kind in ("reply", "comment", "quote"):
            target = self.picker.pick(self.rng, platform, ts, kind)
            if target is None and platform in ("instagram", "youtube"):
                target = self.picker.pick(self.rng, platform, ts, kind, max_age_days=60)
            if target is None:
                kind = "mention" if platform != "youtube" else "comment"
                if kind == "comment":
                    return None
        text = inbound_text(self.rng, intent)
        if kind == "mention" and platform in ("x", "bluesky", "mastodon", "instagram"):
            text = f"@{_brand_name(platform)} {text}"
        if kind == "dm":
            item = self.ids.dm(platform, ts, person.handles.get(platform, ""))
            event = Event(ts, platform, person.person_key(platform), "in", "dm", item, text, None,
                          self._dm_thread(person, platform), intent=intent)
        else:
            item = self._item_id(person, platform, ts)
            root = target.id if target is not None else item
            event = Event(ts, platform, person.person_key(platform), "in", kind, item, text,
                          target.id if target is not None else None, root, intent=intent)
            if target is not None:
                target.replies += kind in ("reply", "comment")
        return self._emit(person, event)

    def _reaction(self, person: Person, ts: datetime, platform: str, kind: str) -> None:
        target = self.picker.pick(self.rng, platform, ts, kind, max_age_days=10)
        if target is None or (person.pid, f"{kind}:{target.id}") in self._liked:
            return
        self._liked.add((person.pid, f"{kind}:{target.id}"))
        if kind == "like":
            item = (f"at://{person.did}/app.bsky.feed.like/{self.ids.tid(ts)}" if platform == "bluesky"
                    else f"like:{target.id}")
            target.likes += 1
        else:
            item = (f"at://{person.did}/app.bsky.feed.repost/{self.ids.tid(ts)}" if platform == "bluesky"
                    else self._item_id(person, platform, ts) + ("/activity" if platform == "mastodon" else ""))
            target.reposts += 1
        self._emit(person, Event(ts, platform, person.person_key(platform), "in", kind, item, None, target.id,
                                 target.id))

    # -- the brand's side ------------------------------------------------------------------------
    def answer_probability(self, person: Person, event: Event) -> float:
        p = ANSWER[event.intent or "chat"] * KIND_FACTOR.get(event.kind, 1.0)
        p *= 0.8 if event.ts < self.config.middle else 1.05
        p += {"champion": 0.15, "regular": 0.1}.get(person.archetype, 0.0)
        return min(p, 0.97)

    def respond(self, person: Person, event: Event, depth: int = 0) -> None:
        """Maybe answer ``event``: a reply, comment or DM after minutes to days; maybe a like."""
        rng = self.rng
        if event.kind != "dm" and rng.random() < 0.3 and not self._brand_quiet(person, event.ts + timedelta(days=1)):
            item = (f"at://{BRAND.bluesky_did}/app.bsky.feed.like/{self.ids.tid(event.ts)}"
                    if event.platform == "bluesky" else f"like:{event.id}")
            self._emit(person, Event(event.ts + self._delay(20), event.platform, event.person, "out", "like", item,
                                     None, event.id, event.thread))
        must = event.intent in ("question", "complaint") and event.ts > self.config.end - RECENT
        if not must and rng.random() >= self.answer_probability(person, event):
            if depth == 0 and event.kind in ("mention", "quote") and rng.random() < 0.15:
                self._brand_repost(person, event)
            return
        delay = self._delay(30 if event.kind == "dm" else 120)
        if must:
            delay = min(delay, (self.config.end - event.ts) / 2)
        reply = self._reply(person, event, event.ts + delay)
        if reply is None or depth > 0:
            return
        person.two_way += 1
        if rng.random() < FOLLOW_UP[person.archetype]:
            back = event.ts + delay + self._delay(40)
            follow = self._follow_up(person, event, reply, back)
            if follow is not None and rng.random() < 0.45:
                self.respond(person, follow, depth + 1)

    def _reply(self, person: Person, event: Event, ts: datetime) -> Event | None:
        if self._brand_quiet(person, ts):
            return None
        text = reply_text(self.rng, event.intent or "chat", person.first)
        platform = event.platform
        if event.kind == "dm":
            item = self.ids.dm(platform, ts, BRAND.mastodon_handle)
            return self._emit(person, Event(ts, platform, event.person, "out", "dm", item, text, None, event.thread))
        kind = "comment" if platform in ("instagram", "youtube") else "reply"
        parent = event.id if platform != "youtube" else event.id.split(".")[0]
        item = self._brand_item_id(platform, ts, parent)
        if platform == "x":
            text = f"@{person.handles['x']} {text}"
        out = self._emit(person, Event(ts, platform, event.person, "out", kind, item, text, event.id, event.thread))
        if out is not None and platform == "x":
            self.result.own.append(OwnPost("x", item, ts, "reply", text, mentions=[_x_who(person)],
                                           in_reply_to=event.id))
        return out

    def _follow_up(self, person: Person, event: Event, reply: Event, ts: datetime) -> Event | None:
        if person.cool_at is not None and ts >= person.cool_at:
            return None  # gone quiet: the late answer gets no reply
        text = inbound_text(self.rng, "followup")
        if event.kind == "dm":
            item = self.ids.dm(event.platform, ts, person.handles.get(event.platform, ""))
            follow = Event(ts, event.platform, event.person, "in", "dm", item, text, None, event.thread,
                           intent="followup")
        else:
            kind = "comment" if event.platform in ("instagram", "youtube") else "reply"
            item = (self.ids.youtube_comment(event.id.split(".")[0]) if event.platform == "youtube"
                    else self._item_id(person, event.platform, ts))
            follow = Event(ts, event.platform, event.person, "in", kind, item, text, reply.id, event.thread,
                           intent="followup")
        return self._emit(person, follow)

    def _brand_repost(self, person: Person, event: Event) -> None:
        if self._brand_quiet(person, event.ts + timedelta(days=1)):
            return
        ts = event.ts + self._delay(90)
        platform = event.platform
        if platform == "x":
            item = self.ids.x_status(ts)
            text = f"RT @{person.handles['x']}: {event.text}"
            if self._emit(person, Event(ts, "x", event.person, "out", "repost", item, text, event.id, event.thread)):
                self.result.own.append(OwnPost("x", item, ts, "repost", text, mentions=[_x_who(person)]))
        elif platform in ("mastodon", "bluesky"):
            item = (f"at://{BRAND.bluesky_did}/app.bsky.feed.repost/{self.ids.tid(ts)}" if platform == "bluesky"
                    else self.ids.mastodon_status(ts, BRAND.mastodon_handle) + "/activity")
            self._emit(person, Event(ts, platform, event.person, "out", "repost", item, None, event.id, event.thread))

    # -- planted truths and shoutouts --------------------------------------------------------------
    def plant_unanswered(self, people: list[Person]) -> None:
        """A few recent questions and complaints nobody answered: the queue must find them."""
        rng = self.config.rng("unanswered")
        pools = [
            [p for p in people if p.archetype in ("champion", "regular") and p.pid != self.quiet_champion],
            [p for p in people if p.archetype == "rising"],
            [p for p in people if p.archetype in ("occasional", "oneoff")],
        ]
        end = self.config.end
        last: dict[tuple[str, str], datetime] = {}
        for e in self.result.events:
            last[(e.pid, e.platform)] = max(e.ts, last.get((e.pid, e.platform), e.ts))
        # The planted message is the last word on that platform: nothing the brand sent later answers it.
        pools = [[p for p in pool if last.get((p.pid, p.home), self.config.start) < end - timedelta(hours=6)]
                 for pool in pools]
        n = self.config.n_unanswered
        chosen: list[Person] = []
        for share, pool in zip((0.3, 0.25, 1.0), pools):
            want = n - len(chosen) if share == 1.0 else max(1, round(n * share))
            chosen += rng.sample(pool, min(want, len(pool)))
        for index, person in enumerate(chosen):
            platform = person.home
            kind = rng.choice({"x": ("reply", "dm", "mention"), "mastodon": ("reply", "dm", "mention"),
                               "bluesky": ("reply", "mention"), "instagram": ("comment", "dm"),
                               "youtube": ("comment",)}[platform])
            earliest = max(end - timedelta(days=12), last.get((person.pid, platform), self.config.start))
            ts = earliest + (end - timedelta(hours=3) - earliest) * rng.uniform(0.05, 1.0)
            intent = "question" if index % 2 == 0 else "complaint"
            event = self.inbound(person, ts, platform, kind, intent)
            if event is not None:
                self.result.unanswered.append(event)

    def shoutouts(self, people: list[Person]) -> None:
        """Every other week the brand thanks a few recent X regulars by name (out mentions)."""
        rng = self.config.rng("shoutouts")
        fans = [p for p in people if p.archetype in ("champion", "regular", "rising") and "x" in p.platforms]
        when = self.config.start + timedelta(days=10)
        while when < self.config.end - timedelta(days=2):
            recent = [p for p in fans if any(when - timedelta(days=14) <= t < when and pl == "x"
                                             for t, pl in p.touches) and not self._brand_quiet(p, when)]
            if recent:
                chosen = rng.sample(recent, min(len(recent), rng.randint(2, 4)))
                ts = when.replace(hour=16, minute=rng.randrange(60), second=rng.randrange(60))
                text = shoutout_text(rng, [p.handles["x"] for p in chosen])
                item = self.ids.x_status(ts)
                self.result.own.append(OwnPost("x", item, ts, "shoutout", text,
                                               mentions=[_x_who(p) for p in chosen]))
                for person in chosen:
                    self._emit(person, Event(ts, "x", person.person_key("x"), "out", "mention", item, text))
            when += timedelta(days=14)


def _brand_name(platform: str) -> str:
    return {"x": BRAND.x_username, "mastodon": BRAND.mastodon_handle, "bluesky": BRAND.bluesky_handle,
            "instagram": BRAND.instagram_handle}[platform]


def _x_who(person: Person) -> tuple[str, str, str]:
    return (person.x_id or "", person.handles["x"], person.name)


def simulate(config: DemoConfig, ids: Ids, people: list[Person], posts: dict[str, list[OwnPost]]) -> Activity:
    sim = Simulator(config, ids, posts)
    quiet = [p for p in people if p.archetype == "champion" and p.home in ("mastodon", "bluesky", "instagram")]
    sim.quiet_champion = quiet[0].pid if quiet else None
    for person in people:
        for ts, platform in person.touches:
            sim.touch(person, ts, platform)
    sim.shoutouts(people)
    sim.plant_unanswered(people)
    sim.result.events.sort(key=lambda e: (e.ts, e.platform, e.id, e.person))
    sim.result.own.sort(key=lambda p: (p.ts, p.id))
    return sim.result
