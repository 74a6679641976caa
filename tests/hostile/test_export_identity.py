"""Issue 18, point 8: `export events` then `ingest` is the identity, into the same store (adds
nothing) and into an empty one (gives every interaction back, follows and undated likes included)."""
from __future__ import annotations

import shutil
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiescale.store.db import Store
from tiescale.store.export import export_events
from tiescale.store.ingest import ingest_path
from tests.conftest import FIXTURES

MASTODON = FIXTURES / "mastodon" / "archive-20240310120000-5e1f0c"
ROWS = "SELECT platform, account, handle, direction, kind, ts, text, in_reply_to, thread, dedupe_key FROM interactions"


def _interactions(store: Store) -> list[tuple]:
    return sorted(store.con.execute(ROWS).fetchall(), key=repr)


def _exported(store: Store, path: Path, fmt: str = "csv") -> str:
    export_events(store, fmt, path)
    return path.read_text()


def _roundtrip(source: Store, tmp: Path, fmt: str = "csv") -> None:
    first = tmp / f"first.{fmt}"
    text = _exported(source, first, fmt)
    before = _interactions(source)
    ingest_path(source, first)
    assert _interactions(source) == before  # into its own store: nothing added
    with Store(tmp / "empty.duckdb") as empty:
        ingest_path(empty, first)
        again = _exported(empty, tmp / f"again.{fmt}", fmt)
        assert again == text  # into an empty store: every row back, as it was
        assert len(_interactions(empty)) == len(before)


def test_follows_and_undated_likes_survive_the_roundtrip(tmp_path: Path) -> None:
    """Mastodon: undated likes, and follow events derived from two following lists a month apart."""
    later = tmp_path / "exports" / "archive-20240410120000-5e1f0c"
    shutil.copytree(MASTODON, later)
    following = later / "following_accounts.csv"
    following.write_text(following.read_text() + "newfriend@fedi.example,true,false,\n")
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, MASTODON)
        ingest_path(store, later)
        ingest_path(store, FIXTURES / "x-archive" / "archive")
        kinds = {r[0] for r in store.con.execute("SELECT kind FROM interactions").fetchall()}
        undated = store.scalar("SELECT count(*) FROM interactions WHERE ts IS NULL")
        follows = store.scalar("SELECT count(*) FROM interactions WHERE dedupe_key LIKE 'snapshot:%'")
        assert undated and follows and "like" in kinds
        _roundtrip(store, tmp_path)


def test_jsonl_roundtrip(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        ingest_path(store, MASTODON)
        _roundtrip(store, tmp_path, "jsonl")


_TEXT = st.text(alphabet=string.ascii_letters + " =+-@',\"\n\t[]/;|", min_size=0, max_size=30)
_ROW = st.tuples(
    st.integers(min_value=0, max_value=10_000_000),  # seconds after 2023-01-01, or undated when 0
    st.sampled_from(["ann", "=bo", "+cy", "-di", "'@ed", "f,g"]),
    st.sampled_from(["in", "out"]),
    st.sampled_from(["reply", "dm", "like", "mention"]),
    st.one_of(st.none(), st.text(alphabet=string.ascii_lowercase + "-=", min_size=1, max_size=6)),
    _TEXT,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=25))
def test_generated_stores_roundtrip(tmp_path_factory: object, rows: list[tuple]) -> None:
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        source = tmp / "in.jsonl"
        with source.open("w") as out:
            for n, (seconds, person, direction, kind, item, text) in enumerate(rows):
                ts = "undated" if seconds == 0 else f"@{1672531200 + seconds}"
                out.write(json.dumps({
                    "ts": ts if ts == "undated" else 1672531200 + seconds, "account": "brand", "person": person,
                    "direction": direction, "kind": kind, "id": None if item is None else f"{item}{n}",
                    "text": text or None,
                }) + "\n")
        with Store(tmp / "s.duckdb") as store:
            ingest_path(store, source)
            _roundtrip(store, tmp)
