"""``tiescale report OUT.html``: one self-contained HTML file, readable offline and printable to PDF.

Styles and charts are inline (the charts are the dashboard's server-side SVG), there is no script
and nothing is loaded from anywhere: the file can be mailed as it is. All user text is escaped.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..insights.overview import overview as overview_of
from ..insights.people import current_as_of, has_scores, snapshot
from ..store.db import Store
from .web import views
from .web.pages import TEMPLATES, environment_setup

STATIC = Path(__file__).resolve().parent / "web" / "static"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True))
    environment_setup(env)
    return env


def report_data(store: Store, top: int = 25, queue_size: int = 15) -> dict[str, Any]:
    """Everything the report shows; needs a writable store (the queue refreshes its answer index)."""
    if not has_scores(store):
        current_as_of(store)  # scores once when the store has data but no snapshot yet
    snap = snapshot(store)
    overview = overview_of(store, snap, top=top)
    data: dict[str, Any] = {"snap": snap, "overview": overview, "view_charts": views.overview_charts(overview)}
    data["queue"] = views.attempt("queue", "build_queue", store, limit=0)
    data["responsiveness"] = views.attempt("responsiveness", "responsiveness", store, by="month")
    data["responsiveness_all"] = views.attempt("responsiveness", "responsiveness", store, by="all", refresh=False)
    data["content"] = views.attempt("content", "content_report", store)
    data["revenue"] = views.attempt("revenue", "revenue_report", store)
    data["vanity"] = views.attempt("goals", "vanity_vs_meaningful", store)
    data["goals"] = views.attempt("goals", "goal_progress", store)
    # ages count from today (the report's day), as on the dashboard, whatever the end of the data
    data["queue_items"] = views.queue_items(data["queue"], stop=queue_size, lag_days=views.freshness(snap)["offset"])
    data["queue_total"] = len(data["queue"].data or []) if data["queue"].available else 0
    data["responsiveness_summary"] = views.responsiveness_summary(data["responsiveness"], data["responsiveness_all"])
    data["responsiveness_chart"] = views.responsiveness_chart(data["responsiveness_summary"], snap.as_of)
    data["rv"] = views.revenue_view(data)
    data["headline"] = views.headline(data)
    data["cv"] = views.content_view(data["content"])
    return data


def render_report(store: Store, top: int = 25) -> str:
    data = report_data(store, top=top)
    data.update(css=(STATIC / "app.css").read_text(encoding="utf-8") + (STATIC / "report.css").read_text(encoding="utf-8"),
                generated=datetime.now(UTC), store_name=Path(store.path).name,
                standalone=True)  # one file: no links back to a dashboard (exports)
    return _environment().get_template("report.html").render(data)


def write_report(store: Store, output: str | os.PathLike[str], top: int = 25) -> int:
    """Write the report atomically; returns its size in bytes."""
    html = render_report(store, top=top)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".report-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(html)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, target)
    return target.stat().st_size
