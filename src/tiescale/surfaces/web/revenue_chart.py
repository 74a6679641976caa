"""The revenue-by-tier chart: a rate and its 95% interval per tier, never a total.

Total revenue by tier shows where most people are (never talked has the biggest bar), not what a
tier is worth. This chart draws revenue per person-month (with the currency) per tier as a dot on its
95% interval, with the orders per 1,000 person-days and the lift written beside it; a tier too small
for a rate says so in place of a bar. A table of the same numbers follows (for screen readers, and
for the exact figures). Labels are escaped; numbers are formatted here.
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

TIER_COLORS = {
    "none": "#94a3b8", "stranger": "#cbd5e1", "acquaintance": "#93c5fd", "regular": "#3b82f6", "close": "#1d4ed8",
    "champion": "#7c3aed",
}
INK, MUTED, GRID = "#0f172a", "#475569", "#e2e8f0"
FONT = "font-family=\"Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


def sig(value: float, digits: int = 3) -> str:
    """A number with enough significant digits that two close intervals read differently."""
    if value == 0:
        return "0"
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def times(value: float | None) -> str:
    if value is None:
        return ""
    if value == float("inf"):
        return "no upper bound"
    return f"{value:.2f}x" if value < 1 else f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def _label(tier: str) -> str:
    return "never talked" if tier == "none" else tier


def rate_chart(report: dict[str, Any], width: int = 560) -> Markup | None:
    """Revenue per person-month with its interval, per tier, from a revenue report's ``to_dict()``."""
    tiers = [t for t in report.get("tiers", []) if t.get("person_days")]
    if not tiers or not any(t.get("orders") for t in tiers):
        return None
    currency = escape(report.get("currency") or "")
    shown = [t for t in tiers if not t.get("too_small")]
    top = float(max([float(t["revenue_per_person_month_high"]) for t in shown] + [1e-9]))
    left, right, row_h, head = 118, 190, 30, 22
    plot_w = width - left - right
    height = head + row_h * len(tiers) + 8

    def x(value: float) -> float:
        return left + plot_w * min(value, top) / top

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="revenue per person-month by tier, with '
             f'95% intervals" {FONT} xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left}" y="14" font-size="12" fill="{MUTED}">{currency} per person-month (95% interval)'
             f'</text>', f'<text x="{width - right + 10}" y="14" font-size="12" fill="{MUTED}">orders per 1,000 '
             'person-days · lift</text>']
    for i, t in enumerate(tiers):
        y = head + row_h * i + row_h / 2
        color = TIER_COLORS.get(t["tier"], "#94a3b8")
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="12.5" fill="{INK}">'
                     f'{escape(_label(t["tier"]))}</text>')
        if t.get("too_small"):
            parts.append(f'<text x="{left}" y="{y + 4:.1f}" font-size="12" fill="{MUTED}">too few people for a rate '
                         f'({t["people"]:,} people, {t["orders"]:,} orders)</text>')
            continue
        low, mid, high = (t["revenue_per_person_month_low"], t["revenue_per_person_month"],
                          t["revenue_per_person_month_high"])
        tip = (f'{_label(t["tier"])}: {sig(mid)} {report.get("currency", "")} per person-month '
               f'({sig(low)}-{sig(high)}); {sig(t["orders_per_1000_person_days"])} orders per 1,000 person-days')
        parts.append(f'<g><title>{escape(tip)}</title>'
                     f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<line x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}" '
                     f'stroke-width="4" stroke-linecap="round" opacity=".55"/>'
                     f'<circle cx="{x(mid):.1f}" cy="{y:.1f}" r="5.5" fill="{color}" stroke="{INK}" '
                     f'stroke-width=".8"/></g>')
        lift = f' · {times(t.get("lift"))}' if t.get("lift") is not None else " · base"
        parts.append(f'<text x="{width - right + 10}" y="{y + 4:.1f}" font-size="12" fill="{INK}">'
                     f'{escape(sig(mid))} <tspan fill="{MUTED}">({escape(sig(low))}-{escape(sig(high))})</tspan>'
                     f'<tspan fill="{MUTED}"> {escape(sig(t["orders_per_1000_person_days"]))}{escape(lift)}</tspan>'
                     '</text>')
    parts.append("</svg>")
    rows = "".join(
        f'<tr><td>{escape(_label(t["tier"]))}</td><td>{t["people"]:,}</td><td>{t["person_days"]:,.0f}</td>'
        f'<td>{t["orders"]:,}</td>'
        + ('<td colspan="3">too few people for a rate</td>' if t.get("too_small") else
           f'<td>{escape(sig(t["orders_per_1000_person_days"]))} ({escape(sig(t["rate_low"]))}-'
           f'{escape(sig(t["rate_high"]))})</td><td>{escape(sig(t["revenue_per_person_month"]))} '
           f'({escape(sig(t["revenue_per_person_month_low"]))}-{escape(sig(t["revenue_per_person_month_high"]))})'
           f'</td><td>{escape(times(t.get("lift")))}</td>') + "</tr>" for t in tiers)
    table = (f'<details class="chart-numbers"><summary>The numbers</summary><table class="table"><thead><tr>'
             f'<th>tier</th><th>people</th><th>person-days</th><th>orders</th><th>per 1,000 person-days</th>'
             f'<th>{currency} per person-month</th><th>lift</th></tr></thead><tbody>{rows}</tbody></table></details>')
    return Markup(f'<figure class="chart revenue-rates">{"".join(parts)}{table}</figure>')
