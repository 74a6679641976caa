"""What each page shows, gathered from the store: shared by the HTML pages, the JSON API and the report.

Capabilities that are not part of this installation yet come back as an unavailable
:class:`Section` with the reason, which pages show as an empty state.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.responses import Response

from ...insights.accounts import accounts, platforms
from ...insights.merges import merge_candidates, merges_into
from ...insights.overview import Overview, overview, store_version
from ...insights.people import PeoplePage, people_page, person_profile, snapshot
from ...records import UsageError
from ...results import Records
from ...scoring.config import TIER_NAMES, TIERS
from ...store.db import Store
from ...store.identity import find_person
from . import capabilities
from .capabilities import Missing, plain
from .gate import StoreGate

log = logging.getLogger("tiescale.web")
T = TypeVar("T")


@dataclass
class Section:
    """A capability's result for a page: the data, or why there is none."""

    available: bool
    data: Any = None
    detail: str = ""
    error: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"available": self.available, "detail": self.detail, "error": self.error, "data": plain(self.data)}


def attempt(capability: str, name: str, *args: Any, **kwargs: Any) -> Section:
    """Call a capability's function; Missing -> empty state, a failure -> an error note (logged)."""
    try:
        fn: Callable[..., Any] = capabilities.function(capability, name)
    except Missing as exc:
        return Section(False, detail=str(exc))
    try:
        return Section(True, fn(*args, **kwargs))
    except Missing as exc:  # pragma: no cover - a capability calling another missing one
        return Section(False, detail=str(exc))
    except Exception as exc:  # a capability's own failure must not take the whole page down
        log.error("%s.%s failed:\n%s", capability, name, traceback.format_exc())
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Section(False, detail=f"{capabilities.CAPABILITIES[capability].words} failed: {first}", error=True)


class Memo:
    """Results that only change when the store does, keyed by the store's state (imports, scores, merges, actions).

    One computation per key at a time: a request that finds its key being computed (by the warmer,
    ``warm.py``, or another request) waits for that result instead of computing it again.
    """

    def __init__(self, size: int = 256) -> None:
        self._data: dict[Any, Any] = {}
        self._running: dict[Any, threading.Event] = {}
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        while True:
            with self._lock:
                if key in self._data:
                    found: T = self._data[key]
                    return found
                running = self._running.get(key)
                if running is None:
                    done = self._running[key] = threading.Event()
                    break
            running.wait()  # the other computation's end (it stored its result, or failed: then compute here)
        try:
            value = compute()
            with self._lock:
                if len(self._data) >= self.size:
                    self._data.pop(next(iter(self._data)))
                self._data[key] = value
            return value
        finally:
            with self._lock:
                self._running.pop(key, None)
            done.set()


def nurture(gate: StoreGate, memo: Memo, version: tuple[Any, ...], account: str | None = None,
            limit: int = 0) -> dict[str, Section]:
    """The queue and responsiveness, read through a read-only store: the writes that keep their derived
    tables fresh (the answer index, the queue's cache) run after each state change and at server
    start (``refresh_derived``), never in a GET."""
    def compute() -> dict[str, Section]:
        with gate.read() as store:
            return {"queue": attempt("queue", "build_queue", store, account=account, limit=limit),
                    "responsiveness": attempt("responsiveness", "responsiveness", store, account=account, by="month"),
                    "responsiveness_all": attempt("responsiveness", "responsiveness", store, account=account,
                                                  by="all", refresh=False)}
    return memo.get(("nurture", account, limit, version), compute)


def vanity(store: Store) -> Section:
    """Vanity vs meaningful: composed from the score history every refresh keeps (the first of every
    month and the newest date), one query at any size."""
    return attempt("goals", "vanity_vs_meaningful", store)


def overview_data(gate: StoreGate, memo: Memo) -> dict[str, Any]:
    with gate.read() as store:
        version = store_version(store)
        snap = snapshot(store)
        data: dict[str, Any] = {"snap": snap, "overview": memo.get(("overview", version),
                                                                    lambda: overview(store, snap))}
    revenue = revenue_data(gate, memo)  # the same cached results as the revenue page
    data.update(revenue=revenue["revenue"], vanity=revenue["vanity"], goals=revenue["goals"])
    data.update(nurture(gate, memo, version))
    data["content"] = content_data(gate, memo)["content"]
    return data


def parse_tiers(text: str | None) -> tuple[str, ...] | None:
    """The tiers a filter names: ``close``; ``regular+`` (that tier and above); ``7+`` (score 7 and
    up: a tier's lower bound, 3+, 5+, 7+ or 9+); ``close,champion``. None for no filter."""
    text = (text or "").strip().lower().replace(" ", "")
    if not text:
        return None
    if text in TIER_NAMES:
        return (text,)
    if "," in text:
        names = [t for t in text.split(",") if t]
        unknown = [t for t in names if t not in TIER_NAMES]
        if unknown:
            raise UsageError(f"tier {unknown[0]!r}: choose from {', '.join(TIER_NAMES)}")
        return tuple(t for t in TIER_NAMES if t in names)
    if text.endswith("+"):
        start = text[:-1]
        if start in TIER_NAMES:
            return TIER_NAMES[TIER_NAMES.index(start):]
        bounds = {f"{low:g}": name for name, low, _high, _m in TIERS}
        if start in bounds:
            return TIER_NAMES[TIER_NAMES.index(bounds[start]):]
        raise UsageError(f"tier {text!r}: a range starts at a tier's lower bound "
                         f"({', '.join(b + '+' for b in bounds if b != '0')}) or a tier's name (close+)")
    raise UsageError(f"tier {text!r}: choose from {', '.join(TIER_NAMES)}, a range such as 7+ or close+, "
                     "or several, as close,champion")


def tier_words(tiers: tuple[str, ...] | None) -> str:
    """How a tier filter reads: 'close', 'score 7 and up', 'close or champion'."""
    if not tiers:
        return ""
    if len(tiers) == 1:
        return tiers[0]
    if tiers == TIER_NAMES[TIER_NAMES.index(tiers[0]):]:
        low = next(low for name, low, _h, _m in TIERS if name == tiers[0])
        return f"score {low:g} and up ({', '.join(tiers)})"
    return " or ".join(tiers)


def _sort_key(sort: str) -> Callable[[Any], Any]:
    """The people listing's order (insights.people.SORTS) in Python, to merge listings of several tiers."""
    def ts(row: Any) -> float:
        value = row.last_contact
        return value.timestamp() if hasattr(value, "timestamp") else float("-inf")

    def change(row: Any, sign: float) -> float:
        return sign * row.change if row.change is not None else float("inf")
    keys: dict[str, Callable[[Any], Any]] = {
        "score": lambda r: (-r.score, -ts(r), r.person_id),
        "change": lambda r: (change(r, -1), -r.score, r.person_id),
        "drop": lambda r: (change(r, 1), -r.score, r.person_id),
        "last_contact": lambda r: (-ts(r), -r.score, r.person_id),
    }
    return keys.get(sort, keys["score"])


def people_data(store: Store, q: str | None, account: str | None, platform: str | None,
                tier: str | tuple[str, ...] | None, sort: str, page: int, per_page: int = 50) -> dict[str, Any]:
    """One page of people. Several tiers (a range such as 7+) are listed tier by tier and merged in
    the listing's order: each tier's top ``page * per_page`` rows are enough for the page."""
    snap = snapshot(store)
    tiers = (tier,) if isinstance(tier, str) else tier
    if not tiers or len(tiers) == 1:
        listing = people_page(store, snap, q=q, account=account, platform=platform, tier=tiers[0] if tiers else None,
                              sort=sort, page=page, limit=per_page)
    else:
        parts = [people_page(store, snap, q=q, account=account, platform=platform, tier=t, sort=sort, page=1,
                             limit=page * per_page) for t in tiers]
        merged = sorted((row for part in parts for row in part.rows), key=_sort_key(sort))
        start = (page - 1) * per_page
        rows = Records(merged[start:start + per_page], parts[0].rows.columns)
        listing = PeoplePage(rows, sum(p.total for p in parts), page, per_page)
    return {"snap": snap, "listing": listing, "accounts": accounts(store), "platforms": platforms(store)}


def person_data(store: Store, person_id: int, timeline_limit: int = 100) -> dict[str, Any]:
    active = find_person(store.con, f"#{person_id}")
    profile = person_profile(store, f"#{active}", timeline_limit=timeline_limit, score_if_needed=False)
    return {
        "profile": profile,
        "snap": snapshot(store),
        "merges": merges_into(store, active),
        "candidates": merge_candidates(store, active),
        "actions": attempt("actions", "action_history", store, f"#{active}"),
        "orders": _orders(store, active),
        "redirected_from": person_id if active != person_id else None,
    }


def _orders(store: Store, person_id: int) -> Section:
    from ...insights.dashboard import person_orders

    try:
        return Section(True, person_orders(store, person_id))
    except Exception as exc:  # a store without orders tables cannot happen after migration 4; be plain
        return Section(False, detail=str(exc), error=True)


def queue_data(gate: StoreGate, memo: Memo, account: str | None = None) -> dict[str, Any]:
    """The whole queue (all reasons); the page and the API slice it."""
    with gate.read() as store:
        version = store_version(store)
        snap, own = snapshot(store), accounts(store)
    return {"snap": snap, "accounts": own, **nurture(gate, memo, version, account)}


def content_data(gate: StoreGate, memo: Memo, account: str | None = None, by: str = "month") -> dict[str, Any]:
    with gate.read() as store:
        version = store_version(store)
        data = {"snap": snapshot(store), "classifier": capabilities.available("classify"),
                "accounts": accounts(store)}

    def compute() -> Section:
        with gate.read() as store:  # the classifier's verdicts are kept by refresh_derived after writes
            return attempt("content", "content_report", store, account=account, by=by)
    data["content"] = memo.get(("content", account, by, version), compute)

    def languages() -> Any:  # the language mix of the people's messages (insights/languages.py)
        from ...insights.languages import language_mix
        with gate.read() as store:
            try:
                return language_mix(store, account=account)
            except Exception:  # an unknown account: the content report already says so
                return None
    data["languages"] = memo.get(("languages", account, version), languages)
    return data


def revenue_data(gate: StoreGate, memo: Memo) -> dict[str, Any]:
    with gate.read() as store:
        version = store_version(store)

        def compute() -> dict[str, Any]:
            return {"revenue": attempt("revenue", "revenue_report", store),
                    "vanity": vanity(store),
                    "goals": attempt("goals", "goal_progress", store)}
        return {"snap": snapshot(store), **memo.get(("revenue", version), compute)}


def partial_month(last_month: Any, data_end: datetime | None) -> str | None:
    """Words for a last month the data does not cover to its end ("Nov so far, to the 2nd"), else None."""
    if data_end is None or last_month is None:
        return None
    start = last_month if isinstance(last_month, datetime) else datetime(last_month.year, last_month.month, 1)
    following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    end = data_end.astimezone(UTC).replace(tzinfo=None) if data_end.tzinfo else data_end
    if end >= following:
        return None
    last_day = end - timedelta(days=1)
    return f"{start:%b %Y} so far (to {last_day:%b} {last_day.day})"


def overview_charts(ov: Overview) -> dict[str, Any]:
    """The overview's charts as inline SVG (shared with the report)."""
    from . import charts

    series: list[dict[str, Any]] = []
    distribution = charts.bar_chart(
        [{"label": d.label, "value": d.people, "color": charts.TIER_COLORS[d.tier], "note": d.tier,
          "href": f"/people?tier={d.tier}"} for d in ov.distribution],
        "people by relationship score", log=True)
    series = []
    if ov.meaningful:
        series.append({"name": f"meaningful connections ({ov.meaningful_label})", "color": "#7c3aed",
                       "points": [(m.as_of.date().replace(day=1), m.meaningful) for m in ov.meaningful]})
    if ov.followers:
        series.append({"name": "followers", "color": "#94a3b8", "axis": "right" if series else None, "dashed": True,
                       "points": [(f.month.date(), f.followers) for f in ov.followers]})
    growth = charts.line_chart(series, "meaningful connections vs followers")
    partial = partial_month(ov.activity[-1].month if ov.activity else None, ov.snapshot.as_of)
    activity = charts.line_chart([
        {"name": "from people", "color": "#2563eb", "points": [(_day(a.month), a.inbound) for a in ov.activity]},
        {"name": "from you", "color": "#b45309", "points": [(_day(a.month), a.outbound) for a in ov.activity]},
    ], "touchpoints per month", partial_last=partial)
    tiers = charts.hbar_chart([{"label": t, "value": ov.tiers.get(t, 0), "color": charts.TIER_COLORS[t],
                                "href": f"/people?tier={t}"}
                               for t in reversed(list(ov.tiers))], "people by tier")
    return {"distribution": distribution, "growth": growth, "activity": activity, "tiers": tiers}


def overview_json(ov: Overview) -> dict[str, Any]:
    """The overview as the API answers it: its figures, and the snapshot's dates and staleness."""
    data: dict[str, Any] = {f.name: getattr(ov, f.name) for f in dataclasses.fields(ov) if f.name != "snapshot"}
    data["as_of"] = ov.snapshot.as_of
    data["previous_as_of"] = ov.snapshot.previous
    data["imports_since_scoring"] = ov.snapshot.imports_since
    answer: dict[str, Any] = plain(data)
    return answer


def history_chart(profile: Any) -> Any:
    from . import charts

    points = [(h["as_of"].date(), round(h["score"], 2)) for h in profile.history]
    return charts.line_chart([{"name": "score", "color": charts.TIER_COLORS.get(profile.tier or "", "#2563eb"),
                               "points": points}], "score history", y_max=10.0, height=200)


def _reason(item: Any) -> str:
    value = item.get("reason") if isinstance(item, dict) else getattr(item, "reason", None)
    return value or "other"


def queue_reason(item: Any) -> str:
    return _reason(item)


def queue_need(item: Any) -> str | None:
    value = item.get("need") if isinstance(item, dict) else getattr(item, "need", None)
    return value if isinstance(value, str) else None


def queue_counts(section: Section) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in section.data or []:
        counts[_reason(item)] = counts.get(_reason(item), 0) + 1
    return counts


def queue_items(section: Section, reason: str | None = None, start: int = 0, stop: int | None = None,
                lag_days: float = 0.0) -> list[dict[str, Any]]:
    """Queue items as the page shows them (the capability's to_dict(), plus the reference buttons use).

    Only the slice shown is converted: a big store's queue can hold a hundred thousand people.
    ``lag_days``: how many days before today the data ends; the ages in the evidence ("asked 3 days
    ago", counted to the end of the data) are then counted from today.
    """
    if not section.available or not section.data:
        return []
    chosen = [i for i in section.data if reason is None or _reason(i) == reason][start:stop]
    items = []
    for raw in chosen:
        d = plain(raw)
        person_id = d.get("person_id")
        d["ref"] = f"#{person_id}" if person_id is not None else str(d.get("person"))
        d["why"] = rebase_ages(d.get("evidence") or d.get("why") or "", lag_days)
        d["name"] = d.get("name") or d.get("person")
        items.append(d)
    return items


# -- time: ages count from today, and say so --------------------------------------------------------
#: Data that ends more than this many days before today gets a banner on every page.
STALE_AFTER_DAYS = 2
_AGE = re.compile(r"\b(\d+) (hours|days) ago\b")


def today() -> datetime:
    """Now, in UTC (naive, as the store's dates are read)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def lag_days(data_end: datetime | None, now: datetime | None = None) -> float:
    """Days from the end of the data (midnight after its last day) to now: what to add to an age
    counted to the end of the data to count it from now (0 when the data is current)."""
    if data_end is None:
        return 0.0
    return max(0.0, ((now or today()) - _naive_utc(data_end)) / timedelta(days=1))


def rebase_ages(text: str, lag: float) -> str:
    """'asked 3 days ago' counted to the end of the data -> counted from today (3 + lag days)."""
    if lag < 0.5 or not text:
        return text

    def moved(m: re.Match[str]) -> str:
        value = int(m.group(1)) / (24 if m.group(2) == "hours" else 1) + lag
        return f"{value:.0f} days ago"
    return _AGE.sub(moved, text)


def freshness(snap: Any) -> dict[str, Any]:
    """Today, the last day of data and the days between, for the banner and the stated reference.
    ``offset``: days from the end of the data (midnight after its last day) to now."""
    now = today()
    end = getattr(snap, "as_of", None)
    if end is None:
        return {"today": now, "data_end": None, "lag": 0, "offset": 0.0, "stale": False}
    last_day = (_naive_utc(end) - timedelta(microseconds=1)).date()
    lag = (now.date() - last_day).days
    return {"today": now, "data_end": last_day, "lag": lag, "offset": lag_days(end, now),
            "stale": lag > STALE_AFTER_DAYS}


# -- the daily queue -----------------------------------------------------------------------------------
def daily_size(gate: StoreGate) -> int:
    from ...insights.dashboard import daily_size as read

    with gate.read() as store:
        return read(store)


def responsiveness_summary(by_month: Section, overall: Section) -> dict[str, Any] | None:
    """Response rate and reply times per platform (whole period) and the monthly response rate, all accounts."""
    if not overall.available or not by_month.available:
        return None
    rows = [plain(r) for r in overall.data or []]
    messages = sum(r["messages"] for r in rows)
    answered = sum(r["answered"] for r in rows)
    per_month: dict[str, list[int]] = {}
    for r in (plain(x) for x in by_month.data or []):
        acc = per_month.setdefault(r["period"], [0, 0])
        acc[0] += r["messages"]
        acc[1] += r["answered"]
    monthly = [(period, round(100 * a / m, 1)) for period, (m, a) in sorted(per_month.items()) if m]
    within_24h = sum(r["within_24h"] * r["messages"] for r in rows) / messages if messages else None
    return {"messages": messages, "answered": answered, "rate": answered / messages if messages else None,
            "within_24h": within_24h, "rows": sorted(rows, key=lambda r: -r["messages"]), "monthly": monthly}


def responsiveness_chart(summary: dict[str, Any] | None, data_end: datetime | None = None) -> Any:
    from datetime import date

    from . import charts

    if not summary or not summary["monthly"]:
        return None
    points = [(date.fromisoformat(p), v) for p, v in summary["monthly"]]
    return charts.line_chart([{"name": "messages answered", "color": "#047857", "points": points}],
                             "response rate by month", y_max=100.0, y_suffix="%", height=180,
                             partial_last=partial_month(points[-1][0], data_end))


def revenue_tier_chart(section: Section, money: bool = True) -> Any:
    if not section.available or section.data is None:
        return None
    from .revenue_chart import rate_chart  # a rate and its interval per tier, never the total (issue 17)

    return rate_chart(plain(section.data))


def headline(data: dict[str, Any]) -> list[dict[str, str]]:
    """A few figures from the capabilities for the overview's cards (none when they are missing)."""
    cards = []
    summary = data.get("responsiveness_summary")
    if summary and summary["rate"] is not None:
        cards.append({"label": "Answered", "value": f"{100 * summary['rate']:.0f}%",
                      "note": f"of {summary['messages']:,} messages to you", "href": "/queue?reason=unanswered"})
    revenue = data.get("revenue")
    if revenue is not None and revenue.available and revenue.data is not None:
        r = plain(revenue.data)
        if r.get("revenue_total"):
            cards.append({"label": "Revenue from meaningful",
                          "value": f"{100 * (r.get('share_meaningful_matched') or 0):.0f}%",
                          "note": f"of {r.get('revenue_matched', 0):,.0f} {r.get('currency', '')} tied to a person in "
                                  f"{r.get('window_days')} days ({r.get('meaningful_label', '')})",
                          "href": "/revenue"})
    return cards


def revenue_view(data: dict[str, Any]) -> dict[str, Any]:
    """The revenue page's figures and charts, from the revenue and goals capabilities."""
    from . import charts

    out: dict[str, Any] = {}
    if data["revenue"].available and data["revenue"].data is not None:
        r = plain(data["revenue"].data)
        out["r"] = r
        tiers = [t for t in r.get("tiers", [])]
        out["conversion_chart"] = charts.bar_chart(
            [{"label": _tier_label(t["tier"]), "value": round(100 * t["conversion_rate"], 1),
              "color": charts.TIER_COLORS.get(t["tier"], "#94a3b8"), "note": f"{t['converted']:,} of {t['people']:,}"}
             for t in tiers], "share of people who bought, by tier (%)", height=220)
        out["per_person_chart"] = charts.hbar_chart(
            [{"label": _tier_label(t["tier"]), "value": round(t["revenue_per_person"], 2),
              "color": charts.TIER_COLORS.get(t["tier"], "#94a3b8")} for t in tiers], "revenue per person")
        sources = list(r.get("utm_platforms", [])) + list(r.get("other_sources", []))
        if r.get("unattributed"):
            sources.append(r["unattributed"])
        from .revenue_chart import rate_chart

        out["rate_chart"] = rate_chart(r)
        out["sources_chart"] = charts.hbar_chart(
            [{"label": s["platform"], "value": s["revenue"], "color": "#0ea5e9" if s in r.get("utm_platforms", [])
              else "#94a3b8"} for s in sources], "revenue by source", money=True)
    out["vanity_chart"] = vanity_chart(data["vanity"])
    if data["vanity"].available and data["vanity"].data is not None:
        out["vanity_statement"] = plain(data["vanity"].data).get("statement")
    out["goals"] = [plain(g) for g in (data["goals"].data or [])] if data["goals"].available else []
    return out


def vanity_chart(section: Section, height: int = 240) -> Any:
    from datetime import date

    from . import charts

    if not section.available or section.data is None:
        return None
    points = plain(section.data).get("points") or []
    if not points:
        return None

    def month(p: dict[str, Any]) -> date:
        return date.fromisoformat(p["month"] + "-01")
    # meaningful people are few beside everyone who talked (50 beside 5,000): they get the left axis
    # to themselves, the big counts share the right one, so the line that matters is not flat
    series: list[dict[str, Any]] = [
        {"name": f"meaningful (score {plain(section.data).get('min_score', 7):g}+)", "color": "#7c3aed", "points": [(month(p), p["meaningful"]) for p in points]},
        {"name": "talked with you", "color": "#2563eb", "axis": "right",
         "points": [(month(p), p["talked"]) for p in points]}]
    if any(p["followers"] for p in points):
        series.append({"name": "followers", "color": "#64748b", "dashed": True, "axis": "right",
                       "points": [(month(p), p["followers"]) for p in points]})
    return charts.line_chart(series, "vanity vs meaningful", height=height)


def _tier_label(tier: str) -> str:
    return "never talked" if tier == "none" else tier


LABEL_COLORS = {"promotional": "#dc2626", "relational": "#059669", "value": "#2563eb"}


def content_view(section: Section) -> dict[str, Any]:
    """The content report's charts: the mix over time and what each kind of post earns."""
    from . import charts

    if not section.available or section.data is None:
        return {}
    r = plain(section.data)
    labels = ["promotional", "relational", "value"]
    mix = r.get("mix") or []
    # newest first: what to do less of starts with what was posted lately
    r["most_salesy"] = sorted(r.get("most_salesy") or [], key=lambda p: str(p.get("ts") or ""), reverse=True)
    out: dict[str, Any] = {"r": r}
    if mix:  # the latest period beside the whole span: a year's share hides a recent change
        last = mix[-1]
        posts = sum(int(last.get(k) or 0) for k in labels)
        out["latest"] = {"period": last["period"], "posts": posts,
                         "share": (int(last.get("promotional") or 0) / posts) if posts else None}
    partial = None
    if mix and r.get("by") == "month" and r.get("end"):
        end = r["end"] if isinstance(r["end"], datetime) else datetime.fromisoformat(str(r["end"]))
        partial = partial_month(_period(mix[-1]["period"]), end)
    out["mix_chart"] = charts.stacked_bars(
        [{"label": _period(m["period"]), "values": {k: m.get(k, 0) for k in labels}} for m in mix], labels,
        "the mix of posts over time", colors=LABEL_COLORS, partial_last=partial)
    out["mix_small"] = charts.stacked_bars(
        [{"label": _period(m["period"]), "values": {k: m.get(k, 0) for k in labels}} for m in mix[-12:]], labels,
        "the mix of posts over time", colors=LABEL_COLORS, height=170, partial_last=partial)
    earnings = r.get("earnings") or []
    out["earn_chart"] = charts.hbar_chart(
        [{"label": e["label"], "value": (e.get("per_post") or {}).get("replies", 0),
          "color": LABEL_COLORS.get(e["label"], "#94a3b8")} for e in earnings], "replies per post")
    return out


def _period(value: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(value if len(value) > 7 else value + "-01")
    except ValueError:
        return value


def _day(value: Any) -> Any:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# -- exports: every list as CSV or JSON (as Datasette offers), with the page's filters -----------------
def export(rows: list[dict[str, Any]], fmt: str, name: str, columns: list[str]) -> Response:
    """The rows as a download: CSV (the columns named, in order; a cell that a spreadsheet would read
    as a formula is prefixed with ') or JSON (every field)."""
    import csv
    import io
    import json

    stamp = today().strftime("%Y-%m-%d")
    if fmt == "json":
        body = json.dumps({"rows": plain(rows), "count": len(rows)}, default=str, ensure_ascii=False)
        return Response(body, media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="tiescale-{name}-{stamp}.json"'})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="tiescale-{name}-{stamp}.csv"'})


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text) else text


_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")
