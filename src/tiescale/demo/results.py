"""What building the demo did: each import step, and the figures the overview prints."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..store.ingest import ImportSummary
from .config import DemoConfig
from .generate import DemoFiles


@dataclass
class StepResult:
    """One import of the demo: done, already done, or skipped (with the reason)."""

    step: str
    path: Path
    format: str
    status: str  # imported | unchanged | skipped | failed
    summary: ImportSummary | None = None
    reason: str | None = None

    @property
    def new_interactions(self) -> int:
        return self.summary.total_new if self.summary else 0


@dataclass
class DemoResult:
    db: Path
    data_dir: Path
    config: DemoConfig
    action: str  # built | refreshed | rebuilt
    files: DemoFiles
    steps: list[StepResult] = field(default_factory=list)
    people: int = 0
    talkers: int = 0  # people who did more than follow
    identities: int = 0
    interactions: dict[str, dict[str, int]] = field(default_factory=dict)
    posts: dict[str, int] = field(default_factory=dict)
    follower_snapshots: int = 0
    followers_latest: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    seconds: float = 0.0
    db_given: bool = True

    @property
    def new_interactions(self) -> int:
        return sum(step.new_interactions for step in self.steps)

    @property
    def total_interactions(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.interactions.values())

    @property
    def skipped(self) -> list[StepResult]:
        return [s for s in self.steps if s.status in ("skipped", "failed")]

    @property
    def truth(self) -> Path:
        return self.files.truth
