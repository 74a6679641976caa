"""The revenue-by-tier chart draws a rate and its interval per tier, says when a tier is too small,
prints intervals with enough digits to differ, and escapes what comes from data."""
from __future__ import annotations

from typing import Any

from tiescale.surfaces.web.revenue_chart import rate_chart, sig, times


def tier(name: str, people: int, orders: int, month: float, low: float, high: float, lift: float | None = None,
         too_small: bool = False) -> dict[str, Any]:
    return {"tier": name, "people": people, "person_days": people * 300.0, "orders": orders,
            "orders_per_1000_person_days": 1000 * orders / (people * 300.0), "rate_low": 0.9, "rate_high": 1.1,
            "revenue_per_person_month": month, "revenue_per_person_month_low": low,
            "revenue_per_person_month_high": high, "lift": lift, "too_small": too_small, "revenue": 10_000.0}


def test_rates_with_intervals_not_totals() -> None:
    report = {"currency": "<b>EUR</b>", "tiers": [
        tier("none", 14_000, 185, 0.0131, 0.0126, 0.0137),
        tier("close", 40, 12, 0.52, 0.31, 0.88, lift=4.1),
        tier("champion", 2, 2, 9.0, 1.0, 40.0, lift=55.0, too_small=True)]}
    svg = str(rate_chart(report))
    assert "&lt;b&gt;EUR&lt;/b&gt;" in svg and "<b>EUR" not in svg
    # the interval of never talked reads 0.0126-0.0137, not "1%-1%"
    assert "0.0131" in svg and "0.0126" in svg and "0.0137" in svg
    assert "too few people for a rate" in svg and "9.00" not in svg  # the champion pair is not drawn
    assert svg.count("<circle") == 2 and "4.1x" in svg
    assert "10,000" not in svg  # total revenue is not what the chart shows
    assert rate_chart({"currency": "USD", "tiers": [tier("none", 10, 0, 0, 0, 0)]}) is None  # no orders: no chart


def test_numbers_keep_their_digits() -> None:
    assert (sig(1.2649), sig(1.3051), sig(0.000123456), sig(12345.6)) == ("1.26", "1.31", "0.000123", "12,346")
    assert (times(0.7234), times(1.34), times(13.4), times(None)) == ("0.72x", "1.3x", "13x", "")
