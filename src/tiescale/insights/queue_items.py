"""What the queue is made of: its settings (``QueueConfig``) and its rows (``QueueItem``).

Both the queue (``queue``) and its relationship reasons (``queue_reasons``) use them, so they live
here, below both: neither of the two imports the other's internals.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

#: The action suggested for each reason (never a sales pitch).
ACTIONS = {"unanswered": "reply", "cooling": "check in", "rising": "welcome", "thank": "thank",
           "reengage": "check in"}


@dataclass(frozen=True)
class QueueConfig:
    min_wait_hours: float = 24.0
    max_wait_days: float = 30.0
    window_days: int = 30
    cooling_min_score: float = 5.0
    cooling_drop: float = 1.5
    rhythm_factor: float = 3.0
    cooling_min_silence_days: float = 7.0
    rising_min_score: float = 4.0
    thank_min_score: float = 9.0
    thank_after_days: float = 14.0
    reengage_peak: float = 9.0
    dormant_days: float = 30.0
    history_months: int = 6
    done_quiet_days: float = 14.0


DEFAULT_QUEUE = QueueConfig()


@dataclass
class QueueItem:
    person_id: int
    person: str  # the handle the reason is about (as imported)
    name: str | None
    platform: str | None
    account: str | None
    reason: str
    priority: float
    evidence: str
    action: str
    score: float | None
    tier: str | None
    waiting_since: datetime | None = None
    waited_hours: float | None = None
    need: str | None = None  # unanswered: question | complaint | None
    details: dict[str, Any] = field(default_factory=dict)
    # links and names (insights.links.add_queue_links): https only, None when the data allows none
    url: str | None = None  # the message waiting for an answer, else the person's profile
    message_url: str | None = None
    profile_url: str | None = None
    item_id: str | None = None  # the platform's id of that message: what `tiescale reply` answers
    person_shown: str | None = None  # @name (Display), never a bare id unless nothing else is known
    username: str | None = None  # the @name on that platform, when the data has one
    account_shown: str | None = None
    activity: str | None = None  # active, or cooling / dormant since the last contact (insights.activity)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("details"))
        return data
