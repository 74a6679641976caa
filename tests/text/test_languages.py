"""One warm, one cold, one question and one complaint message per language, pinned.

Words and warmth are the stored expressions (tiescale.text.features, compiled to DuckDB SQL as an
import runs them); questions and complaints are the answer index's patterns (tiescale.text.needs),
run by DuckDB's regexp_matches on the lower-cased text as the index does.
"""
from __future__ import annotations

import duckdb
import pytest

from tiescale.text.features import text_features_sql
from tiescale.text.needs import COMPLAINT_RE, QUESTION_RE

#: language: (warm, cold, question, complaint)
MESSAGES = {
    "en": ("Thank you so much, love it", "The parcel is in the hallway",
           "When does my order arrive", "My order arrived broken, I want a refund"),
    "es": ("¡Muchas gracias, me encanta vuestro café!", "El paquete está en la entrada",
           "¿Cuándo llega mi pedido?", "Mi pedido llegó roto, quiero un reembolso"),
    "pt": ("Obrigada, adorei o atendimento", "O pacote está na portaria",
           "Cadê meu pedido", "Meu pedido chegou quebrado, quero reembolso"),
    "de": ("Vielen Dank, wunderbar!", "Das Paket liegt im Flur",
           "Wann kommt meine Bestellung", "Die Lieferung ist kaputt angekommen"),
    "fr": ("Merci beaucoup, j'adore", "Le colis est dans l'entrée",
           "Quand arrive ma commande", "Ma commande est arrivée cassée, je veux un remboursement"),
    "it": ("Grazie mille, bellissimo", "Il pacco è nell'ingresso",
           "Quando arriva il mio ordine", "Il mio ordine è arrivato rotto"),
    "ar": ("شكرا جزيلا، رائع", "الطرد عند الباب",
           "متى يصل طلبي؟", "الطلب وصل مكسور، أريد استرداد المبلغ"),
    "id": ("Terima kasih banyak, mantap", "Paketnya ada di depan pintu",
           "Kapan pesanan saya sampai", "Barangnya rusak, saya mau refund"),
    "zh": ("谢谢，很好吃", "包裹在门口",
           "我的订单什么时候到", "外卖送到的时候坏了，我要退款"),
    "ko": ("정말 감사합니다 최고예요", "택배는 문 앞에 있어요",
           "주문한 거 언제 와요", "상품이 고장났어요 환불해 주세요"),
    "ja": ("ありがとう、美味しいです", "荷物は玄関にあります",
           "ご注文の商品はいつ届きますか", "商品が壊れていました。返金してください"),
}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def features(con: duckdb.DuckDBPyConnection, text: str) -> tuple[int, float, bool, bool]:
    words, warmth = text_features_sql()
    row = con.execute(f"SELECT {words}, {warmth}, regexp_matches(lower(text), $q), regexp_matches(lower(text), $c) "
                      "FROM (SELECT $text AS text)", {"q": QUESTION_RE, "c": COMPLAINT_RE, "text": text}).fetchone()
    assert row is not None
    return int(row[0]), float(row[1]), bool(row[2]), bool(row[3])


@pytest.mark.parametrize("lang", sorted(MESSAGES))
def test_each_language_has_a_warm_a_cold_a_question_and_a_complaint(con: duckdb.DuckDBPyConnection, lang: str) -> None:
    warm, cold, question, complaint = MESSAGES[lang]
    assert features(con, warm)[1] > 0, warm
    assert features(con, cold)[1] == 0, cold
    words, _, is_question, is_complaint = features(con, question)
    assert is_question and not is_complaint, question
    assert words >= 3, question
    assert features(con, complaint)[3], complaint
    assert not features(con, cold)[2] and not features(con, cold)[3], cold


def test_the_issue_examples(con: duckdb.DuckDBPyConnection) -> None:
    assert features(con, "When does my order arrive? Thank you so much, love it")[:2] == (11, 1.0)
    assert features(con, "Wann kommt meine Bestellung? Vielen Dank!")[1] > 0
    assert features(con, "¿Cuándo llega mi pedido? Me encanta vuestro café")[1] > 0
    assert features(con, "متى يصل طلبي؟ شكرا جزيلا")[1] > 0
    # 14 characters of Japanese: one word per 1.6 characters, rounded up (ご/注文/の/商品/は/いつ/届き/ます/か: 9)
    assert features(con, "ご注文の商品はいつ届きますか")[0] == 9
    assert features(con, "متى يصل طلبي؟")[2] and features(con, "ご注文は？")[2]


@pytest.mark.parametrize(("text", "words"), [
    ("niño café ñlove", 3), ("Größe passt", 2), ("谢谢你", 2), ("ขอบคุณมากครับ", 4), ("ｶﾀｶﾅ", 3),
    ("don't", 2), ("3.14 1,000", 4), ("🙂 👍", 0), ("", 0), ("  \t ", 0), ("e\u0301le\u0300ve", 1),
])
def test_words_are_letter_runs_and_dense_scripts_count_by_their_ratio(
        con: duckdb.DuckDBPyConnection, text: str, words: int) -> None:
    assert features(con, text)[0] == words


@pytest.mark.parametrize(("text", "warm"), [
    ("not good", False), ("no me gusta", False), ("不好吃", False), ("안 좋아요", False), ("nicht gut", False),
    ("좋지 않아요", False), ("감동도 없고", False), ("好きじゃない", False), ("好きです", True), ("재밌어요", True),
    ("good", True), ("see you at 10:30", False), ("see you :)", True), ("xD", True), ("<3", True), ("❤️", True),
])
def test_negations_and_smileys(con: duckdb.DuckDBPyConnection, text: str, warm: bool) -> None:
    assert (features(con, text)[1] > 0) == warm


@pytest.mark.parametrize(("text", "question"), [
    ("Πότε θα έρθει η παραγγελία μου;", True), ("we came; we saw", False), ("Où est ma commande", True),
    ("너 밥 먹었니", True), ("나는 밥을 먹었다", False),
])
def test_question_marks_of_every_script_and_not_a_semicolon(
        con: duckdb.DuckDBPyConnection, text: str, question: bool) -> None:
    assert features(con, text)[2] == question
