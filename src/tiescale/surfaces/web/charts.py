"""Charts drawn on the server as inline SVG: no JavaScript, so they also live in the offline report.

Every chart is a ``<figure>`` holding the chart drawn twice, for a wide box (560 units) and a narrow
one (330 units: a phone, a third of a desktop row), of which CSS container queries show the one
that keeps text at 11 px or more, and a table of the same numbers ("The numbers") for screen
readers and for anyone who wants the exact figures. Every label that may come from data is
escaped; numbers are formatted here.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

TIER_COLORS = {
    "stranger": "#cbd5e1", "acquaintance": "#93c5fd", "regular": "#3b82f6", "close": "#1d4ed8",
    "champion": "#7c3aed",
}
SERIES_COLORS = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b")
INK, MUTED, GRID = "#0f172a", "#475569", "#e2e8f0"
FONT = "font-family=\"Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""
#: Text sizes in chart units; a chart is never shown narrower than about 0.92 of its width (CSS).
TICK, LABEL = 12, 12.5
WIDE, NARROW = 560, 330
FADED, PARTIAL = ' opacity=".7"', ' opacity=".55"'


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


def _full_label(x: Any) -> str:
    """The x value in a table: a month as 2026-11, a day as 2026-11-02."""
    if isinstance(x, datetime):
        x = x.date()
    if isinstance(x, date):
        return f"{x:%Y-%m}" if x.day == 1 else f"{x:%Y-%m-%d}"
    return str(x)


def nice_scale(value: float, intervals: int = 4) -> tuple[float, float]:
    """An axis top and tick step that read well: steps of 1, 2 or 5 times a power of ten
    (5,000 in steps of 1,000, never ticks such as 1.2k and 3.8k)."""
    if value <= 0:
        return 1.0, 0.25 if intervals == 4 else 1.0 / intervals
    raw = value / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step >= 1:
        step = float(round(step))
    return step * math.ceil(value / step - 1e-9), step


def _nice_max(value: float) -> float:
    return nice_scale(value)[0]


def _ticks(peak: float, step: float) -> list[float]:
    count = int(round(peak / step))
    return [step * i for i in range(count + 1)]


def _empty(width: int, height: int, message: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(message)}">'
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{MUTED}" font-size="13" {FONT}>'
        f"{escape(message)}</text></svg>")


def data_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], note: str = "") -> Markup:
    """The numbers behind a chart, as a table under a disclosure: read by screen readers, copyable."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join((f'<th scope="row">{escape(str(c))}</th>' if i == 0 else
                                     f'<td class="num">{escape(_cell(c))}</td>') for i, c in enumerate(r)) + "</tr>"
                   for r in rows)
    caption = escape(title) + (Markup(" <span class=\"muted\">(") + escape(note) + Markup(")</span>") if note else "")
    return Markup(f'<details class="chart-data"><summary>The numbers</summary><div class="table-wrap" tabindex="0" '
                  f'role="region" aria-label="{escape(title)}: the numbers">'
                  f'<table class="table compact"><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
                  f"<tbody>{body}</tbody></table></div></details>")


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _figure(title: str, draw: Callable[[int], str], table: Markup) -> Markup:
    """The chart at both widths and its table, in one figure (CSS shows the width that fits)."""
    wide = draw(WIDE).replace('class="chart"', 'class="chart wide"', 1)
    narrow = draw(NARROW).replace('class="chart"', 'class="chart narrow"', 1)
    return Markup(f'<figure class="chart-box">{wide}{narrow}{table}</figure>')


def _open(width: int, height: int, title: str, links: bool = False) -> str:
    """The svg element: an image, or a group when its bars are links (an image has no parts to use)."""
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="{"group" if links else "img"}" '
            f'aria-label="{escape(title)}" {FONT}>')


def bar_chart(bars: Sequence[dict[str, Any]], title: str, width: int = WIDE, height: int = 240,
              value_format: str = "count", log: bool = False) -> Markup:
    """Vertical bars: each {label, value, color?, note?, href?}. ``log``: a logarithmic axis, so that
    the few people at the top of a scale are visible beside thousands at the bottom."""
    if not bars or not any(b.get("value") for b in bars):
        return _empty(width, height, "no data yet")
    note = "logarithmic scale" if log else ""
    table = data_table(title, ["", "value"] + (["note"] if any(b.get("note") for b in bars) else []),
                       [[b["label"], b["value"]] + ([b.get("note") or ""] if any(x.get("note") for x in bars) else [])
                        for b in bars], note)
    return _figure(title, lambda w: _bar_svg(bars, title + (f" ({note})" if note else ""), w, height, log), table)


def _bar_svg(bars: Sequence[dict[str, Any]], title: str, width: int, height: int, log: bool) -> str:
    left, right, top, bottom = 44, 12, 18, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    biggest = max(float(b["value"] or 0) for b in bars)
    if log:
        decades = max(1, math.ceil(math.log10(max(biggest, 1)) - 1e-9))
        # 0, then powers of ten (1 only on a short axis: beside 0 it would crowd it)
        ticks = [0.0] + [10.0 ** d for d in range(0 if decades <= 2 else 1, decades + 1)]

        def scale(v: float) -> float:
            return math.log10(1 + v) / math.log10(1 + 10.0 ** decades)
    else:
        peak, step = nice_scale(biggest)
        ticks = _ticks(peak, step)

        def scale(v: float) -> float:
            return v / peak
    slot = plot_w / len(bars)
    parts = [_open(width, height, title, links=any(b.get("href") for b in bars))]
    for t in ticks:
        y = top + plot_h - plot_h * scale(t)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{TICK}" fill="{MUTED}">'
                     f"{escape(compact(t))}</text>")
    every = max(1, math.ceil(len(bars) * 26 / plot_w))  # an x label every so many bars, so none overlap
    for i, bar in enumerate(bars):
        value = float(bar["value"] or 0)
        h = plot_h * scale(value)
        x = left + slot * i + slot * 0.14
        w = slot * 0.72
        color = bar.get("color") or SERIES_COLORS[0]
        tip = f'{bar["label"]}: {compact(value)}' + (f' ({bar["note"]})' if bar.get("note") else "")
        rect = (f'<g><title>{escape(tip)}</title><rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{w:.1f}" '
                f'height="{max(h, 0.5):.1f}" rx="3" fill="{escape(color)}"/></g>')
        if bar.get("href") and value:  # the whole column is the link: a bar a few pixels tall is hard to hit
            hit = (f'<rect x="{x:.1f}" y="{top}" width="{w:.1f}" height="{plot_h}" fill="#fff" '
                   f'fill-opacity="0"/>')
            rect = f'<a href="{escape(bar["href"])}" aria-label="{escape(tip)}">{rect}{hit}</a>'
        parts.append(rect)
        if value and w >= 14:
            parts.append(f'<text x="{x + w / 2:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" '
                         f'font-size="{TICK}" fill="{INK}">{escape(compact(value))}</text>')
        if i % every == 0:
            parts.append(f'<text x="{x + w / 2:.1f}" y="{height - bottom + 17}" text-anchor="middle" '
                         f'font-size="{TICK}" fill="{MUTED}">{escape(str(bar["label"]))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(series: Sequence[dict[str, Any]], title: str, width: int = WIDE, height: int = 240,
               y_max: float | None = None, y_suffix: str = "", partial_last: str | None = None) -> Markup:
    """Lines over a shared ordered x axis: each series {name, points: [(x, y)], color?, axis?}.

    A series with ``axis: "right"`` gets its own scale on the right (followers vs people).
    ``partial_last``: the last x is a period not over yet (its words, e.g. "November so far, to the
    2nd"): drawn dashed and hollow, and said in the legend and the table, so a short month does not
    read as a fall.
    """
    xs: list[Any] = []
    for s in series:
        for x, _y in s["points"]:
            if x not in xs:
                xs.append(x)
    xs.sort(key=lambda v: (str(type(v)), v))
    if not xs:
        return _empty(width, height, "no data yet")
    names = [str(s["name"]) + (" (right axis)" if s.get("axis") == "right" else "") for s in series]
    values = [{x: y for x, y in s["points"]} for s in series]
    rows = [[_full_label(x) + (" (partial)" if partial_last and x == xs[-1] else "")]
            + [(None if v.get(x) is None else (f"{v[x]:g}{y_suffix}" if y_suffix else v[x])) for v in values]
            for x in xs]
    table = data_table(title, [""] + names, rows, partial_last or "")
    return _figure(title, lambda w: _line_svg(series, xs, title, w, height, y_max, y_suffix, partial_last), table)


def _line_svg(series: Sequence[dict[str, Any]], xs: list[Any], title: str, width: int, height: int,
              y_max: float | None, y_suffix: str, partial_last: str | None) -> str:
    has_right = any(s.get("axis") == "right" for s in series)
    legend_rows = _legend_rows([str(s["name"]) + (" (right axis)" if s.get("axis") == "right" else "")
                                for s in series] + ([partial_last] if partial_last else []), width)
    left, right, top = 48, 48 if has_right else 14, 14
    bottom = 30 + 18 * len(legend_rows)
    height = max(height, top + bottom + 120)
    plot_w, plot_h = width - left - right, height - top - bottom

    def scale_of(axis: str) -> tuple[float, float]:
        found = [float(y) for s in series if (s.get("axis") or "left") == axis for _x, y in s["points"] if y is not None]
        if y_max is not None and axis == "left":
            return y_max, y_max / 4
        return nice_scale(max(found, default=0.0))

    scales = {"left": scale_of("left"), "right": scale_of("right") if has_right else (1.0, 0.25)}

    def px(x: Any) -> float:
        return left + (plot_w * xs.index(x) / (len(xs) - 1) if len(xs) > 1 else plot_w / 2)

    def py(y: float, axis: str) -> float:
        return top + plot_h - plot_h * float(y) / scales[axis][0]

    parts = [_open(width, height, title)]
    for t in _ticks(*scales["left"]):
        y = py(t, "left")
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{TICK}" fill="{MUTED}">'
                     f"{escape(compact(t))}{escape(y_suffix)}</text>")
    if has_right:
        for t in _ticks(*scales["right"]):
            y = py(t, "right")
            parts.append(f'<text x="{width - right + 6}" y="{y + 4:.1f}" font-size="{TICK}" fill="{MUTED}">'
                         f"{escape(compact(t))}</text>")
    gap = 50 if width > 400 else 56
    drawn_at, drawn_label = -1e9, None
    for i, x in enumerate(xs):
        last = i == len(xs) - 1
        if px(x) - drawn_at > gap and _label(x) != drawn_label and (last or px(xs[-1]) - px(x) > gap + 18):
            drawn_at, drawn_label = px(x), _label(x)
            anchor = "end" if last and len(xs) > 1 else "middle"  # the last label ends at the edge, not past it
            parts.append(f'<text x="{px(x) + (4 if anchor == "end" else 0):.1f}" y="{top + plot_h + 17}" '
                         f'text-anchor="{anchor}" font-size="{TICK}" fill="{MUTED}">{escape(_label(x))}</text>')
    for n, s in enumerate(series):
        color = s.get("color") or SERIES_COLORS[n % len(SERIES_COLORS)]
        axis = s.get("axis") or "left"
        points = [(px(x), py(y, axis), x, y) for x, y in s["points"] if y is not None]
        cut = len(points) - 1 if partial_last and points and points[-1][2] == xs[-1] else len(points)
        dash = ' stroke-dasharray="5 4"' if s.get("dashed") else ""
        if cut > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{a:.1f},{b:.1f}" for i, (a, b, _x, _y) in enumerate(points[:cut]))
            parts.append(f'<path d="{path}" fill="none" stroke="{escape(color)}" stroke-width="2.2" '
                         f'stroke-linejoin="round" stroke-linecap="round"{dash}/>')
        if cut < len(points) and cut >= 1:
            (a0, b0, _x0, _y0), (a1, b1, _x1, _y1) = points[cut - 1], points[cut]
            parts.append(f'<path class="partial" d="M{a0:.1f},{b0:.1f} L{a1:.1f},{b1:.1f}" fill="none" '
                         f'stroke="{escape(color)}" stroke-width="1.6" stroke-dasharray="2 4" stroke-linecap="round"/>')
        for i, (a, b, x, y) in enumerate(points):
            hollow = i >= cut
            label = f'{s["name"]}, {_label(x)}: {compact(float(y))}{y_suffix}' + (" (partial)" if hollow else "")
            fill = f'fill="#fff" stroke="{escape(color)}" stroke-width="1.6"' if hollow else f'fill="{escape(color)}"'
            parts.append(f'<g><title>{escape(label)}</title><circle cx="{a:.1f}" cy="{b:.1f}" '
                         f'r="{3.2 if len(points) < 40 or hollow else 1.6}" {fill}/></g>')
    colors = [s.get("color") or SERIES_COLORS[n % len(SERIES_COLORS)] for n, s in enumerate(series)]
    entries = {str(s["name"]) + (" (right axis)" if s.get("axis") == "right" else ""): (c, bool(s.get("dashed")))
               for s, c in zip(series, colors)}
    y0 = height - 18 * len(legend_rows) + 9
    for r, row in enumerate(legend_rows):
        x = float(left)
        for name in row:
            color, dashed = entries.get(name, (MUTED, False))
            mark = (f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="{y0 + 18 * r - 4:.1f}" y2="{y0 + 18 * r - 4:.1f}" '
                    f'stroke="{MUTED}" stroke-width="1.6" stroke-dasharray="2 3"/>') if name == partial_last else (
                f'<rect x="{x:.1f}" y="{y0 + 18 * r - 9:.1f}" width="10" height="10" rx="2" fill="{escape(color)}"'
                f'{FADED if dashed else ""}/>')
            parts.append(mark + f'<text x="{x + 18:.1f}" y="{y0 + 18 * r:.1f}" font-size="{LABEL}" fill="{INK}">'
                                f"{escape(name)}</text>")
            x += 30 + 6.6 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def _legend_rows(names: Sequence[str], width: int) -> list[list[str]]:
    """Legend entries in rows that fit the width (about 6.6 units a character at 12.5)."""
    rows: list[list[str]] = [[]]
    used = 48.0
    for name in names:
        need = 30 + 6.6 * len(name)
        if rows[-1] and used + need > width - 8:
            rows.append([])
            used = 48.0
        rows[-1].append(name)
        used += need
    return rows


def hbar_chart(bars: Sequence[dict[str, Any]], title: str, width: int = WIDE, value_suffix: str = "",
               money: bool = False) -> Markup:
    """Horizontal bars with labels on the left: each {label, value, color?, href?}."""
    if not bars:
        return _empty(width, 120, "no data yet")

    def shown(value: float) -> str:
        return (f"{value:,.0f}" if money else compact(value)) + value_suffix
    table = data_table(title, ["", "value"], [[b["label"], shown(float(b["value"] or 0))] for b in bars])
    return _figure(title, lambda w: _hbar_svg(bars, title, w, shown), table)


def _hbar_svg(bars: Sequence[dict[str, Any]], title: str, width: int, shown: Callable[[float], str]) -> str:
    row_h, left, right = 30, (118 if width > 400 else 104), (76 if width > 400 else 64)
    height = row_h * len(bars) + 10
    peak = max(float(b["value"] or 0) for b in bars) or 1.0
    parts = [_open(width, height, title, links=any(b.get("href") for b in bars))]
    for i, bar in enumerate(bars):
        value = float(bar["value"] or 0)
        y = 5 + i * row_h
        w = (width - left - right) * value / peak
        color = bar.get("color") or SERIES_COLORS[0]
        label = str(bar["label"])
        parts.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" font-size="{LABEL}" fill="{INK}">'
                     f'{escape(label)}</text>')
        rect = (f'<rect x="{left}" y="{y + 5}" width="{width - left - right}" height="20" rx="4" fill="#f1f5f9"/>'
                f'<g><title>{escape(label)}: {escape(shown(value))}</title><rect x="{left}" y="{y + 5}" '
                f'width="{max(w, 1):.1f}" height="20" rx="4" fill="{escape(color)}"/></g>')
        if bar.get("href") and value:
            rect = f'<a href="{escape(bar["href"])}" aria-label="{escape(label)}: {escape(shown(value))}">{rect}</a>'
        parts.append(rect)
        parts.append(f'<text x="{left + max(w, 1) + 6:.1f}" y="{y + 19}" font-size="{LABEL}" fill="{INK}">'
                     f"{escape(shown(value))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(columns: Sequence[dict[str, Any]], keys: Sequence[str], title: str, width: int = WIDE,
                 height: int = 240, colors: dict[str, str] | None = None, partial_last: str | None = None) -> Markup:
    """Stacked shares per column: each column {label, values: {key: number}}; drawn as 100% stacks."""
    if not columns:
        return _empty(width, height, "no data yet")
    rows = []
    for i, col in enumerate(columns):
        total = sum(float(col["values"].get(k) or 0) for k in keys)
        last = partial_last and i == len(columns) - 1
        rows.append([_full_label(col["label"]) + (" (partial)" if last else "")]
                    + [f"{int(col['values'].get(k) or 0):,} ({100 * float(col['values'].get(k) or 0) / total:.0f}%)"
                       if total else "0" for k in keys])
    table = data_table(title, [""] + list(keys), rows, partial_last or "")
    return _figure(title, lambda w: _stacked_svg(columns, keys, title, w, height, colors, partial_last), table)


def _stacked_svg(columns: Sequence[dict[str, Any]], keys: Sequence[str], title: str, width: int, height: int,
                 colors: dict[str, str] | None, partial_last: str | None) -> str:
    left, right, top, bottom = 44, 10, 12, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(columns)
    parts = [_open(width, height, title)]
    for i in range(5):
        y = top + plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{TICK}" fill="{MUTED}">'
                     f"{100 - 25 * i}%</text>")
    palette = colors or {k: SERIES_COLORS[n % len(SERIES_COLORS)] for n, k in enumerate(keys)}
    step = max(1, math.ceil(len(columns) * 50 / plot_w))
    for i, col in enumerate(columns):
        total = sum(float(col["values"].get(k) or 0) for k in keys) or 1.0
        x, w = left + slot * i + slot * 0.15, slot * 0.7
        y = top + plot_h
        last = bool(partial_last) and i == len(columns) - 1
        for key in keys:
            v = float(col["values"].get(key) or 0)
            h = plot_h * v / total
            if h > 0:
                y -= h
                parts.append(f'<g><title>{escape(_label(col["label"]))}, {escape(key)}: {escape(compact(v))} '
                             f'({100 * v / total:.0f}%){" (partial)" if last else ""}</title><rect x="{x:.1f}" '
                             f'y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{escape(palette.get(key, MUTED))}"'
                             f'{PARTIAL if last else ""}/></g>')
        if (len(columns) - 1 - i) % step == 0:
            parts.append(f'<text x="{x + w / 2:.1f}" y="{top + plot_h + 17}" text-anchor="middle" '
                         f'font-size="{TICK}" fill="{MUTED}">{escape(_label(col["label"]))}{"*" if last else ""}</text>')
    legend_x = float(left)
    for key in list(keys) + (["* " + partial_last] if partial_last else []):
        if not key.startswith("* "):
            parts.append(f'<rect x="{legend_x:.1f}" y="{height - 14}" width="10" height="10" rx="2" '
                         f'fill="{escape(palette.get(key, MUTED))}"/>')
        parts.append(f'<text x="{legend_x + (14 if not key.startswith("* ") else 0):.1f}" y="{height - 5}" '
                     f'font-size="{LABEL}" fill="{INK}">{escape(key)}</text>')
        legend_x += 26 + 6.6 * len(str(key))
    parts.append("</svg>")
    return "".join(parts)


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
        f'font-size="12" fill="{MUTED}">of 10</text></svg>')
