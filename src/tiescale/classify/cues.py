"""Clear cues in a text: prices, discount codes, shop links, calls to action, thanks, questions.

Each cue is a compiled regular expression with a short description a writer understands
("contains a discount code"). The cues feed the trained model as features and explain every
verdict. Everything here is pure and offline.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TAGS = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_BREAKS = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)


def normalize(text: str) -> str:
    """Plain text from what exports hold: HTML entities and tags (YouTube), zero-width marks."""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _BREAKS.sub(" ", text)
        text = _ANCHOR.sub(r"\2 \1", text)
        text = _TAGS.sub(" ", text)
    return _SPACES.sub(" ", text.translate(_INVISIBLE)).strip()


@dataclass(frozen=True)
class Cue:
    name: str
    kind: str  # promotional | relational | value: the kind of post it points to
    says: str  # how a verdict names it
    pattern: re.Pattern[str]


def _cue(name: str, kind: str, says: str, pattern: str, flags: int = re.IGNORECASE) -> Cue:
    other = _OTHER_LANGUAGES.get(name)
    if other:
        pattern = f"(?:{pattern})|(?i:{other})"
    return Cue(name, kind, says, re.compile(pattern, flags))


_SHOP_PATH = r"(?:shop|store|product|products|buy|cart|checkout|order|deal|deals|sale|offer|pricing|subscribe|gift|gifts)"
_URL = r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|info|biz|co|io|me|ly|shop|store|tv)\b(?:/\S*)?"

#: The same cues in other languages (es pt de fr it id ar zh ko ja), written for tiescale: a cue's
#: learned weight then applies to a Spanish discount as to an English one. Words of scripts with
#: spaces are bounded like English ones; Chinese and Japanese ones match anywhere.
_B = r"(?<![^\W\d_])"  # no letter right before (Python's \b fails between CJK characters)
_E = r"(?![^\W\d_])"  # no letter right after
#: Runs of digits are bounded ({0,24}, {1,12}): an unbounded ``\d[\d.,]*`` before a word that
#: must follow made a search over a long run of digits quadratic (20,000 zeros: 9 s in /api/classify).
_OTHER_LANGUAGES: dict[str, str] = {
    "price": r"\brp\.?\s?\d[\d.,]{0,24}|\br\$\s?\d|\brm\s?\d|[₩₹₺₱฿]\s?\d|\d[\d.,]{0,24}\s?(?:rb|ribu|jt|juta|reais|pesos|"
             r"ريال|درهم|جنيه|元|円|원|块)(?![^\W\d_])",
    "discount": _B + r"(?:descuentos?|rebajas?|ofertas?|desconto|descontos|promoção|promoções|promocao|liquidação|"
                r"rabatt\w*|angebot\w*|reduziert|réductions?|remises?|soldes|promos?|promotions?|sconto|sconti|"
                r"offerta|offerte|saldi|diskon|potongan harga|cashback|hemat|خصم|خصومات|تخفيض\w*|عرض|عروض)" + _E
                + r"|折扣|优惠|優惠|打折|特价|特價|促销|促銷|할인|특가|세일|割引|特価|セール|クーポン",
    "sale": _B + r"(?:por tiempo limitado|últimas unidades|solo hoy|sólo hoy|envío gratis|gratis|tempo limitado|"
            r"só hoje|frete grátis|grátis|nur heute|solange der vorrat reicht|kostenlos\w*|versandkostenfrei|"
            r"durée limitée|aujourd'hui seulement|livraison gratuite|gratuit\w*|offerta limitata|solo oggi|"
            r"spedizione gratuita|hanya hari ini|terbatas|berlaku (?:hingga|sampai|s/d)|buruan|gratis ongkir|"
            r"لفترة محدودة|شحن مجاني|مجانا|مجاني\w*)" + _E
            + r"|限时|限時|包邮|包郵|免运费|免費|免费|한정|무료|期間限定|送料無料|無料",
    "buy_cta": _B + r"(?:compra ya|cómpralo|compra ahora|pide ya|reserva ya|compre já|compre agora|peça já|"
               r"jetzt kaufen|jetzt bestellen|hier bestellen|achetez|commandez|acquista ora|ordina ora|"
               r"beli sekarang|pesan sekarang|order sekarang|dapatkan|belanja|اطلب الآن|اشتر الآن|تسوق)" + _E
               + r"|立即购买|立即購買|马上抢|下单|抢购|搶購|지금 구매|구매하기|주문하기|今すぐ購入|ご購入",
    "signup_cta": _B + r"(?:suscríbete|suscribete|regístrate|registrate|inscríbete|descárgal[ao]|inscreva-se|"
                  r"se inscreva|cadastre-se|baixe|abonnier\w*|registrier\w*|melde dich an|jetzt anmelden|"
                  r"abonne-toi|abonnez-vous|inscrivez-vous|iscriviti|scarica|daftar(?: sekarang)?|registrasi|"
                  r"unduh|ketik \w+|kirim ke \d+|sms ke \d+|info hub\w*|hubungi|اشترك|سجل الآن|حمل التطبيق)" + _E
                  + r"|\*\d{2,4}(?:\*\d+)*#|关注|關注|订阅|訂閱|注册|註冊|구독|가입|チャンネル登録",
    "self_promo": _B + r"(?:mi canal|meu canal|mein kanal|meinen kanal|ma chaîne|il mio canale|channel saya|"
                  r"channel ku|قناتي)" + _E + r"|我的频道|我的頻道|제 채널|내 채널|私のチャンネル",
    "money": _B + r"(?:gana|ganar|ganhe|ganhar|prêmios?|premios?|sorteo|sorteio|gewinn\w*|gagnez|gagner|"
             r"concours|vinci|concorso|hadiah|pemenang|menang\w*|undian|pulsa|bonus|جائزة|جوائز|اربح|مسابقة)" + _E
             + r"|中奖|中獎|奖品|獎品|红包|紅包|당첨|경품|プレゼント|当選",
    "thanks": _B + r"(?:gracias|obrigad[oa]|danke|merci|grazie|terima kasih|makasih|شكرا)" + _E
              + r"|谢谢|謝謝|감사|고마워|ありがとう",
    "question": r"[？؟¿]",
}
_MULTILINGUAL_CUES = frozenset(_OTHER_LANGUAGES)

CUES: tuple[Cue, ...] = (
    # -- selling and convincing ------------------------------------------------------------------
    _cue("price", "promotional", "a price",
         r"(?:[$€£¥]\s?\d[\d,.]{0,24}|\b\d[\d,.]{0,24}\s?(?:usd|eur|gbp|dollars|euros|pounds|bucks)\b|\b\d{1,12}(?:\.\d\d)?\s?/\s?(?:mo|month|yr|year)\b)"),
    _cue("discount", "promotional", "a discount",
         r"(?:\b\d{1,2}\s?%\s?off\b|\b(?:half|\d{1,3}\s?%)\s?price\b|\bsave\s+(?:up\s+to\s+)?(?:\d|[$€£])|\b(?:discount|coupon|voucher|bogo|clearance|markdown)s?\b|\bbuy\s+(?:one|\d{1,6}),?\s+get\b)"),
    _cue("code", "promotional", "a discount code",
         r"\b(?:use|with|enter|apply)?\s*(?:promo|discount|coupon)?\s*code\s*:?\s*[A-Z][A-Z0-9]{2,}\b|\bcode\s+[A-Za-z]*\d+[A-Za-z0-9]*\b",
         re.UNICODE),
    _cue("sale", "promotional", "a sale or limited offer",
         r"\b(?:sale|flash sale|on sale|limited(?:[- ]time| edition| run| offer| stock)|last chance|ends (?:tonight|today|soon|sunday|midnight)|only \d+ left|while (?:stocks?|supplies) last|don'?t miss out|hurry|deal of the|black friday|cyber monday|pre-?order|back in stock|free (?:shipping|delivery|trial|gift|sample))\b"),
    _cue("shop_link", "promotional", "a shop link",
         rf"(?:https?://|www\.)\S*/{_SHOP_PATH}\b|\b(?:amzn\.to|amazon\.\w+|etsy\.com|ebay\.\w+|shopify|gumroad\.com|bit\.ly|tinyurl\.com|utm_\w+=|\?ref=|aff(?:iliate)?[=/])"),
    _cue("buy_cta", "promotional", "a call to buy",
         r"\b(?:shop|buy|order|grab|get|book|reserve|pick up|snag)\s+(?:now|today|yours|it|one|them|online|here|your|a|the|tickets?)\b|\b(?:add to (?:cart|basket)|available (?:now|online|in store)|in stores? now|out now|now available|link in (?:bio|profile)|tap the link|shop (?:the|our)\b)"),
    _cue("signup_cta", "promotional", "a call to sign up or subscribe",
         r"\b(?:sign\s?up|register|enrol+|join (?:now|today|us today|free)|start (?:your )?free trial|try (?:it )?(?:free|for free)|subscribe|sub(?:scribe)? (?:to|4|for) (?:me|my|us|our|sub)|sub4sub|download (?:now|the app|today)|claim (?:your|now)|apply now|call now|text \w+ to \d+|txt \w+ to)\b"),
    _cue("self_promo", "promotional", "pushes the writer's own channel or product",
         r"\b(?:check\s+(?:out\s+)?(?:my|our|me\b)|watch\s+(?:my|our)|visit\s+(?:my|our)|listen to my|follow (?:me|us)\b(?! back)|(?:my|our) (?:new )?(?:channel|vid|video|videos|music|song|songs|page|blog|website|site|shop|store|mixtape|album|ep|single|track|cover|covers|app|book|course|podcast|stream|product|collection)\b)"),
    _cue("please_support", "promotional", "asks to like, share or support",
         r"\b(?:please|pls|plz)\s+(?:\w+\s+){0,2}(?:like|share|sub|subscribe|watch|visit|check|support|help|donate|vote|follow|view)\b|\b(?:like|share) (?:and|&) (?:subscribe|share|follow)\b|\bthumbs up so\b"),
    _cue("engagement_bait", "promotional", "asks for likes or shares",
         r"\b(?:like|thumbs up|share|repost|retweet|rt)\s+(?:this|my|if|for|so|and)\b|\b(?:like|thumbs up|share)\b.{0,25}\b(?:this comment|this post|this video|if you|if ur|if your)\b|\b(?:tag|invite) (?:a|your|\d+) friends?\b"),
    _cue("money", "promotional", "money or prizes",
         r"\b(?:earn|make)\s+(?:\$|money|cash|\d)|\b(?:free (?:money|gift cards?|iphone|followers|views|subscribers)|gift cards?|cash prize|you(?:'ve| have)? won|winner|prize|giveaway|win (?:a|an|the|free)|bitcoin|crypto|paypal)\b"),
    _cue("phone", "promotional", "a phone number", r"(?:\+\d[\d\s-]{8,}\d|\b0\d{9,10}\b|\b\d{5}\b(?=\s*(?:to|now|for|\.)))"),
    _cue("video_link", "value", "links to a video",
         r"(?:https?://)?(?:www\.|m\.)?(?:youtube\.com/watch\S*|youtu\.be/\S+)|(?:^|\s)/watch\?v=\S+"),
    _cue("link", "promotional", "a link", _URL),
    # -- conversation ----------------------------------------------------------------------------
    _cue("thanks", "relational", "thanks someone",
         r"\b(?:thanks?|thank you|thx|ty|grateful|appreciate[sd]?|shout-?out|kudos|cheers to)\b"),
    _cue("question", "relational", "asks the audience a question",
         r"\?\s*(?:[\U0001F300-\U0001FAFF\u2600-\u27BF]\s*)*$|\?\s+\S|\b(?:tell us|let us know|what(?:'s| is| are) your|which (?:one|do you)|reply with|comment (?:below|with)|share your|show us|we'?d love to (?:hear|see|know)|ask us)\b"),
    _cue("welcome", "relational", "welcomes or celebrates people",
         r"\b(?:welcome|congrat\w*|happy birthday|well done|proud of|celebrat\w+|cheers|you (?:all|guys) (?:are|rock)|love (?:this|that|seeing)|so glad|made our day)\b"),
    _cue("mention", "relational", "addresses someone by @name", r"(?:^|\s)@\w"),
    _cue("apology", "relational", "apologises or offers help",
         r"\b(?:sorry|apolog\w+|we'?re (?:looking into|on it)|dm us|message us|let me know|happy to help|here to help)\b"),
    # -- informing and entertaining --------------------------------------------------------------
    _cue("tip", "value", "shares a tip or how-to",
         r"\b(?:tip|tips|how to|how-to|guide|step \d|steps|tutorial|recipe|did you know|fun fact|myth|explained|here'?s (?:how|why|what)|the secret|a quick|try this|pro tip|lesson|learn(?:ed)?|mistakes?|checklist|why (?:we|you|it|do|does|is))\b"),
    _cue("figure", "value", "gives figures or facts",
         r"\b\d+(?:[.,]\d+)?\s?(?:%|percent|minutes?|mins?|hours?|seconds?|degrees?|°[cf]?|grams?|g|ml|km|miles?|years?|times)\b"),
)
_VIDEO_HOSTS = re.compile(r"youtube\.com|youtu\.be", re.IGNORECASE)
_ALL_LINKS = re.compile(_URL, re.IGNORECASE)


def _other_link(text: str) -> bool:
    """Whether ``text`` links anywhere but to a video."""
    return any(not _VIDEO_HOSTS.search(m.group(0)) for m in _ALL_LINKS.finditer(text))


CUE_BY_NAME = {cue.name: cue for cue in CUES}
PROMOTIONAL_CUES = tuple(c.name for c in CUES if c.kind == "promotional")


def find_cues(text: str) -> list[str]:
    """Names of the cues present in ``text`` (already normalized or not), in :data:`CUES` order."""
    found = [cue.name for cue in CUES if cue.pattern.search(text)]
    if "link" in found and ("shop_link" in found or ("video_link" in found and not _other_link(text))):
        found.remove("link")
    return found


def describe(names: list[str], label: str) -> list[str]:
    """Short phrases for the cues that point to ``label``; empty when the model judged from the
    wording alone (cues of another kind would not explain the verdict)."""
    return [CUE_BY_NAME[n].says for n in names if CUE_BY_NAME[n].kind == label]
