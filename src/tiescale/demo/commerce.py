"""Purchases, SIMULATED so that relationship strength drives them: people who talk with the
brand (and hear back) buy more often; followers who never talked rarely buy; some orders come
with nothing but a ``utm_source``.

They plant no single tier ratio: the demo is written before tiescale scores it, and each order
follows one of the person's touches by a few days, so buying concentrates on the days people talk.
`tiescale revenue` on the demo reads 91x for 7+ against never talked (61x-135x, per person-time);
that the report recovers a planted ratio is checked by bench/check_demo_revenue.py, which replaces
these orders with ones planted on the demo's own exposure (docs/revenue.md)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .community import Person, _poisson
from .config import DemoConfig
from .followers import XFollowers
from .texts import FIRST_NAMES, LAST_NAMES

COLUMNS = ("order_id", "ts", "value", "currency", "email", "platform", "handle", "coupon", "utm_source",
           "utm_campaign")
PRICES = (14.5, 16.0, 18.5, 29.0, 32.0, 39.0, 54.0)
PRICE_WEIGHTS = (20, 18, 14, 16, 10, 14, 8)
CAMPAIGNS = ("holiday-gifts", "new-year-reset", "spring-sale", "ethiopia-launch", "summer-cold-brew",
             "autumn-roasts")
#: A follower who never talked buys about this often in a year.
SILENT_FOLLOWER_RATE = 0.025


@dataclass
class Order:
    ts: datetime
    value: float
    email: str
    platform: str
    handle: str
    coupon: str
    utm_source: str
    utm_campaign: str
    who: str  # a simulated person id, "follower:<x id>" or "anonymous"
    order_id: str = ""

    def row(self) -> list[str]:
        return [self.order_id, self.ts.isoformat(timespec="seconds"), f"{self.value:.2f}", "USD", self.email,
                self.platform, self.handle, self.coupon, self.utm_source, self.utm_campaign]


def expected_orders(person: Person) -> float:
    """Orders a year: grows with two-way exchanges, a little with messages, barely otherwise."""
    return 0.03 + 0.04 * math.sqrt(person.texts) + 0.12 * math.pow(person.two_way, 0.8)


def _campaign(at: datetime) -> str:
    return CAMPAIGNS[((at.month + 1) % 12) // 2]


def build_orders(config: DemoConfig, people: list[Person], followers: XFollowers) -> list[Order]:
    rng = config.rng("orders")
    orders: list[Order] = []
    for person in people:
        n = min(14, _poisson(rng, expected_orders(person)))
        if not n:
            continue
        linked = rng.random() < (0.75 if person.archetype in ("champion", "regular") else 0.5)
        moments = [ts for ts, _ in person.touches]
        latest = config.end if person.cool_at is None else min(config.end, person.cool_at + timedelta(days=30))
        for _ in range(n):
            at = rng.choice(moments) + timedelta(days=rng.expovariate(1 / 5))
            if at >= latest:
                continue
            value = 39.0 if person.archetype == "champion" and rng.random() < 0.5 else rng.choices(
                PRICES, PRICE_WEIGHTS)[0]
            roll = rng.random()
            if person.archetype == "champion" and roll < 0.35:
                coupon = f"{person.base.replace('.', '').replace('_', '').upper()[:10]}10"
            else:
                coupon = "FERN20" if roll < 0.5 else "TRIO39" if roll < 0.55 else ""
            source = rng.random()
            utm = person.home if source < (0.55 if linked else 0.4) else "newsletter" if source < 0.75 else ""
            platform, handle = (person.home, person.handles[person.home]) if linked else ("", "")
            orders.append(Order(at, value, person.email, platform, handle, coupon, utm,
                                _campaign(at) if utm else "", person.pid))
    span = max(1.0, (config.end - config.start).days)
    for member in followers.silent_ids():
        if rng.random() < SILENT_FOLLOWER_RATE * config.days / 365:
            at = config.start + timedelta(days=rng.uniform(0, span))
            email = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randint(1, 999)}@example.com".lower()
            utm = rng.choice(("x", "x", "newsletter", ""))
            # as often as for people who talk, the shop knows the buyer's X account (a login with X)
            platform, handle = ("x", member) if rng.random() < 0.5 else ("", "")
            orders.append(Order(at, rng.choices(PRICES, PRICE_WEIGHTS)[0], email, platform, handle, "", utm,
                                _campaign(at) if utm else "", f"follower:{member}"))
    for _ in range(round(config.n_people * 0.08)):
        at = config.start + timedelta(days=rng.uniform(0, span))
        utm = rng.choice(("x", "instagram", "instagram", "bluesky", "mastodon", "youtube", "newsletter", "google"))
        coupon = "FERN20" if rng.random() < 0.2 else ""
        orders.append(Order(at, rng.choices(PRICES, PRICE_WEIGHTS)[0], "", "", "", coupon, utm, _campaign(at),
                            "anonymous"))
    orders.sort(key=lambda o: (o.ts, o.who))
    for index, order in enumerate(orders, 1):
        order.order_id = f"FH-{100000 + index}"
        order.ts = order.ts.replace(microsecond=0)
    return orders
