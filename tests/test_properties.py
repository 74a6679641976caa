"""Invariants of ingest, checked with Hypothesis on generated event logs."""
from __future__ import annotations

import csv
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiescale import Store, ingest_path

BASE = datetime(2023, 1, 1, tzinfo=UTC)
COLUMNS = ["ts", "account", "person", "direction", "kind", "platform", "id", "text"]

rows = st.lists(
    st.fixed_dictionaries({
        "ts": st.one_of(
            st.integers(0, 600 * 24 * 3600).map(lambda s: (BASE + timedelta(seconds=s)).isoformat()),
            st.integers(0, 600 * 24 * 3600).map(lambda s: str(int(BASE.timestamp()) + s)),
            st.sampled_from(["", "soon", "2999-01-01T00:00:00Z"]),
        ),
        "account": st.sampled_from(["brand", "brand2"]),
        "person": st.sampled_from(["ann", "bob", "cy", "dee", "Émile", "o'neil", ""]),
        "direction": st.sampled_from(["in", "out", "in", "out", "sideways"]),
        "kind": st.sampled_from(["reply", "mention", "dm", "like", "comment", "wave"]),
        "platform": st.sampled_from(["x", "mastodon", ""]),
        "id": st.one_of(st.just(""), st.integers(1, 40).map(str)),
        "text": st.text(max_size=30),
    }),
    max_size=40,
)


def write(path: Path, items: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(items)
    return path


def stored(store: Store) -> list[tuple]:
    return store.con.execute(
        "SELECT platform, account, handle, ts, direction, kind, item_id, text, dedupe_key FROM interactions "
        "ORDER BY ALL").fetchall()


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rows)
def test_reimport_changes_nothing_and_every_row_is_accounted_for(items: list[dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with Store(folder / "s.duckdb") as store:
            first = ingest_path(store, write(folder / "a.csv", items))
            assert first.rows_read == len(items)
            assert first.total_new + first.duplicates + first.rejected == len(items)
            after_first = stored(store)
            # the same rows under another name and order: nothing new
            second = ingest_path(store, write(folder / "b.csv", list(reversed(items))))
            assert second.total_new == 0
            assert stored(store) == after_first


@SETTINGS
@given(rows, st.integers(0, 40))
def test_importing_in_two_parts_equals_importing_at_once(items: list[dict[str, str]], cut: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with Store(folder / "whole.duckdb") as whole:
            ingest_path(whole, write(folder / "all.csv", items))
            expected = stored(whole)
        with Store(folder / "parts.duckdb") as parts:
            ingest_path(parts, write(folder / "p1.csv", items[:cut]))
            ingest_path(parts, write(folder / "p2.csv", items[cut:]))
            assert stored(parts) == expected
