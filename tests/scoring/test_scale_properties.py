"""Properties of the scale (Hypothesis): bounded, monotone in contact, decays with silence, deterministic,
and a longer shared history never scores lower than a shorter one with the same recent contact."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiescale.scoring.run import score_records

AS_OF = datetime(2025, 6, 1)
KINDS = ["reply", "mention", "dm", "like", "comment", "repost", "quote", "follow", "wave"]

touch = st.fixed_dictionaries({
    "days_before": st.floats(0.01, 700),
    "direction": st.sampled_from(["in", "out"]),
    "kind": st.sampled_from(KINDS),
    "text": st.one_of(st.none(), st.sampled_from(["thanks so much, love it", "where is my order??", "ok", "great job"])),
})
histories = st.lists(touch, min_size=1, max_size=25)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def records(history: list[dict]) -> list[dict]:
    return [{"account": "brand", "platform": "x", "person": "p", "ts": AS_OF - timedelta(days=t["days_before"]),
             "direction": t["direction"], "kind": t["kind"], "text": t["text"]} for t in history]


def score_of(history: list[dict], as_of: datetime = AS_OF) -> float:
    table = score_records(records(history), as_of)
    return table.column("score")[0].as_py() if table.num_rows else 0.0


def raw_total(history: list[dict], as_of: datetime = AS_OF) -> float:
    """The unrounded sum of points, to check monotonicity without rounding noise."""
    table = score_records(records(history), as_of).to_pylist()
    if not table:
        return 0.0
    row = table[0]
    return sum(v for k, v in row.items() if k.startswith("pts_"))


@SETTINGS
@given(histories)
def test_score_stays_in_0_10_with_one_decimal(history: list[dict]) -> None:
    score = score_of(history)
    assert 0.0 <= score <= 10.0
    assert round(score, 1) == score


@SETTINGS
@given(histories, st.floats(0.01, 700), st.sampled_from([None, "thanks!", "this is awful"]))
def test_an_extra_inbound_reply_never_lowers_it(history: list[dict], days_before: float, text: str | None) -> None:
    extra = {"days_before": days_before, "direction": "in", "kind": "reply", "text": text}
    assert raw_total(history + [extra]) >= raw_total(history) - 1e-9
    assert score_of(history + [extra]) >= score_of(history)


@SETTINGS
@given(histories, st.floats(0.001, 3))
def test_an_answered_conversation_never_scores_below_it_unanswered(history: list[dict], delay: float) -> None:
    inbound = [dict(t, direction="in") for t in history]
    answers = [{"days_before": max(t["days_before"] - delay, 0.001), "direction": "out", "kind": "reply",
                "text": "thank you"} for t in inbound]
    assert score_of(inbound + answers) >= score_of(inbound)


@SETTINGS
@given(histories, st.floats(0.5, 400))
def test_time_passing_without_contact_never_raises_it(history: list[dict], wait: float) -> None:
    later = AS_OF + timedelta(days=wait)
    assert raw_total(history, later) <= raw_total(history) + 1e-9
    assert score_of(history, later) <= score_of(history)


@SETTINGS
@given(histories, st.lists(touch, min_size=1, max_size=15), st.floats(0.5, 900))
def test_a_longer_shared_history_never_scores_lower(recent: list[dict], earlier: list[dict], gap: float) -> None:
    """The same recent contact, with more history before it (every earlier touchpoint older than the
    oldest recent one): the score is at least as high, unrounded and rounded."""
    oldest = max(t["days_before"] for t in recent)
    before = [dict(t, days_before=oldest + gap + t["days_before"]) for t in earlier]
    assert raw_total(recent + before) >= raw_total(recent) - 1e-9
    assert score_of(recent + before) >= score_of(recent)


@SETTINGS
@given(histories)
def test_deterministic_and_absolute(history: list[dict]) -> None:
    alone = score_of(history)
    assert score_of(history) == alone
    # other people in the store change nothing for this person
    crowd = records(history) + [
        {"account": "brand", "platform": "x", "person": f"other{i}", "ts": AS_OF - timedelta(days=i + 1),
         "direction": "in", "kind": "dm", "text": "hello"} for i in range(30)]
    table = score_records(crowd, AS_OF).to_pylist()
    assert next(r["score"] for r in table if r["person"] == "p") == alone


def test_tier_of_agrees_with_the_tier_the_scale_writes() -> None:
    """One rule for a score's tier: tier_of (Python) and scale.scored's expression (the engines) agree."""
    import ibis

    from tiescale.scoring.config import TIERS, tier_of
    from tiescale.scoring.scale import tier_expression

    scores = [x / 100 for x in range(0, 1001)]
    for name, low, _high, _ in TIERS:
        assert tier_of(low) == name
    table = ibis.memtable({"score": scores})
    written = table.mutate(tier=tier_expression(table.score)).to_pyarrow().column("tier").to_pylist()
    assert [tier_of(s) for s in scores] == written
