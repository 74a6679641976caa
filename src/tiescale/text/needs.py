"""What makes a message a question or a complaint, in English and ten more languages.

Two RE2 patterns over the lower-cased text, for DuckDB's ``regexp_matches`` (the answer index
reads them: insights/threads.py). The English parts are the ones tiescale has always used; the
others add question marks of every script (``?`` ``？`` ``؟``, the Spanish ``¿``, the Greek ``;``
after Greek text), interrogative words and endings, and complaint cues per language.

RE2's ``\\b`` knows only ASCII letters, so a non-English word is bounded by ``(^|[^\\p{L}])`` and
``([^\\p{L}]|$)`` instead. Chinese and Japanese cues match anywhere (no spaces between words);
Korean ones match a word's start or a sentence's end, where its question endings sit.
Measured in docs/languages.md (``bench/eval_multilingual.py``).
"""
from __future__ import annotations

_ENGLISH_QUESTION = (r"\?|\b(how|what|when|where|why|which) (do|does|did|is|are|can|could|should|would|will|to)\b|"
                     r"\b(can|could|would|will) (you|i|we)\b|\bany (update|news|idea|tips?)\b|\bdo you\b|"
                     r"\bis there\b|\bwie\b|\bpourquoi\b|\bcómo\b|\bdónde\b")
_ENGLISH_COMPLAINT = (r"\b(not working|doesn'?t work|isn'?t working|stopped working|broken|refund|still waiting|"
                      r"never (arrived|came|got)|disappointed|terrible|awful|worst|cancel\w*|wrong|late|missing|"
                      r"problem|issue|complain\w*|unacceptable|error|fail\w*|damaged|charged twice|no one|nobody|"
                      r"ridiculous|frustrat\w*|angry|useless|horrible|bad service|poor service)\b")

_START = r"(?:^|[^\p{L}])"
_END = r"(?:[^\p{L}]|$)"


def _words(*alternatives: str) -> str:
    """Whole words or phrases (any script with spaces), bounded by non-letters."""
    return _START + "(?:" + "|".join(alternatives) + ")" + _END


def _anywhere(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


#: Question marks of every script: ASCII and full-width ?, Arabic ؟, the Spanish opening ¿, the
#: Greek question mark (U+037E, and the ASCII ; that Greek writers type, after Greek letters).
_MARKS = "[?？؟¿\u037e]|" + r"\p{Greek}[^.!]*;"

QUESTION_BY_LANGUAGE: dict[str, str] = {
    "es": _words("qué", "cuándo", "dónde", "cuál", "cuáles", "cuánto", "cuánta", "cuántos", "por qué", "quién",
                 "alguien sabe", "me podéis", "me pueden", "tenéis", "hay alguna"),
    "pt": _words("cadê", "quanto custa", "por que", "por quê", "onde está", "onde fica", "qual é", "quando chega",
                 "vocês têm", "vocês tem", "vocês podem", "alguém sabe", "pode me", "podem me"),
    "de": _words("wann", "wo", "warum", "wieso", "weshalb", "welche", "welcher", "welches", "was kostet", "was ist",
                 "gibt es", "können sie", "könnt ihr", "habt ihr", "haben sie", "kann man", "weiß jemand"),
    "fr": _words("quand", "où", "comment", "combien", "quel", "quelle", "quels", "quelles", "est-ce que",
                 "qu'est-ce", "pouvez-vous", "avez-vous", "vous avez", "savez-vous"),
    "it": _words("quando", "dove", "come mai", "perché", "quanto costa", "quale", "quali", "chi sa", "potete",
                 "avete", "è possibile", "sapete"),
    "ar": _words("متى", "أين", "اين", "وين", "كيف", "لماذا", "ليش", "ليه", "هل", "ماذا", "كم", "شو", "ايش", "إيش", "فين"),
    "id": _words("kapan", "dimana", "di mana", "bagaimana", "gimana", "kenapa", "mengapa", "berapa", "apakah",
                 "siapa", "bisakah", "bolehkah", "apa ada", "ada gak", "ada tidak", "sudah sampai belum"),
    "zh": _anywhere("吗", "嗎", "什么", "什麼", "怎么", "怎麼", "为什么", "為什麼", "哪里", "哪裡", "哪儿", "多少",
                    "是否", "能不能", "可不可以", "有没有", "有沒有", "何时", "何時", "几点", "幾點", "呢$"),
    # Korean runs words together ("뭐하는지"): interrogatives match a word's start; endings the end
    "ko": _START + "(?:언제|어디|왜|어떻|어떤|무엇|뭐|뭘|누구|누가|몇|얼마|어느|무슨)"
          + "|" + _anywhere(r"(?:는지|은지|인지|ㄴ지)\s*(?:알려|확인|봐|찾아|보여)",
                            r"(?:니|나요|까|까요|냐|니까요|는지요|ㄹ까|을까|지요|가요|냐고|실래요|습니까|였지|이지)\s*[.~!]*$"),
    "ja": _anywhere("何", "なに", "なん", "いつ", "どこ", "どう", "なぜ", "どれ", "どの", "誰", "だれ", "いくら",
                    r"(?:か|かな|の|ですか|ますか)\s*[。.!！]*$"),
}

COMPLAINT_BY_LANGUAGE: dict[str, str] = {
    "es": _words("roto", "rota", "rotos", "reembolso", "devolución", "devolucion", "queja", "no funciona",
                 "no ha llegado", "no llegó", "no llego", "todavía no", "todavia no", "sigo esperando", "fatal",
                 "pésimo", "pésima", "pesimo", "horrible", "estafa", "vergüenza", "decepcionado", "decepcionada",
                 "dañado", "equivocado", "nadie responde", "mal servicio", "reclamación", "reclamo"),
    "pt": _words("quebrado", "quebrada", "reembolso", "devolução", "estorno", "não funciona", "nao funciona",
                 "não chegou", "nao chegou", "ainda não", "péssimo", "péssima", "pessimo", "horrível", "horrivel",
                 "reclamação", "reclamacao", "absurdo", "decepcionado", "decepcionada", "danificado", "errado",
                 "atrasado", "atraso", "golpe", "ninguém responde", "descaso", "vergonha"),
    "de": _words("kaputt", "defekt", "erstattung", "rückerstattung", "geld zurück", "funktioniert nicht",
                 "nicht angekommen", "immer noch nicht", "noch nicht da", "beschwerde", "schlecht", "enttäuscht",
                 "falsch", "fehlt", "verspätet", "verspätung", "beschädigt", "unverschämt", "frechheit", "betrug",
                 "katastrophe", "ärgerlich", "niemand antwortet", "reklamation", "schlechter service"),
    "fr": _words("cassé", "cassée", "remboursement", "rembourser", "ne marche pas", "ne fonctionne pas", "pas reçu",
                 "toujours pas", "plainte", "réclamation", "nul", "nulle", "déçu", "déçue", "inadmissible",
                 "arnaque", "en retard", "retard", "endommagé", "abîmé", "honteux", "scandaleux", "personne ne répond",
                 "service client nul", "erreur"),
    "it": _words("rotto", "rotta", "rimborso", "non funziona", "non è arrivato", "non è arrivata", "ancora niente",
                 "reclamo", "pessimo", "pessima", "deluso", "delusa", "vergogna", "truffa", "in ritardo", "ritardo",
                 "danneggiato", "danneggiata", "sbagliato", "sbagliata", "nessuno risponde", "schifo", "disservizio"),
    "ar": _words("مكسور", "مكسورة", "استرداد", "استرجاع", "لا يعمل", "ما يشتغل", "ما وصل", "لم يصل", "ما وصلني",
                  "شكوى", "سيء", "سيئ", "سيئة", "خربان", "تأخير", "متأخر", "نصب", "احتيال", "خطأ", "غلط", "زفت",
                  "مافي رد", "لا أحد يرد", "خدمة سيئة", "تالف"),
    "id": _words("rusak", "refund", "pengembalian dana", "tidak berfungsi", "gak berfungsi", "belum sampai",
                 "belum datang", "belum diterima", "kecewa", "komplain", "keluhan", "parah", "lambat", "lama banget",
                 "penipuan", "salah kirim", "tidak sesuai", "gak sesuai", "nggak sesuai", "mengecewakan", "buruk",
                 "jelek", "tidak ada respon", "cacat"),
    "zh": _anywhere("坏了", "壞了", "退款", "退货", "退貨", "投诉", "投訴", "没收到", "沒收到", "还没到", "還沒到",
                    "太慢", "很慢", "失望", "差评", "差評", "很差", "太差", "垃圾", "骗", "騙", "送错", "送錯", "漏送",
                    "少送", "破损", "破損", "难吃", "難吃", "不新鲜", "不新鮮", "凉了", "涼了", "等了", "态度差",
                    "態度差", "再也不", "不会再"),
    "ko": _words("환불", "고장", "불량", "안 와요", "안와요", "아직도", "실망", "최악", "불만", "항의", "짜증", "사기",
                 "파손", "망가", "별로", "늦게", "늦어", "늦었", "잘못", "환불해", "교환", "답답", "화나")
          + "|" + _anywhere("환불", "불량", "최악", "실망", "짜증", "파손", "고장"),
    "ja": _anywhere("壊れ", "こわれ", "返金", "返品", "届かない", "届いていない", "届いてない", "まだ届", "遅い",
                    "遅れ", "最悪", "不良", "苦情", "がっかり", "詐欺", "間違", "破損", "不満", "ひどい", "酷い"),
}

QUESTION_RE = "(" + "|".join([_ENGLISH_QUESTION, _MARKS, *QUESTION_BY_LANGUAGE.values()]) + ")"
COMPLAINT_RE = "(" + "|".join([_ENGLISH_COMPLAINT, *COMPLAINT_BY_LANGUAGE.values()]) + ")"
