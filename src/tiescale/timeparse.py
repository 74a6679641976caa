"""Timestamps in every shape the exports use, always returned timezone-aware (UTC)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)

_DIGITS = re.compile(r"^-?\d+(\.\d+)?$")
_FORMATS = (
    "%a %b %d %H:%M:%S %z %Y",  # X: 'Tue Jan 31 09:01:52 +0000 2017'
    "%m/%d/%y, %I:%M %p",  # LinkedIn 2018: '1/8/18, 6:14 PM'
    "%d %b %Y",  # LinkedIn newer: '08 Jan 2018'
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S %Z",  # LinkedIn messages: '2018-11-04 10:12:00 UTC'
    "%Y/%m/%d %H:%M:%S %Z",  # LinkedIn 2018 shares: '2017/06/08 08:15:44 UTC'
)


class BadTimestamp(ValueError):
    """A value that is not a timestamp tiescale can read."""


def from_unix(value: float) -> datetime:
    """Unix seconds, or milliseconds when the number is too large to be seconds."""
    if abs(value) > 1e11:  # milliseconds (Facebook timestamp_ms)
        value = value / 1000.0
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadTimestamp(f"unix time {value!r} is out of range") from exc


def parse_ts(value: object) -> datetime:
    """Parse ISO 8601 (with offset, or ``Z``), unix seconds/ms, or a known export format.

    A naive ISO value is taken as UTC. Raises :class:`BadTimestamp` with the value quoted.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool) or value is None:
        raise BadTimestamp(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return from_unix(float(value))
    text = str(value).strip()
    if not text:
        raise BadTimestamp("empty timestamp")
    if _DIGITS.match(text):
        return from_unix(float(text))
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
        for fmt in _FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise BadTimestamp(f"unreadable timestamp {text[:60]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def plausibility_problem(ts: datetime, now: datetime | None = None) -> str | None:
    """Why a timestamp cannot be true (before 1990 or in the future), else ``None``."""
    now = now or datetime.now(UTC)
    if ts < EARLIEST:
        return f"timestamp {ts.isoformat()} is before 1990"
    if ts > now + FUTURE_SLACK:
        return f"timestamp {ts.isoformat()} is in the future"
    return None
