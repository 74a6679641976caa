"""The content classifier: shipped model, cues, training round trip, and the demo's own posts."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tiescale.classify import LABELS, Verdict, classify_texts, load_model
from tiescale.classify.cues import CUES, find_cues, normalize
from tiescale.classify.train import Example, TrainingConfig, read_brand_posts, read_youtube, train
from tiescale.demo.texts import POSTS, post_text


def test_shipped_model_loads_offline_and_gives_one_verdict_per_text_in_order() -> None:
    texts = ["Use code SPRING20 for 20% off, shop now: https://shop.example.com/sale",
             "What are you brewing this morning? Tell us below.",
             "Brewing tip: grind right before you brew; ground coffee loses its aroma in 15 minutes.",
             "", "   "]
    verdicts = classify_texts(texts)
    assert len(verdicts) == len(texts)
    assert [v.label for v in verdicts[:3]] == ["promotional", "relational", "value"]
    for verdict in verdicts:
        assert isinstance(verdict, Verdict) and verdict.label in LABELS
        assert 0.0 <= verdict.confidence <= 1.0
        data = verdict.to_dict()
        assert set(data) >= {"label", "confidence", "cues"} and isinstance(data["cues"], list)
        json.dumps(data)
    assert verdicts[3].confidence == 0.0 and verdicts[3].cues == []
    assert "a discount code" in verdicts[0].cues and "a shop link" in verdicts[0].cues
    assert "asks the audience a question" in verdicts[1].cues
    probabilities = verdicts[0].probabilities
    assert abs(sum(probabilities.values()) - 1.0) < 0.01
    assert verdicts[0].confidence == probabilities["promotional"]


def test_verdicts_are_deterministic_and_independent_of_batch() -> None:
    texts = [e.text for e in read_brand_posts()[:40]]
    together = [v.to_dict() for v in classify_texts(texts)]
    alone = [classify_texts([t])[0].to_dict() for t in texts]
    assert together == alone == [v.to_dict() for v in classify_texts(texts)]


@pytest.mark.parametrize(("text", "cue"), [
    ("Only $19.99 this week", "price"),
    ("Save 20% with code BEANS20", "code"),
    ("30% off everything", "discount"),
    ("Grab yours at https://example.com/shop/new", "shop_link"),
    ("Sign up today and start your free trial", "signup_cta"),
    ("check out my channel, new video every week", "self_promo"),
    ("like this comment if you are watching in 2015", "engagement_bait"),
    ("Thank you all for coming!", "thanks"),
    ("Which roast should we do next?", "question"),
    ("@sam happy birthday!", "mention"),
    ("Tip: weigh your flour instead of using cups.", "tip"),
])
def test_cues_find_what_they_name(text: str, cue: str) -> None:
    assert cue in find_cues(text)


def test_a_link_to_a_video_is_not_a_shop_link_and_html_is_read_as_text() -> None:
    comment = '<a href="http://www.youtube.com/watch?v=abc&amp;t=2m19s">2:19</a> best part\ufeff'
    plain = normalize(comment)
    assert "<a" not in plain and "&amp;" not in plain and "\ufeff" not in plain
    found = find_cues(plain)
    assert "video_link" in found and "link" not in found and "shop_link" not in found
    assert {c.name for c in CUES} >= {"price", "code", "shop_link", "buy_cta", "thanks", "question"}


def test_training_round_trip_through_json_gives_the_same_verdicts(tmp_path: Path) -> None:
    brand = read_brand_posts()
    assert len(brand) >= 300 and {e.label for e in brand} == set(LABELS)
    assert len({e.group for e in brand}) >= 10
    model = train(brand, TrainingConfig(bits=16))
    path = tmp_path / "model.json"
    model.save(path)
    again = load_model(path)
    texts = ["20% off today only, order now", "Thanks for the kind words, Ana!", "How to descale a kettle in 3 steps"]
    first = [v.to_dict() for v in classify_texts(texts, model)]
    second = [v.to_dict() for v in classify_texts(texts, again)]
    for a, b in zip(first, second):  # float16 weights on disk: the same labels, near-identical confidences
        assert a["label"] == b["label"] and abs(a["confidence"] - b["confidence"]) < 0.02


def test_a_broken_model_file_is_one_clear_error(tmp_path: Path) -> None:
    from tiescale.records import UsageError

    bad = tmp_path / "model.json"
    bad.write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(UsageError, match="model"):
        load_model(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(UsageError, match="not a tiescale classifier model"):
        load_model(bad)


def test_training_refuses_data_without_both_sides() -> None:
    with pytest.raises(ValueError):
        train([Example("hello there", "relational", "brand"), Example("a tip", "value", "brand")])


def test_demo_post_templates_are_classified_as_written() -> None:
    """The demo's own posts (never used in training) come out as the demo wrote them."""
    rng = random.Random(3)
    for category in POSTS:
        texts = [post_text(rng, category)[0] for _ in range(100)]
        labels = [v.label for v in classify_texts(texts)]
        assert sum(label == category for label in labels) / len(labels) >= 0.8, category


@pytest.mark.shared_data
def test_held_out_video_promotional_f1(shared_data: Path) -> None:
    """Trained without one video's comments, the recipe finds that video's self-promotion."""
    youtube = read_youtube(shared_data)
    videos = sorted({e.source for e in youtube})
    assert len(videos) == 4
    held = "youtube:KatyPerry"
    model = train(read_brand_posts() + [e for e in youtube if e.source != held])
    test = [e for e in youtube if e.source == held]
    predicted = [v.label == "promotional" for v in classify_texts([e.text for e in test], model)]
    truth = [e.label == "promotional" for e in test]
    tp = sum(p and t for p, t in zip(predicted, truth))
    precision, recall = tp / sum(predicted), tp / sum(truth)
    assert 2 * precision * recall / (precision + recall) >= 0.95
