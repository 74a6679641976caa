"""What the layout and accessibility tests measure on a page: sideways scroll, where the heading
starts, and axe-core's violations. Shared by the browser tests and by the before/after captures."""
from __future__ import annotations

from typing import Any

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def measure(page: Any) -> dict[str, Any]:
    """The page's width beyond the viewport and the main heading's top edge (CSS pixels)."""
    return page.evaluate("""() => {
        const h = document.querySelector('main h1, h1');
        const r = h ? h.getBoundingClientRect() : null;
        return {scroll_width: document.documentElement.scrollWidth, viewport: window.innerWidth,
                viewport_height: window.innerHeight,
                heading_top: r ? r.top + window.scrollY : null, heading_bottom: r ? r.bottom + window.scrollY : null};
    }""")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is (every impact)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found: list[dict[str, Any]] = results.response["violations"]
    return found


def serious(violations: list[dict[str, Any]]) -> list[str]:
    """One line per serious or critical violation: the rule and the first offending nodes."""
    lines = []
    for v in violations:
        if v.get("impact") in ("serious", "critical"):
            targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:3]]
            lines.append(f"{v['id']} ({v['impact']}, {len(v.get('nodes', []))} nodes): {targets}")
    return lines


def counts(violations: list[dict[str, Any]]) -> dict[str, int]:
    """Violating nodes by impact."""
    out: dict[str, int] = {}
    for v in violations:
        out[v.get("impact") or "none"] = out.get(v.get("impact") or "none", 0) + len(v.get("nodes", []))
    return out


def visible_charts(page: Any) -> int:
    """How many charts show exactly one of their two drawings (the wide or the narrow one)."""
    shown: int = page.evaluate("""() => [...document.querySelectorAll('figure.chart-box')]
        .filter(f => [...f.querySelectorAll(':scope > svg.chart')]
                     .filter(svg => svg.getBoundingClientRect().width > 0).length === 1).length""")
    return shown


def smallest_chart_text(page: Any) -> float | None:
    """The smallest text size drawn in a visible chart, in CSS pixels (font size x the chart's scale)."""
    found: float | None = page.evaluate("""() => {
        let least = null;
        for (const svg of document.querySelectorAll('svg.chart')) {
            const box = svg.getBoundingClientRect();
            if (!box.width || getComputedStyle(svg).display === 'none') continue;
            const scale = box.width / svg.viewBox.baseVal.width;
            for (const t of svg.querySelectorAll('text')) {
                const px = parseFloat(t.getAttribute('font-size') || '16') * scale;
                least = least === null ? px : Math.min(least, px);
            }
        }
        return least;
    }""")
    return found
