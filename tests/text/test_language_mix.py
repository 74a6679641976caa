"""The language mix of a brand's conversations: the report, `tiescale content` and the dashboard."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from tiescale import Store, ingest_path
from tiescale.insights.languages import language_mix, languages_of
from tiescale.surfaces.cli import main
from tiescale.surfaces.web.app import create_app

pytest.importorskip("lingua")

MESSAGES = [
    ("ana", "When does my order arrive? Thank you so much, I love the new roast"),
    ("ana", "Thanks again for the quick answer, see you on Saturday at the shop"),
    ("bea", "¿Cuándo llega mi pedido? Me encanta vuestro café, muchas gracias"),
    ("bea", "Mi pedido llegó roto, quiero un reembolso por favor"),
    ("carl", "Wann kommt meine Bestellung? Vielen Dank für die schnelle Antwort!"),
    ("dina", "متى يصل طلبي؟ شكرا جزيلا على الخدمة"),
    ("eiko", "ご注文の商品はいつ届きますか？ありがとうございます"),
    ("fu", "谢谢你，很好吃！什么时候送到？"),
    ("gyu", "배송 감사합니다 최고예요"),
    ("hal", "ok"),  # too short to tell
]


def write_events(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["ts", "account", "person", "direction", "kind", "platform", "id", "text"])
        for i, (person, text) in enumerate(MESSAGES):
            out.writerow([f"2025-03-{i + 1:02d}T10:00:00Z", "brand", person, "in", "dm", "x", str(i), text])
        out.writerow(["2025-03-20T10:00:00Z", "brand", "ana", "out", "dm", "x", "99", "Danke schön, bis bald"])


def test_languages_of_names_scripts_and_latin_languages() -> None:
    found = languages_of(["Merci beaucoup pour votre aide, à bientôt", "감사합니다", "ありがとう", "谢谢你",
                          "شكرا جزيلا", "Спасибо большое", "🙂 👍", "", "Terima kasih banyak atas bantuannya"])
    assert found == ["fr", "ko", "ja", "zh", "ar", "ru", None, None, "id"]


def test_language_mix_counts_the_peoples_messages_cli_and_dashboard(tmp_path: Path) -> None:
    events, db = tmp_path / "events.csv", tmp_path / "s.duckdb"
    write_events(events)
    with Store(db) as store:
        ingest_path(store, events)
        mix = language_mix(store)
        assert mix.total == mix.messages == len(MESSAGES) and not mix.sampled  # their messages only
        by_code = {lang.code: lang for lang in mix.languages}
        assert by_code["en"].messages == 2 and by_code["en"].people == 1
        assert by_code["es"].messages == 2 and by_code["und"].messages == 1
        assert {"de", "ar", "ja", "zh", "ko"} <= set(by_code)
        assert mix.languages[-1].code == "und" and all(by_code[c].read for c in by_code if c != "und")
        assert sum(lang.share for lang in mix.languages) == pytest.approx(1.0, abs=0.01)
        assert language_mix(store, max_messages=3).sampled

    result = CliRunner().invoke(main, ["--db", str(db), "content", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["languages"]["messages"] == len(MESSAGES)
    table = CliRunner().invoke(main, ["--db", str(db), "content"], catch_exceptions=False)
    assert table.exit_code == 0 and "languages of 10 messages from 8 people" in table.output
    assert "Spanish 20%" in table.output
    quiet = CliRunner().invoke(main, ["--db", str(db), "content", "--no-languages"], catch_exceptions=False)
    assert quiet.exit_code == 0 and "languages of" not in quiet.output

    page = TestClient(create_app(db), base_url="http://127.0.0.1").get("/content")
    assert page.status_code == 200
    assert "Languages people write in" in page.text and "Korean" in page.text and "too short to tell" in page.text


def test_the_refresh_stores_the_newest_languages_and_the_report_reads_them(tmp_path: Path) -> None:
    """After a refresh the language mix needs no detector (every newest message has its language
    stored by a hash of its text); forgetting a person empties what was stored."""
    from tiescale.insights import languages
    from tiescale.insights.derived import refresh_derived
    from tiescale.store.identity import forget_person

    with Store(tmp_path / "s.duckdb") as store:
        write_events(tmp_path / "dms.csv")
        ingest_path(store, tmp_path / "dms.csv")
        refresh_derived(store)
        stored = store.scalar("SELECT count(*) FROM text_languages")
        assert stored and stored >= 8
        before = language_mix(store).to_dict()
        detector, languages.languages_of = languages.languages_of, _refuse
        try:
            assert language_mix(store).to_dict() == before  # read from the store, the detector untouched
        finally:
            languages.languages_of = detector
        forget_person(store, "x:ana")
        assert store.scalar("SELECT count(*) FROM text_languages") == 0
        refresh_derived(store)
        assert store.scalar("SELECT count(*) FROM text_languages")


def _refuse(texts: list[str]) -> list[str | None]:
    raise AssertionError(f"the detector ran on {len(texts)} texts")


def test_the_default_mix_is_kept_by_the_refresh_and_a_forgotten_person_leaves_it(tmp_path: Path) -> None:
    """The refresh keeps the default mix (every account, whole history); a read takes it back while
    the store is unchanged, and after a forget the read computes again (ana's messages gone)."""
    from tiescale.insights.derived import refresh_derived
    from tiescale.insights.languages import MAX_MESSAGES, _language_mix
    from tiescale.store.identity import forget_person

    with Store(tmp_path / "s.duckdb") as store:
        write_events(tmp_path / "dms.csv")
        ingest_path(store, tmp_path / "dms.csv")
        refresh_derived(store)
        computed = _language_mix(store, None, None, MAX_MESSAGES).to_dict()
        assert language_mix(store).to_dict() == computed
        store.con.execute("UPDATE report_cache SET body = replace(body, '\"total\": 10', '\"total\": 77') "
                          "WHERE name = 'language_mix'")
        assert language_mix(store).total == 77  # read back, not computed
        forget_person(store, "x:ana")
        after = language_mix(store)
        assert after.total == 8 and after.to_dict() == _language_mix(store, None, None, MAX_MESSAGES).to_dict()
