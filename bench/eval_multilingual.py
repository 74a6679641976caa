"""Warmth, questions, complaints and language detection beyond English, on real labelled messages.

Reads ../shared/data/text/multilingual (never copied into the repo). Every set is split in two:
the UMSAB tweets by their own split (train = dev, val and test = report), the others by a hash of
the row id (even = dev, odd = report). The word lists were written from knowledge of each language
and looked at only against dev rows; every figure printed is on the report rows.

    nice .venv/bin/python bench/eval_multilingual.py [--data ../shared/data/text/multilingual]

Figures:
- warmth: per language, the ROC AUC of tiescale's warmth for positive vs negative messages (neutral
  left out), beside the English-only word list (tiescale before) and VADER's compound score (an
  English lexicon: the reference for what an English-only method does on each language);
- questions: precision and recall of the question pattern on the Korean intent set, questions
  (is_question = yes) vs statements, before (the English pattern) and now;
- complaints: no labelled complaint set is at hand, so the share of negative and of positive
  messages the complaint pattern flags (a proxy: most negative reviews complain, few positive do);
- language detection: lingua's accuracy on every set and its time per message.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sklearn.metrics import roc_auc_score

from tiescale.text.features import count_words, message_warmth
from tiescale.text.needs import _ENGLISH_COMPLAINT, _ENGLISH_QUESTION, COMPLAINT_RE, QUESTION_RE

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "multilingual"
csv.field_size_limit(sys.maxsize)


@dataclass
class Row:
    id: str
    lang: str
    label: str  # positive | negative | neutral, or the intent set's is_question
    text: str
    report: bool  # a report row (dev rows only shaped the word lists)


def _read(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


def _hashed_report(row_id: str) -> bool:
    return zlib.crc32(row_id.encode()) % 2 == 1


def sentiment_sets(data: Path) -> dict[str, list[Row]]:
    sets: dict[str, list[Row]] = {}
    for path in sorted((data / "umsab-tweet-sentiment").glob("umsab_*.tsv")):
        for r in _read(path):
            sets.setdefault(r["lang"], []).append(
                Row(r["id"], r["lang"], r["sentiment"], r["text"], r["split"] != "train"))
    for folder, name in (("smsa-indonesian-sentiment", "smsa_valid_test.tsv"),
                         ("waimai10k-zh-reviews", "waimai10k_sample3000.tsv"),
                         ("nsmc-korean-movie-reviews", "nsmc_raw_sample_70.tsv")):
        for r in _read(data / folder / name):
            sets.setdefault(r["lang"], []).append(Row(r["id"], r["lang"], r["sentiment"], r["text"],
                                                      _hashed_report(r["id"])))
    return sets


def _scores(con: duckdb.DuckDBPyConnection, texts: list[str], sql: str) -> list[float]:
    con.execute("CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM (SELECT unnest(?) AS text, "
                "generate_subscripts(?, 1) AS i)", [texts, texts])
    return [r[0] for r in con.execute(f"SELECT {sql} FROM t ORDER BY i").fetchall()]


def _sql(expr_of_text: object) -> str:
    import ibis
    import sqlglot
    from sqlglot import exp

    table = ibis.table({"text": "string"}, name="t")
    sql = ibis.to_sql(table.select(v=expr_of_text(table.text)), dialect="duckdb")  # type: ignore[operator]
    body = sqlglot.parse_one(sql, read="duckdb").expressions[0].this.copy()
    for col in body.find_all(exp.Column):
        col.replace(exp.column("text"))
    return str(body.sql(dialect="duckdb"))


def _auc(rows: list[Row], scores: list[float]) -> float:
    pairs = [(1 if r.label == "positive" else 0, s) for r, s in zip(rows, scores) if r.label in ("positive", "negative")]
    return float(roc_auc_score([p[0] for p in pairs], [p[1] for p in pairs]))


def warmth_table(con: duckdb.DuckDBPyConnection, sets: dict[str, list[Row]], dev: bool = False) -> None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        vader = SentimentIntensityAnalyzer()
    except ImportError:
        vader = None
    warmth_sql = _sql(message_warmth)
    english_sql = _sql(lambda t: count_words(t, "warm_words"))
    which = "dev" if dev else "report"
    print(f"\nWarmth: ROC AUC, positive vs negative messages ({which} rows; neutral left out)")
    print(f"{'lang':5} {'rows':>5} {'warmth':>7} {'warm>0 pos/neg':>15} {'English list':>13} {'VADER':>6}")
    for lang in sorted(sets):
        rows = [r for r in sets[lang] if r.report != dev and r.label in ("positive", "negative")]
        texts = [r.text for r in rows]
        warm = _scores(con, texts, warmth_sql)
        english = _scores(con, texts, english_sql)
        pos = [w for r, w in zip(rows, warm) if r.label == "positive"]
        neg = [w for r, w in zip(rows, warm) if r.label == "negative"]
        hit = f"{sum(w > 0 for w in pos) / len(pos):.2f}/{sum(w > 0 for w in neg) / len(neg):.2f}"
        vader_auc = _auc(rows, [vader.polarity_scores(t)["compound"] for t in texts]) if vader else float("nan")
        print(f"{lang:5} {len(rows):5d} {_auc(rows, warm):7.3f} {hit:>15} {_auc(rows, english):13.3f} {vader_auc:6.3f}")


def _matches(con: duckdb.DuckDBPyConnection, texts: list[str], pattern: str) -> list[bool]:
    con.execute("CREATE OR REPLACE TEMP TABLE q AS SELECT * FROM (SELECT unnest(?) AS text, "
                "generate_subscripts(?, 1) AS i)", [texts, texts])
    return [r[0] for r in con.execute("SELECT regexp_matches(lower(text), ?) FROM q ORDER BY i", [pattern]).fetchall()]


def questions_table(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    rows = [r for r in _read(data / "3i4k-korean-intent" / "3i4k_fci_test_70.tsv")
            if _hashed_report(r["id"]) and (r["is_question"] == "yes" or r["intent"] == "statement")]
    truth = [r["is_question"] == "yes" for r in rows]
    texts = [r["text"] for r in rows]
    print(f"\nQuestions on the Korean intent set (report rows: {sum(truth)} questions, "
          f"{len(truth) - sum(truth)} statements)")
    with_mark = sum("?" in t for t, q in zip(texts, truth) if q)
    print(f"  questions with a '?': {with_mark} of {sum(truth)}")
    for name, pattern in (("before (English pattern)", f"({_ENGLISH_QUESTION})"), ("now", QUESTION_RE)):
        got = _matches(con, texts, pattern)
        tp = sum(g and t for g, t in zip(got, truth))
        precision = tp / max(1, sum(got))
        recall = tp / max(1, sum(truth))
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        print(f"  {name:26} precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")


def complaints_table(con: duckdb.DuckDBPyConnection, sets: dict[str, list[Row]]) -> None:
    print("\nComplaints (proxy): share of negative / positive report rows the pattern flags")
    print(f"{'lang':5} {'before neg/pos':>15} {'now neg/pos':>12}")
    for lang in sorted(sets):
        rows = [r for r in sets[lang] if r.report and r.label in ("positive", "negative")]
        texts = [r.text for r in rows]
        cells = []
        for pattern in (f"({_ENGLISH_COMPLAINT})", COMPLAINT_RE):
            got = _matches(con, texts, pattern)
            neg = [g for r, g in zip(rows, got) if r.label == "negative"]
            pos = [g for r, g in zip(rows, got) if r.label == "positive"]
            cells.append(f"{sum(neg) / len(neg):.2f}/{sum(pos) / len(pos):.2f}")
        print(f"{lang:5} {cells[0]:>15} {cells[1]:>12}")


def detection_table(sets: dict[str, list[Row]]) -> None:
    try:
        from tiescale.insights.languages import detector, languages_of
    except ImportError as exc:
        print(f"\nLanguage detection: skipped ({exc})")
        return
    start = time.perf_counter()
    detector()
    loaded = time.perf_counter() - start
    print(f"\nLanguage detection (lingua, {loaded:.1f} s to load): share of report rows detected as their language")
    total, elapsed = 0, 0.0
    for lang in sorted(sets):
        rows = [r for r in sets[lang] if r.report][:1000]
        start = time.perf_counter()
        found = languages_of([r.text for r in rows])
        elapsed += time.perf_counter() - start
        total += len(rows)
        right = sum(f == lang for f in found)
        unknown = sum(f is None for f in found)
        print(f"  {lang}: {right / len(rows):.3f} right, {unknown / len(rows):.3f} undetermined ({len(rows)} rows)")
    print(f"  {elapsed / total * 1e6:.0f} µs per message")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--dev", action="store_true", help="warmth on the dev rows only (for writing word lists)")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"{args.data}: no such folder (the shared multilingual data)")
    sets = sentiment_sets(args.data)
    con = duckdb.connect()
    if args.dev:
        warmth_table(con, sets, dev=True)
        return
    warmth_table(con, sets)
    questions_table(con, args.data)
    complaints_table(con, sets)
    detection_table(sets)


if __name__ == "__main__":
    main()
