"""Threads: whether, when and how each inbound message was answered (real stores, real importer)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from tiescale.store.identity import forget_person, merge_people
from tiescale.insights.threads import refresh_threads
from tiescale.store.db import Store

from .nurture_helpers import at, event, ingest_events


def messages(store: Store) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in store.con.execute(
        "SELECT item_id, answered_at, answer_how, answer_platform FROM answer_messages").fetchall()}


def test_direct_reply_by_id_answers_the_message(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(3), "ann", "in", "reply", "m1", "Is the Kenya back?", thread="t1"),
        event(at(3) + timedelta(minutes=40), "someone_else", "out", "reply", "r1", "Yes!", in_reply_to="m1",
              thread="t1"),
    ])
    assert refresh_threads(store).mode == "full"
    answered_at, how, platform = messages(store)["m1"]
    assert answered_at == at(3) + timedelta(minutes=40) and how == "replied to it" and platform == "x"


def test_a_like_or_a_repost_is_not_an_answer(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(3), "ann", "in", "mention", "m1", "@brand hello?"),
        event(at(3, hours=-1), "ann", "out", "like", "l1", in_reply_to="m1"),
        event(at(3, hours=-2), "ann", "out", "repost", "p1", in_reply_to="m1"),
    ])
    refresh_threads(store)
    assert messages(store)["m1"][0] is None


def test_a_dm_answered_in_public(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(5), "bo", "in", "dm", "d1", "My order never arrived", thread="conv-bo"),
        event(at(5, hours=-3), "bo", "out", "mention", "p9", "@bo so sorry, a new bag is on its way"),
    ])
    refresh_threads(store)
    answered_at, how, _ = messages(store)["d1"]
    assert answered_at == at(5, hours=-3) and how == "in public"


def test_a_public_question_answered_by_dm_in_the_conversation(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(5), "cy", "in", "mention", "q1", "@brand can you help?", thread="q1"),
        event(at(5, hours=-1), "cy", "out", "dm", "d2", "Sure, what happened?", thread="conv-cy"),
    ])
    refresh_threads(store)
    assert messages(store)["q1"][1] == "by DM"


def test_a_reply_in_another_platforms_thread_counts_once_the_people_are_merged(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(4), "dee@social.example", "in", "mention", "https://social.example/1", "@brand where do you ship?",
              platform="mastodon", account="brand@social.example"),
        event(at(4, hours=-2), "dee", "out", "reply", "x-77", "@dee we ship to all of Europe", in_reply_to="x-70",
              thread="x-70"),
        event(at(4, hours=-1), "dee", "in", "reply", "x-70", "hi", thread="x-70"),
    ])
    refresh_threads(store)
    assert messages(store)["https://social.example/1"][0] is None  # two people for now
    merge_people(store.con, "mastodon:dee@social.example", "x:dee")
    assert refresh_threads(store).mode == "full"  # a merge rebuilds the index
    answered_at, how, platform = messages(store)["https://social.example/1"]
    assert answered_at == at(4, hours=-2) and how == "on x" and platform == "x"


def test_an_answer_in_a_later_import_closes_the_message(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "first", [event(at(6), "eve", "in", "reply", "e1", "Any update?", thread="e0")])
    refresh_threads(store)
    assert messages(store)["e1"][0] is None
    ingest_events(store, tmp_path, "second", [
        event(at(6, hours=-5), "eve", "out", "reply", "e2", "Shipped today!", in_reply_to="e1", thread="e0"),
    ])
    result = refresh_threads(store)
    assert result.mode == "incremental" and result.people == 1
    assert messages(store)["e1"][0] == at(6, hours=-5)


def test_a_later_unrelated_message_answers_only_within_a_week(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [
        event(at(20), "fay", "in", "mention", "f1", "@brand hello?", thread="f1"),
        event(at(10), "fay", "out", "mention", "f2", "@fay new roast out today", thread="f2"),
        event(at(9), "fay", "in", "mention", "f3", "@brand nice!", thread="f3"),
        event(at(8), "fay", "out", "reply", "f4", "thanks!", thread="f9"),
    ])
    refresh_threads(store)
    found = messages(store)
    assert found["f1"][0] is None  # ten days later, elsewhere: not an answer to it
    assert found["f3"][0] == at(8) and found["f3"][1] == "a later message to them"


def test_forgetting_a_person_removes_their_messages_from_the_index(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [event(at(2), "gus", "in", "dm", "g1", "hi", thread="c"),
                                         event(at(2), "hal", "in", "dm", "h1", "hi", thread="d")])
    refresh_threads(store)
    forget_person(store.con, "x:gus")
    assert refresh_threads(store).mode == "full"
    assert set(messages(store)) == {"h1"}


def test_refresh_without_new_imports_changes_nothing(store: Store, tmp_path: Path) -> None:
    ingest_events(store, tmp_path, "a", [event(at(2), "ida", "in", "dm", "i1", "hi", thread="c")])
    refresh_threads(store)
    assert refresh_threads(store).mode == "unchanged"


# -- the incremental refresh equals a full rebuild ---------------------------------------------------------
ANSWER_COLUMNS = ("platform, account, person, person_id, ts, kind, item_id, thread, text, answered_at, "
                  "answer_platform, answer_kind, answer_how, need")
PEOPLE_COLUMNS = "person_id, last_in, last_out, last_contact, active_days, median_gap_days, days"


def _random_rows(draw: Any, prefix: str, days: tuple[int, int], n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        person = draw(st.sampled_from(["ann", "bob"]))
        direction = draw(st.sampled_from(["in", "in", "out"]))
        kind = draw(st.sampled_from(["reply", "dm", "mention", "like", "follow"]))
        hours = draw(st.integers(min_value=days[0] * 24, max_value=days[1] * 24))
        thread = draw(st.sampled_from(["t1", "t2", ""]))
        earlier = [r["id"] for r in rows if r["direction"] == "in"]
        in_reply_to = draw(st.sampled_from(earlier)) if earlier and direction == "out" and draw(st.booleans()) else None
        rows.append(event(at(0, hours=hours), person, direction, kind, f"{prefix}{i}",
                          draw(st.sampled_from(["any update?", "thanks", "my order is broken", "hi"])),
                          in_reply_to=in_reply_to, thread=thread or None,
                          platform=draw(st.sampled_from(["x", "x", "mastodon"]))))
    return rows


@st.composite
def two_imports(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    first = _random_rows(draw, "a", (2, 20), draw(st.integers(min_value=1, max_value=25)))
    # the second import: mostly later rows (a new day of data), sometimes an older export imported late
    late = draw(st.booleans())
    second = _random_rows(draw, "b", (0, 20) if late else (0, 1), draw(st.integers(min_value=1, max_value=12)))
    return first, second


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(imports=two_imports())
def test_an_incremental_refresh_equals_a_full_rebuild(tmp_path_factory: Any, imports: Any) -> None:
    first, second = imports
    folder = tmp_path_factory.mktemp("threads")
    with Store(folder / "inc.duckdb") as store:
        ingest_events(store, folder, "first", first)
        refresh_threads(store)
        ingest_events(store, folder, "second", second)
        assert refresh_threads(store).mode == "incremental"
        incremental = store.con.execute(f"SELECT {ANSWER_COLUMNS} FROM answer_messages ORDER BY ALL").fetchall()
        people = store.con.execute(f"SELECT {PEOPLE_COLUMNS} FROM answer_people ORDER BY ALL").fetchall()
        assert refresh_threads(store, full=True).mode == "full"
        assert store.con.execute(f"SELECT {ANSWER_COLUMNS} FROM answer_messages ORDER BY ALL").fetchall() == incremental
        assert store.con.execute(f"SELECT {PEOPLE_COLUMNS} FROM answer_people ORDER BY ALL").fetchall() == people
