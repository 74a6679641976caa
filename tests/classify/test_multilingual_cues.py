"""The classifier beyond English: cues in ten more languages, and a held-out Indonesian SMS set."""
from __future__ import annotations

from pathlib import Path

import pytest

from tiescale.classify import classify_texts
from tiescale.classify.cues import find_cues
from tiescale.classify.train import read_brand_posts, read_id_sms, read_youtube, train


@pytest.mark.parametrize(("text", "cue"), [
    ("Diskon 50% hanya Rp29.900, beli sekarang!", "discount"),
    ("Cuma Rp 10rb sampai besok", "price"),
    ("Ketik REG kirim ke 1234", "signup_cta"),
    ("Dial *123*4# sekarang", "signup_cta"),
    ("¡Suscríbete a mi canal!", "self_promo"),
    ("Frete grátis só hoje", "sale"),
    ("Jetzt kaufen und sparen", "buy_cta"),
    ("Gagnez un voyage, jeu concours", "money"),
    ("Sconto del 30% su tutto", "discount"),
    ("خصم 50% على كل المنتجات", "discount"),
    ("限时优惠，立即购买", "discount"),
    ("지금 구매하면 무료배송", "sale"),
    ("チャンネル登録お願いします", "signup_cta"),
    ("¿Cuándo llega mi pedido?", "question"),
    ("Muchas gracias por todo", "thanks"),
])
def test_cues_in_other_languages(text: str, cue: str) -> None:
    assert cue in find_cues(text)


def test_plain_messages_in_other_languages_have_no_selling_cue() -> None:
    for text in ("Hola, ¿qué tal?", "Wann kommt meine Bestellung", "Aku kangen kamu", "今天天气很好"):
        assert not {"price", "discount", "sale", "buy_cta", "signup_cta", "money"} & set(find_cues(text)), text


def test_shipped_model_reads_a_foreign_offer_as_promotional() -> None:
    verdicts = classify_texts(["Diskon 50% semua produk, beli sekarang hanya Rp29.900! http://promo.example.co.id",
                               "¡Oferta! 30% de descuento, compra ya en https://tienda.example.com/shop"])
    assert [v.label for v in verdicts] == ["promotional", "promotional"]


@pytest.mark.shared_data
def test_indonesian_sms_held_out_promotional_f1(shared_data: Path) -> None:
    """Trained on the brand posts and YouTube comments only (the shipped recipe), promo vs normal SMS."""
    if not (shared_data / "text" / "multilingual" / "id-sms-spam").is_dir():
        pytest.skip("no Indonesian SMS set")
    model = train(read_brand_posts() + read_youtube(shared_data))
    test = [e for e in read_id_sms(shared_data) if e.group != "fraud"]
    predicted = [v.label == "promotional" for v in classify_texts([e.text for e in test], model)]
    truth = [e.label == "promotional" for e in test]
    tp = sum(p and t for p, t in zip(predicted, truth))
    precision, recall = tp / sum(predicted), tp / sum(truth)
    assert 2 * precision * recall / (precision + recall) >= 0.85
