"""Every parser, hammered with mutated samples: it imports, or fails with one clear error.

Samples are the project's own fixtures (tests/fixtures/<format>/) and, when present, the real
exports in ../shared/data/exports/. A mutation flips, deletes, inserts or truncates bytes of one
member of the export. Anything but a tiescale error (a crash) fails the test.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiescale import Store, TiescaleError, ingest_path
from tiescale.store.import_formats import IMPORT_FORMATS as FORMATS
from tests.conftest import FIXTURES, SHARED_DATA

pytestmark = pytest.mark.slow

SHARED = {
    "x-archive": "exports/x-archive/data",
    "mastodon": "exports/mastodon",
    "bluesky": "exports/bluesky/dnproto-car-repos",
    "reddit": "exports/reddit",
    "facebook": "exports/facebook-instagram/objectbox/data/Facebook",
    "instagram": "exports/facebook-instagram/parser/data",
    "linkedin": "exports/linkedin",
    "youtube": "exports/youtube",
    "tiktok": "exports/tiktok/pseudonymized-full-2025-11",
    "slack": "exports/slack/slackdump-fixture-2025",
    "discord": "exports/discord/dce-example-guild",
    "telegram": "exports/telegram/chat-history-manager/telegram_2020-01",
    "whatsapp": "exports/whatsapp/chat-miner-samples",
    "mbox": "exports/mbox/perceval",
}
MAX_MEMBER = 400_000  # mutate members up to this size (bigger ones are copied unchanged)


def samples() -> list[tuple[str, Path]]:
    found = []
    for fmt in FORMATS:
        folder = FIXTURES / fmt
        if folder.is_dir():
            found.append((fmt, folder))
        shared = SHARED_DATA / SHARED.get(fmt, "-")
        if fmt in SHARED and shared.is_dir():
            found.append((fmt, shared))
    return found


mutation = st.tuples(
    st.sampled_from(["flip", "delete", "insert", "truncate", "nul"]),
    st.floats(0, 1, exclude_max=True),
    st.integers(1, 64),
    st.binary(min_size=1, max_size=8),
)


def mutate(data: bytes, how: tuple[str, float, int, bytes]) -> bytes:
    kind, where, length, extra = how
    if not data:
        return extra
    at = int(where * len(data))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
    if kind == "delete":
        return data[:at] + data[at + length:]
    if kind == "insert":
        return data[:at] + extra + data[at:]
    if kind == "nul":
        return data[:at] + b"\x00" * length + data[at:]
    return data[:at]


@pytest.mark.parametrize("fmt, source", samples(), ids=lambda v: str(v).replace(str(SHARED_DATA), "shared"))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_samples_import_or_fail_clearly(fmt: str, source: Path, data: st.DataObject) -> None:
    members = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix != ".py" and p.name != "SOURCE.txt")
    small = [p for p in members if p.stat().st_size <= MAX_MEMBER]
    if not small:
        pytest.skip("no member small enough to mutate")
    target = data.draw(st.sampled_from(small), label="member")
    how = data.draw(mutation, label="mutation")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        shutil.copytree(source, root, ignore=shutil.ignore_patterns("*.py", "SOURCE.txt", "__pycache__"))
        victim = root / target.relative_to(source)
        victim.write_bytes(mutate(victim.read_bytes(), how))
        with Store(Path(tmp) / "s.duckdb") as store:
            for chosen in (fmt, None):
                try:
                    summary = ingest_path(store, root, fmt=chosen, account="fuzz-account")
                except TiescaleError as exc:
                    message = str(exc)
                    assert message and "\n" not in message.strip()
                else:
                    assert summary.rows_read >= summary.rejected
