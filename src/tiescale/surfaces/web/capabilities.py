"""The later capabilities (queue, responsiveness, classifier, content, revenue), looked up at call time.

A page that relies on a capability this installation does not have yet shows an empty state
naming it, instead of failing. Looking up at call time means no restart is needed in development.
"""
from __future__ import annotations

import dataclasses
import importlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

#: capability -> (modules searched in order, function names, the words a page uses for its empty state)
CAPABILITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "queue": (("tiescale.insights.queue",), ("build_queue",), "the nurture queue"),
    "actions": (("tiescale.insights.queue", "tiescale.insights.actions"), ("mark_done", "snooze", "action_history"),
                "queue actions and notes"),
    "responsiveness": (("tiescale.insights.responsiveness",), ("responsiveness",), "responsiveness"),
    "classify": (("tiescale.classify",), ("classify_texts",), "the post classifier"),
    "content": (("tiescale.insights.content",), ("content_report",), "the content report"),
    "revenue": (("tiescale.insights.revenue",), ("revenue_report",), "revenue attribution"),
    "goals": (("tiescale.insights.revenue", "tiescale.insights.goals"), ("vanity_vs_meaningful", "goal_progress"),
              "vanity vs meaningful and goals"),
}


class Missing(Exception):
    """A capability (module or function) is not part of this installation yet."""

    def __init__(self, capability: str, detail: str) -> None:
        self.capability = capability
        self.detail = detail
        super().__init__(f"{CAPABILITIES[capability][2]} is not available in this version ({detail})")


def function(capability: str, name: str) -> Callable[..., Any]:
    """The function ``name`` of a capability, from the first of its modules that has it, or :class:`Missing`."""
    modules, _names, _words = CAPABILITIES[capability]
    missing = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                missing.append(f"no module {module_name}")
                continue
            raise
        found = getattr(module, name, None)
        if callable(found):
            return found
        missing.append(f"{module_name} has no {name}()")
    raise Missing(capability, "; ".join(missing))


def available(capability: str) -> bool:
    try:
        for name in CAPABILITIES[capability][1]:
            function(capability, name)
    except Missing:
        return False
    return True


def plain(value: Any) -> Any:
    """A capability's result as JSON-ready data: dataclasses and ``to_dict()`` objects become dicts."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return plain(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value
