"""Words and warmth in every script: DuckDB (RE2) and Spark (Java regex) give the same numbers.

The expressions of tiescale.text.features run on both engines; a regex dialect that read a letter,
a mark, an emoji or a character beyond the Basic Multilingual Plane differently would count
different words or warmth. Every text below is evaluated by both engines and compared row by row.
"""
from __future__ import annotations

import shutil

import ibis
import pytest

from tiescale.text.features import message_warmth, word_count

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")]

TEXTS = [
    "When does my order arrive? Thank you so much, love it",
    "Wann kommt meine Bestellung? Vielen Dank! Größe passt, schöne Grüße",
    "¿Cuándo llega mi pedido? Me encanta vuestro café, ¡gracias!",
    "Obrigada pelo carinho, adorei o atendimento 😍",
    "Merci beaucoup, j'adore ! Où est ma commande ?",
    "Grazie mille, bellissimo! Quando arriva il mio ordine?",
    "متى يصل طلبي؟ شكرا جزيلا والحب لكم",
    "Terima kasih banyak, pelayanannya mantap sekali",
    "谢谢你，很好吃！什么时候送到？",
    "謝謝，很滿意",
    "배송 감사합니다 최고예요 ㅋㅋ",
    "감동도없고 재미도 없다, 좋지 않아요; 好きじゃない but not good, no me gusta, 不好吃",
    "ご注文の商品はいつ届きますか？ありがとう",
    "ｶﾀｶﾅ ﾃｽﾄ and ＡＢＣ full width",
    "ขอบคุณมากครับ สวัสดี",
    "Πότε θα έρθει η παραγγελία μου; Ευχαριστώ",
    "Когда придёт мой заказ? Спасибо",
    "नमस्ते, धन्यवाद! आपका ऑर्डर",
    "e\u0301le\u0300ve cafe\u0301 ñlove niño",  # combining marks
    "𠀀𠀁 rare Han beyond the BMP 𝒜𝒷𝒸",
    "love❤️ thanks🙏 👍🏽 👨‍👩‍👧",
    "İstanbul ΣΊΣΥΦΟΣ straße ǅemal",
    "don't l'amour rock'n'roll 3.14 1,000 #tag @user http://x.y/z",
    "   ", "", "\t\n", "!!!", "123", "a", "_under_score_",
]


def features(backend: ibis.BaseBackend, table: ibis.Table) -> list[tuple]:
    expr = table.select(table.i, words=word_count(table.text), warmth=message_warmth(table.text)).order_by("i")
    frame = backend.execute(expr)
    return [(int(r.i), int(r.words), float(r.warmth)) for r in frame.itertuples()]


def test_duckdb_and_spark_count_the_same_words_and_warmth_in_every_script() -> None:
    from pyspark.sql import SparkSession

    rows = [(i, text) for i, text in enumerate(TEXTS)] + [(len(TEXTS), None)]
    spark = (SparkSession.builder.master("local[1]").appName("tiescale-text-parity")
             .config("spark.ui.enabled", "false").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.host", "127.0.0.1").config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.createDataFrame(rows, schema="i long, text string").createOrReplaceTempView("parity_texts")
    on_spark = features(ibis.pyspark.connect(spark), ibis.pyspark.connect(spark).table("parity_texts"))

    duck = ibis.duckdb.connect()
    duck.create_table("parity_texts", ibis.memtable({"i": [r[0] for r in rows], "text": [r[1] for r in rows]},
                                                    schema={"i": "int64", "text": "string"}))
    on_duckdb = features(duck, duck.table("parity_texts"))

    assert len(on_duckdb) == len(rows)
    for (i, words, warmth), spark_row in zip(on_duckdb, on_spark):
        assert (i, words, warmth) == spark_row, repr(rows[i][1])
    # and they count words at all: every non-Latin sample is more than one word
    by_text = {rows[i][1]: words for i, words, _ in on_duckdb}
    assert by_text["谢谢你，很好吃！什么时候送到？"] >= 6
    assert by_text["متى يصل طلبي؟ شكرا جزيلا والحب لكم"] == 7
    assert by_text[None] == 0 and by_text[""] == 0 and by_text["!!!"] == 0
