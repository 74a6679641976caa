"""Running a sync: cursors, retries with backoff, rate limits, ingest, the schedule loop.

Every page fetched is written to a file in a private folder next to the store and imported by
:func:`tiescale.store.ingest.ingest_path` (the path exports take: dedupe, atomic, logged in
``imports``); the stream's cursor is written inside that same import transaction, so the cursor
never runs ahead of, nor behind, what the store holds. How each mode stays gap-free:

- ``walk`` (newest first): ``high_water`` only moves once a walk has reached it again; a walk cut
  short keeps ``walk_top`` and ``walk_cursor`` and the next run finishes it first, then walks
  from the top down to the new high water.
- ``forward`` (oldest first after an id): each page moves ``high_water`` to its newest item.
- ``snapshot``: one file for the whole list, only when every page was fetched.
"""
from __future__ import annotations

import random
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable

import duckdb

from ..records import TiescaleError, UsageError
from ..store.db import Store
from ..store.ingest import ImportSummary, ingest_path
from .base import AuthFailed, NotPermitted, Page, PlatformClient, RateLimited, Stream, SyncError, TransientError
from .credentials import Connection, load_connections

SNAPSHOT_EVERY = timedelta(hours=20)  # followers: about once a day, whatever --every says


@dataclass
class RetryPolicy:
    """How failures are retried. ``sleep`` and ``clock`` are injectable (tests do not wait)."""

    attempts: int = 5  # tries of one request, the first included
    base_delay: float = 2.0  # backoff: base * 2**retry, capped at max_delay, jittered
    max_delay: float = 120.0
    max_wait: float = 900.0  # a rate limit asking for longer than this ends the stream for this run
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    jitter: Callable[[float], float] = field(default=lambda delay: random.uniform(delay / 2, delay))

    def backoff(self, retry: int) -> float:
        return self.jitter(min(self.base_delay * 2 ** retry, self.max_delay))


@dataclass
class StreamReport:
    platform: str
    account: str
    stream: str
    status: str = "ok"  # ok | partial | failed | skipped
    pages: int = 0
    new_items: int = 0  # new interactions and posts
    duplicates: int = 0
    rejected: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    message: str | None = None
    stored_pages: int = 0  # pages whose import (and cursor) committed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SyncReport:
    started_at: datetime
    streams: list[StreamReport] = field(default_factory=list)
    finished_at: datetime | None = None

    @property
    def new_items(self) -> int:
        return sum(s.new_items for s in self.streams)

    @property
    def failed(self) -> list[StreamReport]:
        return [s for s in self.streams if s.status in ("partial", "failed")]

    def to_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "new_items": self.new_items, "streams": [s.to_dict() for s in self.streams]}


@dataclass
class CursorState:
    high_water: str | None = None
    walk_top: str | None = None
    walk_cursor: str | None = None


# -- cursors ------------------------------------------------------------------------------------
def load_cursor(con: duckdb.DuckDBPyConnection, platform: str, account: str, stream: str) -> CursorState:
    row = con.execute("SELECT high_water, walk_top, walk_cursor FROM sync_cursors WHERE platform = ? AND account = ? "
                      "AND stream = ?", [platform, account, stream]).fetchone()
    return CursorState(*row) if row else CursorState()


def save_cursor(con: duckdb.DuckDBPyConnection, platform: str, account: str, stream: str, state: CursorState) -> None:
    con.execute("INSERT OR REPLACE INTO sync_cursors (platform, account, stream, high_water, walk_top, walk_cursor, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, now())",
                [platform, account, stream, state.high_water, state.walk_top, state.walk_cursor])


def list_cursors(store: Store) -> list[dict[str, Any]]:
    return store.rows("SELECT platform, account, stream, high_water, walk_cursor IS NOT NULL AS resuming, "
                      "updated_at FROM sync_cursors ORDER BY ALL")


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return re.sub(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}", r"\1***", text)


# -- one stream ---------------------------------------------------------------------------------
class _StreamRun:
    def __init__(self, store: Store, client: PlatformClient, stream: Stream, policy: RetryPolicy,
                 cache: Path, report: StreamReport) -> None:
        self.store, self.client, self.stream, self.policy = store, client, stream, policy
        self.cache, self.report = cache, report
        self.key = (client.platform, client.account, stream.name)
        self.stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")

    def run(self) -> None:
        state = load_cursor(self.store.con, *self.key)
        if self.stream.mode == "walk":
            if state.walk_cursor:  # finish the walk an earlier run could not
                state = self._walk(state, state.walk_cursor, state.walk_top)
            if not (self.stream.newest_known and state.high_water and self.stream.newest_known <= state.high_water):
                self._walk(state, None, None)
        elif self.stream.mode == "forward":
            self._forward(state)
        else:
            self._snapshot(state)

    def fetch(self, cursor: str | None, since: str | None) -> Page:
        pause = getattr(self.client, "pause", None)
        if pause:  # the last answer said the budget is spent until the reset
            self._wait(pause, "rate-limit budget spent")
        retry = 0
        while True:
            try:
                page = self.stream.fetch(cursor, since)
                self.report.pages += 1
                return page
            except TransientError as exc:
                asked = exc.retry_after
                delay = asked if isinstance(exc, RateLimited) and asked is not None else self.policy.backoff(retry)
                if asked is not None:
                    delay = max(delay, asked)
                retry += 1
                if retry >= self.policy.attempts:
                    raise SyncError(f"{exc} (gave up after {retry} tries)") from None
                if delay > self.policy.max_wait:
                    raise SyncError(f"{exc}; the server asks to wait {delay:.0f} s, more than "
                                    f"{self.policy.max_wait:.0f} s: try again later") from None
                self.report.retries += 1
                self._wait(delay, str(exc))

    def _wait(self, seconds: float, why: str) -> None:
        self.report.waited_seconds += seconds
        self.policy.sleep(seconds)

    def ingest(self, items: list[dict[str, Any]], after: CursorState) -> None:
        """Import one page and move the cursor, in one transaction."""
        if not items:
            with self.store.transaction() as con:
                save_cursor(con, *self.key, after)
            return
        stem = f"{self.key[0]}-{_slug(self.key[2])}-{self.stamp}-{self.report.pages:05d}"
        path, fmt = self.stream.save(items, self.cache, stem)
        try:
            summary = ingest_path(self.store, path, fmt=fmt, account=self.stream.account_hint,
                                  before_commit=lambda c, _s: save_cursor(c, *self.key, after))
        finally:
            path.unlink(missing_ok=True)
        if summary.status == "unchanged":  # the same bytes were imported before: only the cursor moves
            self.ingest([], after)
        self.report.stored_pages += 1
        self._count(summary)

    def _count(self, summary: ImportSummary) -> None:
        self.report.new_items += summary.total_new + summary.new_posts
        self.report.duplicates += summary.duplicates
        self.report.rejected += summary.rejected

    # modes
    def _walk(self, state: CursorState, start: str | None, top: str | None) -> CursorState:
        cursor = start
        while True:
            page = self.fetch(cursor, None)
            positions = [p for p in map(self.stream.position, page.items) if p]
            top = top or max(positions, default=None)
            low = state.high_water
            reached = bool(low and positions and min(positions) < low)
            done = reached or not page.cursor or not page.items or page.cursor == cursor
            items = page.items
            if reached and low:  # keep what is at or after the high water (ties may be new); dedupe does the rest
                items = [i for i in items if (p := self.stream.position(i)) is None or p >= low]
            if done:
                high = max([v for v in (top, low) if v], default=None)
                after = CursorState(high_water=high)
            else:
                after = CursorState(high_water=low, walk_top=top, walk_cursor=page.cursor)
            self.ingest(items, after)
            state = after
            if done:
                return state
            cursor = page.cursor

    def _forward(self, state: CursorState) -> None:
        high = state.high_water
        while True:
            page = self.fetch(None, high)
            positions = [p for p in map(self.stream.position, page.items) if p]
            newest = max(positions, default=None)
            if not page.items or newest is None:
                return
            if high is not None and newest <= high:
                self.report.message = "the server ignored the position asked for; stopped to avoid a loop"
                return
            self.ingest(page.items, CursorState(high_water=newest))
            high = newest

    def _snapshot(self, state: CursorState) -> None:
        now = datetime.fromtimestamp(self.policy.clock(), timezone.utc)
        if state.high_water:
            taken = datetime.fromisoformat(state.high_water)
            if now - taken < SNAPSHOT_EVERY:
                self.report.status = "skipped"
                self.report.message = f"last snapshot {taken:%Y-%m-%d %H:%M} UTC; one a day is enough"
                return
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = self.fetch(cursor, None)
            items.extend(page.items)
            if not page.cursor or not page.items or page.cursor == cursor:
                break
            cursor = page.cursor
        self.ingest(items, CursorState(high_water=now.isoformat()))
        self.report.message = f"snapshot of {len(items)} {self.stream.name}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80]


# -- accounts -----------------------------------------------------------------------------------
ClientFactory = Callable[[Connection, RetryPolicy], PlatformClient]


def default_client(connection: Connection, policy: RetryPolicy) -> PlatformClient:
    if connection.platform == "bluesky":
        from .bluesky import BlueskyClient
        return BlueskyClient(connection, clock=policy.clock)
    from .mastodon import MastodonClient
    return MastodonClient(connection, clock=policy.clock)


def select_connections(connections: list[Connection], names: Iterable[str]) -> list[Connection]:
    wanted = [n.strip().lstrip("@").lower() for n in names]
    if not wanted:
        return connections
    chosen: list[Connection] = []
    for name in wanted:
        matches = [c for c in connections if name in (c.name.lower(), c.key.lower(), (c.account_id or "").lower())]
        if not matches:
            known = ", ".join(c.key for c in connections) or "none; run `tiescale connect` first"
            raise UsageError(f"no connected account {name!r} (connected: {known})")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def cache_dir_for(store: Store) -> Path:
    """The private folder for pages between fetch and import (``.<store>.sync`` next to the store).

    Pages are deleted once imported; one left by a killed run holds person data that may have been
    forgotten since, and its items come again from the cursor anyway: it is removed here.
    """
    folder = store.path.resolve().parent / f".{store.path.name}.sync"
    folder.mkdir(mode=0o700, exist_ok=True)
    for leftover in folder.iterdir():
        if leftover.is_file() and leftover.name.startswith(("bluesky-", "mastodon-")):
            leftover.unlink(missing_ok=True)
    return folder


def sync_store(store: Store, names: Iterable[str] = (), connections: list[Connection] | None = None,
               policy: RetryPolicy | None = None, client_factory: ClientFactory = default_client,
               on_stream: Callable[[StreamReport], None] | None = None) -> SyncReport:
    """Pull what is new for the chosen connected accounts (all when ``names`` is empty)."""
    policy = policy or RetryPolicy()
    chosen = select_connections(connections if connections is not None else load_connections(), names)
    if not chosen:
        raise UsageError("no connected accounts; run `tiescale connect bluesky|mastodon` first")
    report = SyncReport(started_at=datetime.now(timezone.utc))
    cache = cache_dir_for(store)
    sync_id = int(store.scalar("SELECT nextval('sync_seq')"))
    for connection in chosen:
        for stream_report in _sync_account(store, connection, policy, client_factory, cache, sync_id):
            report.streams.append(stream_report)
            if on_stream is not None:
                on_stream(stream_report)
    report.finished_at = datetime.now(timezone.utc)
    return report


def _sync_account(store: Store, connection: Connection, policy: RetryPolicy, factory: ClientFactory,
                  cache: Path, sync_id: int) -> Iterable[StreamReport]:
    secrets = connection.secrets()
    started = datetime.now(timezone.utc)
    account_report = StreamReport(connection.platform, connection.name, "login")
    client: PlatformClient | None = None
    try:
        client = _with_retries(lambda: factory(connection, policy), policy, account_report)
        streams = _with_retries(client.streams, policy, account_report)
    except (TiescaleError, OSError) as exc:
        account_report.status = "failed"
        account_report.message = redact(str(exc), secrets)
        _log(store, sync_id, account_report, started)
        if client is not None:
            client.close()
        yield account_report
        return
    try:
        for stream in streams:
            report = StreamReport(client.platform, client.account, stream.name)
            began = datetime.now(timezone.utc)
            if stream.skip_reason:
                report.status, report.message = "skipped", redact(stream.skip_reason, secrets)
            else:
                try:
                    _StreamRun(store, client, stream, policy, cache, report).run()
                except AuthFailed as exc:
                    _failed(report, exc, secrets)
                    _log(store, sync_id, report, began)
                    yield report
                    return  # the credential is refused: the other streams would fail the same way
                except NotPermitted as exc:
                    report.status, report.message = "skipped", redact(str(exc), secrets)
                except (TiescaleError, OSError, duckdb.Error) as exc:
                    _failed(report, exc, secrets)
            _log(store, sync_id, report, began)
            yield report
    finally:
        client.close()


def _with_retries(action: Callable[[], Any], policy: RetryPolicy, report: StreamReport) -> Any:
    retry = 0
    while True:
        try:
            return action()
        except TransientError as exc:
            retry += 1
            delay = exc.retry_after if exc.retry_after is not None else policy.backoff(retry - 1)
            if retry >= policy.attempts or delay > policy.max_wait:
                raise
            report.retries += 1
            report.waited_seconds += delay
            policy.sleep(delay)


def _failed(report: StreamReport, exc: BaseException, secrets: list[str]) -> None:
    report.status = "partial" if report.stored_pages else "failed"
    where = f"{report.stored_pages} page(s) stored before it stopped"
    report.message = redact(f"{exc} ({where}; what came in is stored and the next sync resumes from there)",
                            secrets)


def _log(store: Store, sync_id: int, report: StreamReport, started: datetime) -> None:
    store.con.execute(
        "INSERT INTO sync_log (sync_id, platform, account, stream, started_at, finished_at, status, pages, new_items, "
        "duplicates, rejected, retries, message) VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?)",
        [sync_id, report.platform, report.account, report.stream, started, report.status, report.pages,
         report.new_items, report.duplicates, report.rejected, report.retries, report.message])


# -- the schedule -------------------------------------------------------------------------------
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
MIN_INTERVAL_SECONDS = 60.0


def parse_duration(text: str) -> float:
    """``15m``, ``1h30m``, ``2d``, ``90s`` or plain seconds -> seconds (at least a minute)."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
    elif text and re.fullmatch(rf"(?:{_DURATION.pattern}\s*)+", text, re.IGNORECASE):
        units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
        seconds = sum(float(n) * units[u.lower()] for n, u in _DURATION.findall(text))
    else:
        raise UsageError(f"--every {text!r}: give a duration such as 15m, 1h or 1h30m")
    if seconds < MIN_INTERVAL_SECONDS:
        raise UsageError(f"--every {text!r}: at least 1m, to stay well within the platforms' rate limits")
    return seconds


def run_every(interval: float, once: Callable[[], Any], sleep: Callable[[float], None] = time.sleep,
              clock: Callable[[], float] = time.monotonic, max_runs: int | None = None,
              on_error: Callable[[BaseException], None] | None = None) -> int:
    """Run ``once`` now and then every ``interval`` seconds (start to start, never overlapping).

    A run that fails is reported through ``on_error`` and the schedule goes on (a usage error
    stops it: it would fail the same way every time); a run that takes
    longer than the interval is followed by the next one straight away. Returns the runs made.
    """
    runs = 0
    next_start = clock()
    while max_runs is None or runs < max_runs:
        try:
            once()
        except UsageError:
            raise  # no connection, an unknown account: waiting will not fix it
        except TiescaleError as exc:  # e.g. the store is busy: report, try again next time
            if on_error is None:
                raise
            on_error(exc)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        next_start += interval
        now = clock()
        if next_start < now:  # the run overran: skip the missed slots
            next_start = now
        sleep(next_start - now)
    return runs
