"""Charts drawn on the server as inline SVG: no JavaScript, so they also live in the offline report.

Every label that may come from data is escaped; numbers are formatted here.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from collections.abc import Sequence

from markupsafe import Markup, escape

TIER_COLORS = {
    "stranger": "#cbd5e1", "acquaintance": "#93c5fd", "regular": "#3b82f6", "close": "#1d4ed8",
    "champion": "#7c3aed",
}
SERIES_COLORS = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b")
INK, MUTED, GRID = "#0f172a", "#64748b", "#e2e8f0"
FONT = "font-family=\"Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


def compact(value: float) -> str:
    """1234 -> 1.2k; 2500000 -> 2.5M; small numbers as they are."""
    n = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{int(value):,}"


def _label(x: Any) -> str:
    if isinstance(x, datetime):
        return f"{x:%b %y}"
    if isinstance(x, date):
        return f"{x:%b %y}"
    if isinstance(x, str) and len(x) >= 10 and x[4] == "-" and x[7] == "-":
        try:
            return f"{datetime.fromisoformat(x[:10]):%b %y}"
        except ValueError:
            return x
    return str(x)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 2.5, 5, 10):
        magnitude = 10 ** (len(str(int(value))) - 1)
        candidate = step * magnitude
        if candidate >= value:
            return float(candidate)
    return float(value)


def _empty(width: int, height: int, message: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(message)}">'
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{MUTED}" font-size="13" {FONT}>'
        f"{escape(message)}</text></svg>")


def bar_chart(bars: Sequence[dict[str, Any]], title: str, width: int = 560, height: int = 240,
              value_format: str = "count") -> Markup:
    """Vertical bars: each {label, value, color?, note?}."""
    if not bars or not any(b.get("value") for b in bars):
        return _empty(width, height, "no data yet")
    left, right, top, bottom = 44, 12, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max(float(b["value"] or 0) for b in bars))
    slot = plot_w / len(bars)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>']
    for i in range(5):
        y = top + plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
                     f"{escape(compact(peak * (4 - i) / 4))}</text>")
    for i, bar in enumerate(bars):
        value = float(bar["value"] or 0)
        h = plot_h * value / peak
        x = left + slot * i + slot * 0.14
        w = slot * 0.72
        color = bar.get("color") or SERIES_COLORS[0]
        tip = f'{bar["label"]}: {compact(value)}' + (f' ({bar["note"]})' if bar.get("note") else "")
        parts.append(f'<g><title>{escape(tip)}</title><rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{w:.1f}" '
                     f'height="{max(h, 0.5):.1f}" rx="3" fill="{escape(color)}"/></g>')
        if value:
            parts.append(f'<text x="{x + w / 2:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" '
                         f'font-size="10.5" fill="{INK}">{escape(compact(value))}</text>')
        parts.append(f'<text x="{x + w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" '
                     f'fill="{MUTED}">{escape(str(bar["label"]))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(series: Sequence[dict[str, Any]], title: str, width: int = 560, height: int = 240,
               y_max: float | None = None, y_suffix: str = "") -> Markup:
    """Lines over a shared ordered x axis: each series {name, points: [(x, y)], color?, axis?}.

    A series with ``axis: "right"`` gets its own scale on the right (followers vs people).
    """
    xs: list[Any] = []
    for s in series:
        for x, _y in s["points"]:
            if x not in xs:
                xs.append(x)
    xs.sort(key=lambda v: (str(type(v)), v))
    if not xs:
        return _empty(width, height, "no data yet")
    has_right = any(s.get("axis") == "right" for s in series)
    left, right, top, bottom = 48, 48 if has_right else 14, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom

    def peak_of(axis: str) -> float:
        values = [float(y) for s in series if (s.get("axis") or "left") == axis for _x, y in s["points"] if y is not None]
        return y_max if (y_max is not None and axis == "left") else _nice_max(max(values, default=0.0))

    peaks = {"left": peak_of("left"), "right": peak_of("right") if has_right else 1.0}

    def px(x: Any) -> float:
        return left + (plot_w * xs.index(x) / (len(xs) - 1) if len(xs) > 1 else plot_w / 2)

    def py(y: float, axis: str) -> float:
        return top + plot_h - plot_h * float(y) / peaks[axis]

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>']
    for i in range(5):
        y = top + plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
                     f"{escape(compact(peaks['left'] * (4 - i) / 4))}{escape(y_suffix)}</text>")
        if has_right:
            parts.append(f'<text x="{width - right + 6}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}">'
                         f"{escape(compact(peaks['right'] * (4 - i) / 4))}</text>")
    step = max(1, -(-len(xs) // 7))
    drawn_at, drawn_label = -1e9, None
    for i, x in enumerate(xs):
        if (i % step == 0 or i == len(xs) - 1) and px(x) - drawn_at > 44 and _label(x) != drawn_label:
            drawn_at, drawn_label = px(x), _label(x)
            parts.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11" '
                         f'fill="{MUTED}">{escape(_label(x))}</text>')
    legend_x = left
    for n, s in enumerate(series):
        color = s.get("color") or SERIES_COLORS[n % len(SERIES_COLORS)]
        axis = s.get("axis") or "left"
        points = [(px(x), py(y, axis), x, y) for x, y in s["points"] if y is not None]
        if len(points) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{a:.1f},{b:.1f}" for i, (a, b, _x, _y) in enumerate(points))
            dash = ' stroke-dasharray="5 4"' if s.get("dashed") else ""
            parts.append(f'<path d="{path}" fill="none" stroke="{escape(color)}" stroke-width="2.2" '
                         f'stroke-linejoin="round" stroke-linecap="round"{dash}/>')
        for a, b, x, y in points:
            parts.append(f'<g><title>{escape(s["name"])}, {escape(_label(x))}: {escape(compact(float(y)))}'
                         f'{escape(y_suffix)}</title><circle cx="{a:.1f}" cy="{b:.1f}" r="{3.2 if len(points) < 40 else 1.6}" '
                         f'fill="{escape(color)}"/></g>')
        label = str(s["name"]) + (" (right axis)" if axis == "right" else "")
        parts.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" rx="2" fill="{escape(color)}"/>'
                     f'<text x="{legend_x + 14}" y="{height - 5}" font-size="11.5" fill="{INK}">{escape(label)}</text>')
        legend_x += 24 + 7 * len(label)
    parts.append("</svg>")
    return Markup("".join(parts))


def hbar_chart(bars: Sequence[dict[str, Any]], title: str, width: int = 560, value_suffix: str = "",
               money: bool = False) -> Markup:
    """Horizontal bars with labels on the left: each {label, value, color?}."""
    if not bars:
        return _empty(width, 120, "no data yet")
    row_h, left, right = 30, 130, 70
    height = row_h * len(bars) + 10
    peak = max(float(b["value"] or 0) for b in bars) or 1.0
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>']
    for i, bar in enumerate(bars):
        value = float(bar["value"] or 0)
        y = 5 + i * row_h
        w = (width - left - right) * value / peak
        color = bar.get("color") or SERIES_COLORS[0]
        shown = (f"{value:,.0f}" if money else compact(value)) + value_suffix
        parts.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" font-size="12" fill="{INK}">'
                     f'{escape(str(bar["label"]))}</text>')
        parts.append(f'<rect x="{left}" y="{y + 5}" width="{width - left - right}" height="20" rx="4" fill="#f1f5f9"/>')
        parts.append(f'<g><title>{escape(str(bar["label"]))}: {escape(shown)}</title><rect x="{left}" y="{y + 5}" '
                     f'width="{max(w, 1):.1f}" height="20" rx="4" fill="{escape(color)}"/></g>')
        parts.append(f'<text x="{left + max(w, 1) + 6:.1f}" y="{y + 19}" font-size="12" fill="{INK}">'
                     f"{escape(shown)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bars(columns: Sequence[dict[str, Any]], keys: Sequence[str], title: str, width: int = 560,
                 height: int = 240, colors: dict[str, str] | None = None) -> Markup:
    """Stacked shares per column: each column {label, values: {key: number}}; drawn as 100% stacks."""
    if not columns:
        return _empty(width, height, "no data yet")
    left, right, top, bottom = 40, 10, 12, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(columns)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>']
    for i in range(5):
        y = top + plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
                     f"{100 - 25 * i}%</text>")
    palette = colors or {k: SERIES_COLORS[n % len(SERIES_COLORS)] for n, k in enumerate(keys)}
    step = max(1, len(columns) // 10)
    for i, col in enumerate(columns):
        total = sum(float(col["values"].get(k) or 0) for k in keys) or 1.0
        x, w = left + slot * i + slot * 0.15, slot * 0.7
        y = top + plot_h
        for key in keys:
            v = float(col["values"].get(key) or 0)
            h = plot_h * v / total
            if h > 0:
                y -= h
                parts.append(f'<g><title>{escape(_label(col["label"]))}, {escape(key)}: {escape(compact(v))} '
                             f'({100 * v / total:.0f}%)</title><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                             f'height="{h:.1f}" fill="{escape(palette.get(key, MUTED))}"/></g>')
        if i % step == 0:
            parts.append(f'<text x="{x + w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11" '
                         f'fill="{MUTED}">{escape(_label(col["label"]))}</text>')
    legend_x = left
    for key in keys:
        parts.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" rx="2" '
                     f'fill="{escape(palette.get(key, MUTED))}"/><text x="{legend_x + 14}" y="{height - 5}" '
                     f'font-size="11.5" fill="{INK}">{escape(key)}</text>')
        legend_x += 26 + 7 * len(str(key))
    parts.append("</svg>")
    return Markup("".join(parts))


def score_gauge(score: float | None, tier: str | None, size: int = 132) -> Markup:
    """A ring showing a score out of 10 in its tier's colour."""
    r = size / 2 - 9
    c = 2 * 3.14159265 * r
    frac = max(0.0, min(1.0, (score or 0) / 10))
    color = TIER_COLORS.get(tier or "", MUTED)
    text = "–" if score is None else f"{score:.1f}"
    return Markup(
        f'<svg class="gauge" viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
        f'aria-label="score {escape(text)} of 10" {FONT}>'
        f'<circle cx="{size / 2}" cy="{size / 2}" r="{r}" fill="none" stroke="{GRID}" stroke-width="11"/>'
        f'<circle cx="{size / 2}" cy="{size / 2}" r="{r}" fill="none" stroke="{color}" stroke-width="11" '
        f'stroke-linecap="round" stroke-dasharray="{c * frac:.1f} {c:.1f}" '
        f'transform="rotate(-90 {size / 2} {size / 2})"/>'
        f'<text x="{size / 2}" y="{size / 2 + 4}" text-anchor="middle" font-size="30" font-weight="700" '
        f'fill="{INK}">{escape(text)}</text><text x="{size / 2}" y="{size / 2 + 24}" text-anchor="middle" '
        f'font-size="11" fill="{MUTED}">of 10</text></svg>')
