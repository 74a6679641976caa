"""The language mix of a brand's conversations: which languages people write to it in.

Words, warmth, questions and complaints read every language without knowing which one a message
is in (word lists and patterns per script, in SQL: tiescale.text). This report is where the
language itself is named: the people's own messages (replies, mentions, comments, quotes, DMs)
go through an offline detector (lingua, its models inside the wheel: no network), restricted to
the languages tiescale reads plus a few common ones so short messages are not mistaken for a
rare language. A message too short or too mixed to tell is "undetermined", never guessed.

Scripts that belong to one language here are named by their letters alone (Hangul: Korean, kana:
Japanese, Han without kana: Chinese, Arabic, Thai, Greek, Devanagari: Hindi, Cyrillic: Russian);
only Latin-script messages go to the detector, restricted to the Latin-script languages below.
At most :data:`MAX_MESSAGES` of the newest messages are read (their first 300 characters); the
report says when it sampled. Measured speed and accuracy: docs/languages.md.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pyarrow as pa

from tiescale.records import UsageError
from tiescale.store.db import Store

from .content_data import account_filter
from .derived_state import derived_watermark, set_derived_watermark
from .report_cache import is_kept, keep_report, kept_report, store_state
from .shadow import is_read_only

MAX_MESSAGES = 2_000  # about 1 s, plus 2.5 s to load the models once (docs/languages.md)
INBOUND_KINDS = ("reply", "mention", "comment", "quote", "dm")
#: ISO 639-1 code -> English name, for the languages the detector may answer.
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "pt": "Portuguese", "de": "German", "fr": "French", "it": "Italian",
    "ar": "Arabic", "id": "Indonesian", "zh": "Chinese", "ko": "Korean", "ja": "Japanese", "nl": "Dutch",
    "ru": "Russian", "tr": "Turkish", "hi": "Hindi", "th": "Thai", "pl": "Polish", "vi": "Vietnamese",
    "el": "Greek", "sv": "Swedish",
}
#: Latin-script languages the detector chooses among.
LATIN_LANGUAGES = ("en", "es", "pt", "de", "fr", "it", "id", "nl", "tr", "pl", "vi", "sv")
#: A script that names its language here, in the order they are checked (kana before Han: Japanese
#: mixes both).
_SCRIPTS = (("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
            ("ja", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")),
            ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
            ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
            ("th", re.compile(r"[\u0e00-\u0e7f]")),
            ("el", re.compile(r"[\u0370-\u03ff]")),
            ("hi", re.compile(r"[\u0900-\u097f]")),
            ("ru", re.compile(r"[\u0400-\u04ff]")))
#: Languages whose warmth, questions and complaints tiescale reads (docs/languages.md).
READ_LANGUAGES = frozenset({"en", "es", "pt", "de", "fr", "it", "ar", "id", "zh", "ko", "ja"})
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+", re.UNICODE)
MIN_LETTERS = 3


@dataclass
class LanguageShare:
    code: str  # ISO 639-1, or "und" (undetermined)
    name: str
    messages: int
    people: int
    share: float  # of the messages
    read: bool  # tiescale reads warmth, questions and complaints in it


@dataclass
class LanguageMix:
    account: str | None
    messages: int  # read (after sampling)
    total: int  # in the window
    people: int
    languages: list[LanguageShare] = field(default_factory=list)
    sampled: bool = False
    available: bool = True  # False: the detector is not installed (pip install lingua-language-detector)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def detector() -> Any:
    """The lingua detector for :data:`LANGUAGE_NAMES` (built once per process)."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LATIN_LANGUAGES]
    return (LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
            .with_minimum_relative_distance(0.1).with_preloaded_language_models().build())


def _by_script(plain: str) -> str | None:
    """The language a script names, when the text's letters are mostly in it."""
    letters = sum(ch.isalpha() for ch in plain)
    for code, script in _SCRIPTS:
        if len(script.findall(plain)) * 2 >= letters:
            return code
    if code_found := next((code for code, script in _SCRIPTS[:2] if script.search(plain)), None):
        return code_found  # a few Hangul or kana in Latin text: still Korean or Japanese
    return None


def _plain(text: str) -> str:
    return _NOISE.sub(" ", (text or "")[:300])


def language_of(text: str) -> str | None:
    """ISO 639-1 code of one message's language; None when too short or too mixed to tell."""
    return languages_of([text])[0]


def languages_of(texts: list[str]) -> list[str | None]:
    """:func:`language_of` for many texts; the detector runs them as one batch (in parallel)."""
    out: list[str | None] = []
    latin: list[int] = []
    for text in texts:
        plain = _plain(text)
        if sum(ch.isalpha() for ch in plain) < MIN_LETTERS:
            out.append(None)
            continue
        out.append(_by_script(plain))
        if out[-1] is None:
            latin.append(len(out) - 1)
    if latin:
        found = detector().detect_languages_in_parallel_of([_plain(texts[i]) for i in latin])
        for i, language in zip(latin, found):
            out[i] = None if language is None else str(language.iso_code_639_1.name.lower())
    return out


def _available() -> bool:
    try:
        import lingua  # noqa: F401
    except ImportError:
        return False
    return True


def _mix_state(store: Store) -> str:
    return store_state(store, report="language_mix", detector=DETECTOR_VERSION, max_messages=MAX_MESSAGES,
                       available=_available())


def refresh_language_mix(store: Store) -> None:
    """Compute the default language mix (every account, whole history) and keep it: the content
    report reads it back instead of counting and reading millions of messages (a refresh)."""
    if is_read_only(store):
        return
    state = _mix_state(store)
    if not is_kept(store, "language_mix", state):
        keep_report(store, "language_mix", state, _language_mix(store, None, None, MAX_MESSAGES).to_dict())


def language_mix(store: Store, account: str | None = None, window_days: int | None = None,
                 max_messages: int = MAX_MESSAGES) -> LanguageMix:
    """Languages of the people's messages to the account (every account when ``None``), newest first."""
    if window_days is not None and window_days <= 0:
        raise UsageError(f"window_days {window_days}: must be a positive number of days")
    if account is None and window_days is None and max_messages == MAX_MESSAGES:
        data = kept_report(store, "language_mix", _mix_state(store))
        if data is not None:  # what the refresh computed for this very state of the store
            shares = [LanguageShare(**share) for share in data.pop("languages")]
            return LanguageMix(**data, languages=shares)
    return _language_mix(store, account, window_days, max_messages)


def _language_mix(store: Store, account: str | None, window_days: int | None, max_messages: int) -> LanguageMix:
    where, params = account_filter(store, account)
    kinds = ", ".join(f"'{k}'" for k in INBOUND_KINDS)
    end = store.data_end()
    if window_days is not None and end is not None:
        where += " AND ts >= ?"
        params = [*params, end - timedelta(days=window_days)]
    # interactions, not the touchpoints view: its join to identities costs a pass over millions of
    # rows; only the newest messages are joined to their people below
    base = (f"FROM interactions WHERE direction = 'in' AND kind IN ({kinds}) AND text IS NOT NULL "
            f"AND trim(text) <> '' {where}")
    total = int(store.scalar(f"SELECT count(*) {base}", params) or 0)
    if not _available():
        return LanguageMix(account, 0, total, 0, available=False)
    stored = _has_stored(store)
    known = ("(SELECT l.language FROM text_languages l WHERE l.text_hash = left(sha256(m.text), 32))"
             if stored else "NULL")
    rows = store.con.execute(f"""SELECT d.person_id, m.text, {known} AS language
                                 FROM (SELECT platform, handle, text, ts, item_id {base}
                                       -- the cut first, on the dates alone (carrying every text through
                                       -- the sort costs more than reading the newest rows twice)
                                       AND ts >= (SELECT min(ts) FROM (SELECT ts {base} ORDER BY ts DESC LIMIT ?))
                                       ORDER BY ts DESC, item_id LIMIT ?) m
                                 JOIN identities d USING (platform, handle)
                                 ORDER BY m.ts DESC, m.item_id""",
                             [*params, *params, max_messages, max_messages]).fetchall()
    # the refresh stores the newest messages' languages (refresh_languages); any other is detected here
    missing = [i for i, (_, _, language) in enumerate(rows) if language is None]
    detected = dict(zip(missing, languages_of([rows[i][1] for i in missing]))) if missing else {}
    messages: Counter[str] = Counter()
    people: dict[str, set[Any]] = {}
    for i, (person, _, language) in enumerate(rows):
        code = (language if i not in detected else detected[i]) or "und"
        messages[code] += 1
        people.setdefault(code, set()).add(person)
    read = len(rows)
    shares = [LanguageShare(code, LANGUAGE_NAMES.get(code, "undetermined"), count, len(people[code]),
                            round(count / read, 4) if read else 0.0, code in READ_LANGUAGES)
              for code, count in sorted(messages.items(), key=lambda kv: (kv[0] == "und", -kv[1], kv[0]))]
    everyone = len({p for group in people.values() for p in group})
    return LanguageMix(account, read, total, everyone, shares, sampled=read < total)


def _has_stored(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'text_languages'"))


#: Which detector filled ``text_languages`` (a new one refills it).
DETECTOR_VERSION = f"lingua {'/'.join(LATIN_LANGUAGES)} 0.1"


def refresh_languages(store: Store) -> int:
    """Store the language of the people's newest messages (up to :data:`MAX_MESSAGES` per account)
    that have none yet, from the imports since the last refresh: the content report then reads
    them and loads no detector. Returns how many texts were detected."""
    if not _has_stored(store) or not _available() or is_read_only(store):
        return 0
    since = derived_watermark(store, "text_languages", DETECTOR_VERSION)
    watermark = store.watermark()
    if since == watermark:
        return 0
    kinds = ", ".join(f"'{k}'" for k in INBOUND_KINDS)
    newer = "" if since is None else f"AND import_id > {int(since)}"
    texts = [r["text"] for r in store.rows(f"""
        SELECT DISTINCT text FROM (
            SELECT text, left(sha256(text), 32) AS text_hash FROM touchpoints
            WHERE direction = 'in' AND kind IN ({kinds}) AND text IS NOT NULL AND trim(text) <> '' {newer}
            QUALIFY row_number() OVER (PARTITION BY account ORDER BY ts DESC NULLS LAST, item_id) <= ?)
        ANTI JOIN text_languages USING (text_hash)""", [MAX_MESSAGES])]
    if texts:
        found = languages_of(texts)
        detected = pa.table({"text": pa.array(texts, pa.string()),
                             "language": pa.array([language or "und" for language in found], pa.string())})
        with store.transaction() as con:
            con.register("detected_languages", detected)
            try:
                con.execute("""INSERT OR IGNORE INTO text_languages (text_hash, language)
                               SELECT DISTINCT left(sha256(text), 32), language FROM detected_languages""")
            finally:
                con.unregister("detected_languages")
    set_derived_watermark(store, "text_languages", DETECTOR_VERSION, watermark)
    return len(texts)
