"""From a :class:`DemoConfig` to files on disk: the whole simulated year, and its planted truths.

The folder holds::

    README.txt          what this is (simulated data for a fictional brand)
    demo.json           the config that made it (marks the folder as the demo's own)
    truth.json          the planted truths: champions, rising, cooling, unanswered, ...
    events/<platform>.csv   interactions, canonical events format (one file per platform)
    x-archive/          own X posts, account, follower lists (X archive layout)
    mastodon/           own Mastodon posts (outbox.json, actor.json)
    conversions.csv     orders, linked to relationship strength by simulation
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .activity import Activity, Event, simulate
from .commerce import COLUMNS, Order, build_orders
from .community import Person, build_people
from .config import ARCHETYPES, BRAND, PLATFORMS, DemoConfig
from .followers import XFollowers, build_follows
from .formats import iso, write_events, write_mastodon, write_x_archive
from .ids import Ids
from .posts import OwnPost, build_posts
from .whatsapp import write_whatsapp

MARKER = "demo.json"
SIMULATED = "This is simulated data for a fictional brand"
ANON_LIKES = {"relational": 6.0, "value": 9.0, "promotional": 3.0}


@dataclass(frozen=True)
class DemoFiles:
    folder: Path
    events: list[Path]
    x_archive: Path
    mastodon: Path
    conversions: Path
    truth: Path
    whatsapp: Path

    def all_files(self) -> list[Path]:
        return sorted(p for p in self.folder.rglob("*") if p.is_file())


@dataclass
class Community:
    """Everything simulated, before it is written."""

    config: DemoConfig
    people: list[Person]
    posts: dict[str, list[OwnPost]]
    activity: Activity
    followers: XFollowers
    orders: list[Order]


def simulate_community(config: DemoConfig) -> Community:
    ids = Ids(config.rng("ids"))
    people = build_people(config, ids)
    posts = build_posts(config, ids)
    activity = simulate(config, ids, people, posts)
    followers = build_follows(config, ids, people, activity)
    orders = build_orders(config, people, followers)
    rng = config.rng("post-counts")
    scale = config.n_people / 3000
    for post in posts["x"]:
        post.likes += int(rng.expovariate(1 / (ANON_LIKES[post.category] * scale)))
        post.reposts += int(rng.expovariate(1 / max(0.2, ANON_LIKES[post.category] * scale / 5)))
    return Community(config, people, posts, activity, followers, orders)


def write_demo_files(config: DemoConfig, folder: Path) -> DemoFiles:
    """Simulate and write every file into ``folder`` (created; files in it are overwritten)."""
    world = simulate_community(config)
    folder.mkdir(parents=True, exist_ok=True)
    # The marker first: a folder left half-written by an interrupted run is still the demo's own.
    (folder / MARKER).write_text(json.dumps({
        "generator": "tiescale demo", "simulated": True, "brand": BRAND.name, "config": config.as_json(),
    }, indent=1) + "\n", encoding="utf-8")
    events = write_events(folder / "events", world.activity.events)
    x_posts = world.posts["x"] + world.activity.own
    x_archive = write_x_archive(folder / "x-archive", config, x_posts, world.followers)
    mastodon = write_mastodon(folder / "mastodon", world.posts["mastodon"])
    whatsapp = write_whatsapp(folder / "whatsapp", config)
    conversions = folder / "conversions.csv"
    with open(conversions, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(order.row() for order in world.orders)
    truth = folder / "truth.json"
    truth.write_text(truth_json(build_truth(world)), encoding="utf-8")
    (folder / "README.txt").write_text(
        f"{SIMULATED} ({BRAND.name}), written by `tiescale demo` (seed {config.seed}, {config.n_people:,} "
        f"people, {config.start:%Y-%m-%d} .. {config.end:%Y-%m-%d}).\nNo real people: every name, handle, "
        "message and order is made up.\n\n"
        "events/<platform>.csv  interactions in the canonical events format (tiescale ingest events/x.csv)\n"
        "x-archive/             own X posts, account and monthly follower lists, as an X archive folder\n"
        "mastodon/              own Mastodon posts: outbox.json and actor.json\n"
        "conversions.csv        orders (tiescale ingest conversions.csv --format conversions)\n"
        "whatsapp/              customers' chats with the business number, as WhatsApp's Export chat text\n"
        "truth.json             what was planted: champions, rising, cooling, unanswered questions, ...\n",
        encoding="utf-8",
    )
    return DemoFiles(folder, events, x_archive, mastodon, conversions, truth, whatsapp)


# -- the planted truths ------------------------------------------------------------------------------
def truth_json(value: dict[str, Any]) -> str:
    """Readable and quick: one line per top-level key, one line per item of long lists."""
    def dump(item: Any) -> str:
        return json.dumps(item, ensure_ascii=False, separators=(", ", ": "))

    lines = []
    for key, item in value.items():
        if isinstance(item, list) and item:
            body = "[\n" + ",\n".join(f"  {dump(x)}" for x in item) + "\n ]"
        elif isinstance(item, dict) and any(isinstance(v, list) and len(v) > 3 for v in item.values()):
            body = "{\n" + ",\n".join(
                f"  {dump(k)}: " + ("[\n" + ",\n".join(f"   {dump(x)}" for x in v) + "\n  ]"
                                    if isinstance(v, list) and v else dump(v))
                for k, v in item.items()) + "\n }"
        else:
            body = dump(item)
        lines.append(f" {dump(key)}: {body}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _ref(person: Person, present: set[tuple[str, str]]) -> dict[str, Any]:
    """A simulated person as the store knows them: identities with at least one interaction."""
    return {
        "pid": person.pid, "name": person.name,
        "identities": [[p, person.person_key(p)] for p in person.platforms if (person.pid, p) in present],
        "handles": dict(person.handles),
    }


def _of(people: list[Person], archetype: str) -> list[Person]:
    return [p for p in people if p.archetype == archetype]


def _event_ref(event: Event) -> dict[str, Any]:
    return {"pid": event.pid, "platform": event.platform, "person": event.person, "id": event.id,
            "kind": event.kind, "intent": event.intent, "ts": iso(event.ts), "text": event.text}


def _share(posts: list[OwnPost], config: DemoConfig, first_half: bool) -> float:
    chosen = [p for p in posts if p.top_level and (p.ts < config.middle) == first_half]
    return round(sum(p.category == "promotional" for p in chosen) / max(1, len(chosen)), 4)


def build_truth(world: Community) -> dict[str, Any]:
    config, people = world.config, world.people
    orders_by: dict[str, list[Order]] = {}
    for order in world.orders:
        orders_by.setdefault(order.who, []).append(order)
    by_archetype = {}
    for archetype in ARCHETYPES:
        group = [p for p in people if p.archetype == archetype]
        buyers = [p for p in group if p.pid in orders_by]
        by_archetype[archetype] = {
            "people": len(group), "buyers": len(buyers),
            "conversion_rate": round(len(buyers) / max(1, len(group)), 4),
            "orders": sum(len(orders_by[p.pid]) for p in buyers),
            "revenue": round(sum(o.value for p in buyers for o in orders_by[p.pid]), 2),
        }
    silent = world.followers.silent_ids()
    silent_buyers = {o.who for o in world.orders if o.who.startswith("follower:")}
    by_archetype["silent_follower"] = {
        "people": len(silent), "buyers": len(silent_buyers),
        "conversion_rate": round(len(silent_buyers) / max(1, len(silent)), 4),
        "orders": sum(len(orders_by[w]) for w in silent_buyers),
        "revenue": round(sum(o.value for w in silent_buyers for o in orders_by[w]), 2),
    }
    counts: dict[str, dict[str, int]] = {p: {} for p in PLATFORMS}
    present = {(e.pid, e.platform) for e in world.activity.events}
    for event in world.activity.events:
        counts[event.platform][event.kind] = counts[event.platform].get(event.kind, 0) + 1

    def refs(archetype: str) -> list[dict[str, Any]]:
        return [_ref(p, present) for p in people if p.archetype == archetype]

    return {
        "simulated": True,
        "note": f"{SIMULATED} ({BRAND.name}). Planted truths for tests of scores, queue and revenue.",
        "legend": {
            "identities": "[platform, person] as stored (the events files' person column; on X the numeric "
                          "account id, as the X archive keys people); handles: the @names people use",
            "champions": "talk nearly every week all year", "regulars": "talk a few times a month",
            "rising": "new in the last 45-100 days, more every week",
            "cooling": "were regulars, no word since quiet_since (some unfollowed)",
            "unanswered": "recent questions and complaints the brand never answered: the only questions or "
                          "complaints of the last 14 days without an answer",
            "same_handle": "people with the same handle on two platforms (merge suggestions)",
            "orders.by_group": "purchases by group; silent_follower: X followers who never interacted",
        },
        "config": config.as_json(),
        "window": {"start": iso(config.start), "middle": iso(config.middle), "end": iso(config.end),
                   "unanswered_recent_days": 14},
        "accounts": {p: BRAND.account(p) for p in PLATFORMS} | {"x_username": BRAND.x_username},
        "interactions": counts,
        "champions": refs("champion"),
        "regulars": refs("regular"),
        "rising": refs("rising"),
        "cooling": [r | {"quiet_since": iso(p.cool_at)} for r, p in zip(refs("cooling"), _of(people, "cooling"))
                    if p.cool_at],
        "unanswered": [_event_ref(e) for e in world.activity.unanswered],
        "same_handle": [r for r in (_ref(p, present) for p in people if len(p.platforms) > 1)
                        if len(r["identities"]) > 1],
        "posts": {
            platform: {
                "top_level": sum(p.top_level for p in world.posts[platform]),
                "promotional_share_first_half": _share(world.posts[platform], config, True),
                "promotional_share_second_half": _share(world.posts[platform], config, False),
                "items": [[p.id, iso(p.ts), p.category] for p in world.posts[platform]],
            } for platform in ("x", "mastodon")
        },
        "x_followers": [{"date": iso(at), "followers": len(ids),
                         "interacting": len(set(ids) & world.followers.interacting)}
                        for at, ids in world.followers.snapshots],
        "orders": {"total": len(world.orders), "anonymous": len(orders_by.get("anonymous", [])),
                   "by_group": by_archetype},
        "people": [
            {"pid": p.pid, "archetype": p.archetype, "name": p.name,
             "identities": _ref(p, present)["identities"], "handles": p.handles, "email": p.email,
             "inbound": p.inbound, "outbound": p.outbound, "two_way": p.two_way,
             "first_ts": iso(p.first_ts) if p.first_ts else None, "last_ts": iso(p.last_ts) if p.last_ts else None,
             "follows_x": (p.x_id or "") in world.followers.interacting,
             "orders": len(orders_by.get(p.pid, [])),
             "revenue": round(sum(o.value for o in orders_by.get(p.pid, [])), 2)}
            for p in people
        ],
    }
