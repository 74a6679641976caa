"""How responsive the brand is: per platform, account and period, from the answer index.

For the inbound replies, mentions, comments and DMs received in a period (by the time they were
received): the response rate (answered at all, by the end of the data), the median and 90th
percentile time to the first answer (answered messages only), and the shares of all messages
answered within 1 hour and within 24 hours. What counts as an answer: see ``threads``.
Messages received in the last 24 hours of the data may still be answered; they are counted.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tiescale.records import UsageError
from tiescale.store.db import Store
from .threads import refresh_threads

PERIODS = ("week", "month", "all")


@dataclass
class ResponsivenessRow:
    period: str  # YYYY-MM-DD (start of the week / month), or "all"
    platform: str
    account: str
    messages: int
    answered: int
    response_rate: float
    median_hours: float | None
    p90_hours: float | None
    within_1h: float
    within_24h: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def responsiveness(store: Store, account: str | None = None, by: str = "month", refresh: bool = True,
                   since: datetime | None = None) -> list[ResponsivenessRow]:
    """One row per (period, platform, account), oldest period first."""
    if by not in PERIODS:
        raise UsageError(f"--by: choose one of {', '.join(PERIODS)}, not {by!r}")
    if refresh:
        refresh_threads(store)
    period = "'all'" if by == "all" else f"strftime(date_trunc('{by}', ts AT TIME ZONE 'UTC'), '%Y-%m-%d')"
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if account is not None:
        where.append("account = ?")
        params.append(account)
    if since is not None:
        where.append("ts >= ?")
        params.append(since)
    rows = store.con.execute(f"""
        SELECT {period} AS period, platform, account, count(*) AS messages, count(answered_at) AS answered,
               count(answered_at) / count(*) AS response_rate,
               median(epoch(answered_at - ts)) / 3600.0 AS median_hours,
               quantile_cont(epoch(answered_at - ts), 0.9) / 3600.0 AS p90_hours,
               count(*) FILTER (WHERE answered_at - ts <= INTERVAL 1 HOUR) / count(*) AS within_1h,
               count(*) FILTER (WHERE answered_at - ts <= INTERVAL 24 HOUR) / count(*) AS within_24h
        FROM answer_messages WHERE {' AND '.join(where)}
        GROUP BY ALL ORDER BY period, platform, account""", params).fetchall()
    return [ResponsivenessRow(p, pl, a, n, ans, round(rate, 4),
                              None if med is None else round(med, 2), None if p90 is None else round(p90, 2),
                              round(w1, 4), round(w24, 4))
            for p, pl, a, n, ans, rate, med, p90, w1, w24 in rows]
