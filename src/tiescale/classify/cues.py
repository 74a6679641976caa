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
    return Cue(name, kind, says, re.compile(pattern, flags))


_SHOP_PATH = r"(?:shop|store|product|products|buy|cart|checkout|order|deal|deals|sale|offer|pricing|subscribe|gift|gifts)"
_URL = r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|info|biz|co|io|me|ly|shop|store|tv)\b(?:/\S*)?"

CUES: tuple[Cue, ...] = (
    # -- selling and convincing ------------------------------------------------------------------
    _cue("price", "promotional", "a price",
         r"(?:[$€£¥]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros|pounds|bucks)\b|\b\d+(?:\.\d\d)?\s?/\s?(?:mo|month|yr|year)\b)"),
    _cue("discount", "promotional", "a discount",
         r"(?:\b\d{1,2}\s?%\s?off\b|\b(?:half|\d+\s?%)\s?price\b|\bsave\s+(?:up\s+to\s+)?(?:\d|[$€£])|\b(?:discount|coupon|voucher|bogo|clearance|markdown)s?\b|\bbuy\s+(?:one|\d+),?\s+get\b)"),
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
