"""What the pages ask of the insights layer, declared once: each capability's words and functions.

A page that relies on a capability calls it through :func:`function`; a capability without the
function asked for (a test removes one to check it) comes back as :class:`Missing`, which the page
shows as an empty state naming it instead of failing. Every function is imported statically here.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ...classify import classify_texts
from ...insights import actions, content, goals, queue, responsiveness, revenue


@dataclass(frozen=True)
class Capability:
    """What a page calls a capability in an empty state, and its functions by name."""

    words: str
    functions: Mapping[str, Callable[..., Any]]


CAPABILITIES: dict[str, Capability] = {
    "queue": Capability("the nurture queue", {"build_queue": queue.build_queue}),
    "actions": Capability("queue actions and notes", {"mark_done": actions.mark_done, "snooze": actions.snooze,
                                                      "action_history": actions.action_history,
                                                      "add_note": actions.add_note, "undo": actions.undo}),
    "responsiveness": Capability("responsiveness", {"responsiveness": responsiveness.responsiveness}),
    "classify": Capability("the post classifier", {"classify_texts": classify_texts}),
    "content": Capability("the content report", {"content_report": content.content_report}),
    "revenue": Capability("revenue attribution", {"revenue_report": revenue.revenue_report}),
    "goals": Capability("vanity vs meaningful and goals", {"vanity_vs_meaningful": goals.vanity_vs_meaningful,
                                                           "goal_progress": goals.goal_progress,
                                                           "set_goal": goals.set_goal}),
}


class Missing(Exception):
    """A capability does not have the function asked for."""

    def __init__(self, capability: str, detail: str) -> None:
        self.capability = capability
        self.detail = detail
        super().__init__(f"{CAPABILITIES[capability].words} is not available in this version ({detail})")


def function(capability: str, name: str) -> Callable[..., Any]:
    """The function ``name`` of a capability, or :class:`Missing`."""
    found = CAPABILITIES[capability].functions.get(name)
    if found is None:
        raise Missing(capability, f"it has no {name}()")
    return found


def available(capability: str) -> bool:
    """Whether the capability has a function at all."""
    return bool(CAPABILITIES[capability].functions)


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
