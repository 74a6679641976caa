"""A simulation harness for revenue per person-time: plant a rate ratio k, check tiescale recovers it.

A *layout* is a community written as tiescale's canonical events CSV and imported for real:
- silent followers (a follow, nothing else: "never talked" all along);
- strong talkers who start a two-way conversation every 1-3 days at some point (before or inside the
  window) and climb the tiers; a third of them stop after a few months and fade;
- weak talkers (a comment now and then: stranger or acquaintance);
- late joiners who follow early and start talking strongly inside the window (they move from "none"
  to the top tiers while the window runs);
- people first seen through their order: their first order comes before anything else (they follow
  later); tiescale watches them from the follow (orders before it are counted apart, in no tier).

Orders are then *planted* on tiescale's own exposure (insights.person_time.exposure_segments: the
tier each person-day counts in) at a rate of base x profile(day) x frailty(person) x multiplier(tier),
with multiplier k for days at the meaningful threshold (7+), 1 for "never talked" and 2 for the tiers
in between. The profile clusters orders in time (a sale week at 6x, or orders in the last 60 days
only); the frailty (Gamma, mean 1) makes repeat buyers. The planted truth is therefore the rate ratio
between person-days counted at 7+ and at "none", whatever the scale says about who is where: the
harness checks the counting, the intervals and that clustering in time does not bias the ratio.

Each seed imports its orders through the real orders import into a copy of the layout's store and
reads ``revenue_report``: its meaningful row's lift and 95% interval are compared with k.
"""
from __future__ import annotations

import csv
import math
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from pathlib import Path

import numpy as np

from tiescale.insights.derived import refresh_derived
from tiescale.insights.person_time import exposure_segments
from tiescale.insights.revenue import revenue_report
from tiescale.store.db import Store
from tiescale.store.ingest import ingest_path

END = datetime(2026, 6, 1)
WINDOW = 365
START = END - timedelta(days=WINDOW)
EVENT_COLUMNS = ["ts", "account", "person", "direction", "kind", "platform"]
ORDER_COLUMNS = ["order_id", "ts", "value", "currency", "platform", "handle"]
MIDDLE = 2.0  # the multiplier of the tiers between "none" and the meaningful threshold
PROFILES = ("flat", "sale_week", "recent_only")


@dataclass(frozen=True)
class Layout:
    silent: int = 1500
    strong: int = 160
    weak: int = 200
    late: int = 120
    order_first: int = 80


def _iso(ts: datetime) -> str:
    return ts.replace(tzinfo=UTC).isoformat()


def write_layout(folder: Path, layout: Layout, seed: int) -> tuple[Path, dict[str, datetime]]:
    """The events CSV of a community; returns it and the entry-order day of each order-first person."""
    rng = np.random.default_rng(seed)
    rows: list[list[str]] = []

    def talk(name: str, first: datetime, last: datetime, every: tuple[int, int]) -> None:
        day = first
        while day < min(last, END):
            at = day + timedelta(hours=float(rng.uniform(8, 20)))
            rows.append([_iso(at), "brand", name, "in", "dm", "x"])
            rows.append([_iso(at + timedelta(minutes=30)), "brand", name, "out", "dm", "x"])
            day += timedelta(days=int(rng.integers(every[0], every[1] + 1)))

    for i in range(layout.silent):
        at = START - timedelta(days=200) + timedelta(days=float(rng.uniform(0, 200 + WINDOW - 30)))
        rows.append([_iso(at), "brand", f"silent{i}", "in", "follow", "x"])
    for i in range(layout.strong):
        first = START + timedelta(days=float(rng.uniform(-150, WINDOW - 60)))
        last = first + timedelta(days=float(rng.uniform(60, 150))) if rng.random() < 0.33 else END
        rows.append([_iso(first - timedelta(days=1)), "brand", f"strong{i}", "in", "follow", "x"])
        talk(f"strong{i}", first, last, (1, 3))
    for i in range(layout.weak):
        first = START + timedelta(days=float(rng.uniform(-150, WINDOW - 30)))
        day = first
        while day < END:
            rows.append([_iso(day), "brand", f"weak{i}", "in", "comment", "x"])
            day += timedelta(days=float(rng.uniform(10, 40)))
    for i in range(layout.late):
        rows.append([_iso(START - timedelta(days=float(rng.uniform(10, 300)))), "brand", f"late{i}", "in",
                     "follow", "x"])
        talk(f"late{i}", START + timedelta(days=float(rng.uniform(30, WINDOW - 90))), END, (1, 2))
    entries: dict[str, datetime] = {}
    for i in range(layout.order_first):
        entry = START + timedelta(days=int(rng.integers(0, WINDOW - 40)))
        entries[f"first{i}"] = entry
        rows.append([_iso(entry + timedelta(days=int(rng.integers(1, 30)), hours=12)), "brand", f"first{i}", "in",
                     "follow", "x"])
    path = folder / "events.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EVENT_COLUMNS)
        writer.writerows(rows)
    return path, entries


def build_layout(folder: Path, layout: Layout = Layout(), seed: int = 1) -> tuple[Path, list[list[str]]]:
    """The layout's store (events imported, the entry orders imported, derived state refreshed) and
    the entry orders' rows."""
    folder.mkdir(parents=True, exist_ok=True)
    events, entries = write_layout(folder, layout, seed)
    entry_rows = [[f"E{i}", _iso(day + timedelta(hours=10)), "20.00", "USD", "x", name]
                  for i, (name, day) in enumerate(sorted(entries.items()))]
    orders = folder / "entry_orders.csv"
    _write_orders(orders, entry_rows)
    db = folder / "layout.duckdb"
    with Store(db) as store:
        ingest_path(store, events)
        ingest_path(store, orders, fmt="conversions")
        refresh_derived(store)
    return db, entry_rows


def _write_orders(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_COLUMNS)
        writer.writerows(rows)


def profile(kind: str, days: np.ndarray) -> np.ndarray:
    """How much more (or less) everyone buys on each day index of the window (0 = its first day)."""
    if kind == "flat":
        return np.ones(len(days))
    if kind == "sale_week":
        return np.where((days >= WINDOW - 40) & (days < WINDOW - 33), 6.0, 1.0)
    if kind == "recent_only":
        return np.where(days >= WINDOW - 60, 1.0, 0.0)
    raise ValueError(kind)


@dataclass(frozen=True)
class Estimate:
    seed: int
    lift: float | None
    low: float | None
    high: float | None
    orders: int

    def covers(self, k: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= k <= self.high


def segments(db: Path) -> list[tuple[int, datetime, datetime, str, bool]]:
    with Store(db, read_only=True) as store:
        return exposure_segments(store, START, END, 7.0)


def plant_orders(segs: list[tuple[int, datetime, datetime, str, bool]], handles: dict[int, str], k: float,
                 kind: str, seed: int, base: float, frailty_shape: float = 1.0) -> list[list[str]]:
    """Orders drawn on the exposure: Poisson per person-day at base x profile x frailty x multiplier."""
    rng = np.random.default_rng(seed)
    people = sorted({s[0] for s in segs})
    frailty = dict(zip(people, rng.gamma(frailty_shape, 1 / frailty_shape, len(people)), strict=True))
    rows: list[list[str]] = []
    for person_id, lo, hi, tier, strong in segs:
        first = (lo - START).days
        days = np.arange(first, first + (hi - lo).days)
        multiplier = k if strong else 1.0 if tier == "none" else MIDDLE
        rates = base * multiplier * frailty[person_id] * profile(kind, days)
        counts = rng.poisson(rates)
        for day, n in zip(days[counts > 0], counts[counts > 0], strict=True):
            for _ in range(int(n)):
                at = START + timedelta(days=int(day), hours=float(rng.uniform(0, 23.9)))
                rows.append([f"S{seed}-{len(rows)}", _iso(at), f"{rng.choice((14.5, 29.0, 39.0)):.2f}", "USD", "x",
                             handles[person_id]])
    return rows


def handles_of(db: Path) -> dict[int, str]:
    with Store(db, read_only=True) as store:
        return {int(p): str(h) for p, h in store.con.execute("SELECT person_id, handle FROM identities").fetchall()}


#: The base rate per person-day of each profile: about 300 orders a seed whatever the profile
BASE = {"flat": 0.0004, "sale_week": 0.0004 * 365 / (365 + 5 * 7), "recent_only": 0.0004 * 365 / 60}


def run_seed(db: Path, segs: list[tuple[int, datetime, datetime, str, bool]], handles: dict[int, str], k: float,
             kind: str, seed: int, work: Path, base: float | None = None) -> Estimate:
    """One seed: plant orders, import them into a copy of the layout's store, read the lift."""
    rows = plant_orders(segs, handles, k, kind, seed, BASE[kind] if base is None else base)
    copy = work / f"seed{seed}.duckdb"
    shutil.copyfile(db, copy)
    orders = work / f"seed{seed}.csv"
    _write_orders(orders, rows)
    try:
        with Store(copy) as store:
            ingest_path(store, orders, fmt="conversions")
            report = revenue_report(store, window_days=WINDOW, meaningful_min=7.0)
        strong = report.meaningful
        return Estimate(seed, strong.lift, strong.lift_low, strong.lift_high, len(rows))
    finally:
        copy.unlink(missing_ok=True)
        orders.unlink(missing_ok=True)


def summary(estimates: list[Estimate], k: float) -> dict[str, float]:
    found = [e for e in estimates if e.lift is not None]
    logs = [math.log(e.lift) for e in found if e.lift]
    return {"seeds": len(estimates), "estimated": len(found),
            "coverage": sum(e.covers(k) for e in estimates) / len(estimates),
            "mean_lift": float(np.mean([e.lift for e in found])) if found else float("nan"),
            "mean_bias": float(np.mean([e.lift for e in found])) / k - 1 if found else float("nan"),
            "geometric_bias": math.exp(float(np.mean(logs))) / k - 1 if logs else float("nan")}
