"""Plausible short English texts: what people write to the brand, and what the brand writes.

Templates with slots filled from small vocabularies. Every promotional post carries one of
:data:`PROMO_MARKERS`; relational and value posts never do, so tests can tell them apart
before a real classifier exists.
"""
from __future__ import annotations

import random

from .config import BRAND

#: Words that mark a promotional own post (and appear in no other own post).
PROMO_MARKERS = ("shop", "order now", "% off", "code ", "sale", "subscribe")

FIRST_NAMES = (
    "Maya", "Liam", "Ava", "Noah", "Zoe", "Ethan", "Isla", "Omar", "Lena", "Jonas", "Priya", "Mateo", "Chloe",
    "Kenji", "Sofia", "Arjun", "Hannah", "Diego", "Freya", "Malik", "Nora", "Felix", "Amara", "Theo", "Ines",
    "Sam", "Yara", "Oscar", "Leila", "Tomas", "Grace", "Ravi", "Elena", "Hugo", "Mei", "Jack", "Aisha", "Luca",
    "Ruth", "Kofi", "Clara", "Emil", "Nadia", "Owen", "Sara", "Aiden", "Lucia", "Finn", "Tara", "Ben", "Iris",
    "Jamal", "Eva", "Rosa", "Max", "Hana", "Leo", "Alma", "Dev", "June", "Kai", "Mira", "Pablo", "Vera", "Ali",
)
LAST_NAMES = (
    "Brooks", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Fischer", "Haddad", "Novak", "Reyes", "Walsh",
    "Kowalski", "Singh", "Rossi", "Bauer", "Nguyen", "Costa", "Hughes", "Ahmed", "Larsen", "Dubois", "Kim",
    "Silva", "Murphy", "Petrov", "Santos", "Weber", "Ito", "Mendes", "Carter", "Bianchi", "Ortiz", "Khan",
    "Meyer", "Sato", "Nielsen", "Garcia", "Brennan", "Vogel", "Park", "Lopez", "Fernandes", "Quinn", "Adeyemi",
)
HANDLE_WORDS = (
    "brews", "beans", "espresso", "pourover", "roast", "crema", "latte", "mug", "cup", "bean",
    "grind", "drip", "mocha", "filter", "kettle", "aeropress", "barista", "java", "cortado",
)
HANDLE_PREFIXES = ("the", "daily", "slow", "morning", "home", "little", "caffeinated", "sunday", "quiet", "wild")

PRODUCTS = (
    "Ethiopia Yirgacheffe", "Colombia Huila", "Fernhill Blend", "Kenya AA", "Swiss Water decaf",
    "Guatemala Antigua", "Sumatra Mandheling", "Brazil Cerrado", "Rwanda Nyamasheke", "cold brew pack",
)
ORIGINS = ("Ethiopia", "Kenya", "Colombia", "Guatemala", "Rwanda", "Peru", "Burundi", "Honduras")
METHODS = ("V60", "AeroPress", "French press", "moka pot", "Chemex", "espresso machine", "Kalita Wave", "cold brew jar")
NOTES = ("blueberry", "dark chocolate", "jasmine", "caramel", "stone fruit", "bergamot", "hazelnut", "brown sugar")
PLACES = ("Ireland", "Canada", "Norway", "the Netherlands", "Portugal", "Scotland", "Austria", "Denmark")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GEAR = ("ceramic dripper", "travel mug", "hand grinder", "gooseneck kettle", "brew scale")
SEASONS = ("winter", "spring", "summer", "autumn")
STAFF = ("Rosa", "Tom", "Aiko", "Marcus", "Lotte")

INBOUND: dict[str, tuple[str, ...]] = {
    "question": (
        "Do you ship to {place}?",
        "What grind would you recommend for a {method}?",
        "Is the {product} still available? Can't find it on the site.",
        "How long do the beans stay fresh after opening?",
        "Any tips for dialing in the {product} on a {method}?",
        "Can I pause my subscription for a month?",
        "When is the next roast of {product} coming out?",
        "Is the {product} better as espresso or as filter?",
        "What's the roast date on bags shipping this week?",
        "Do you do wholesale for small cafés?",
        "Which of your coffees would you pick for a {method} beginner?",
        "Is the packaging compostable?",
    ),
    "complaint": (
        "My order still hasn't arrived, it's been {n} days.",
        "The bag of {product} arrived torn open. Not great.",
        "Got charged twice for my subscription this month?",
        "The {product} tasted stale this time, roast date was weeks old.",
        "Checkout keeps failing on your site. Tried three times.",
        "Ordered whole bean, received ground. Disappointed.",
        "Shipping went up again? That's a lot for one bag.",
        "Still waiting for a reply to my email from last week.",
    ),
    "praise": (
        "The {product} is incredible. {note} all the way through.",
        "Best {method} I've made all year, thanks to your {product}.",
        "Your {product} has ruined supermarket coffee for me forever.",
        "Just opened a fresh bag of {product}. The smell alone!",
        "Honestly the most consistent roaster I've tried.",
        "That {product} with a splash of milk is perfect. Getting another bag.",
        "Love that you print the roast date and the farm on every bag.",
    ),
    "negative": (
        "The {product} wasn't for me, way too acidic.",
        "Not a fan of the new bag design, honestly.",
        "Third bag of {product} and it's just fine. Expected more for the price.",
    ),
    "thanks": (
        "Thanks for the quick reply!",
        "Thank you, that grind tip fixed my {method} completely.",
        "Thanks for the handwritten note in the parcel, made my day.",
        "Appreciate you sorting out my order so fast.",
        "Thank you for the brewing guide, super helpful.",
    ),
    "chat": (
        "Brewing the {product} on a rainy {weekday} morning ☕",
        "{method} or {method2}? Asking for a friend.",
        "Day {n} of trying to get latte art right. Today: a blob.",
        "Anyone else on their second cup already?",
        "Coffee first, everything else later.",
        "That's a lovely photo. Where was it taken?",
        "Cold brew season is officially here.",
        "My {method} and I have an understanding now.",
        "Taking the {product} camping this weekend.",
    ),
    "followup": (
        "Perfect, thank you!",
        "Will try that tomorrow morning.",
        "Done, just sent you a DM.",
        "Amazing, thanks {brand}!",
        "Great, that's exactly what I needed.",
        "Ha, noted. Thanks!",
    ),
}
OPENERS = ("", "", "", "Hi! ", "Hey {brand}, ", "Quick one: ", "Hello! ")
CLOSERS = ("", "", "", " ☕", " 🙏", " Thanks!", " :)")

REPLIES: dict[str, tuple[str, ...]] = {
    "question": (
        "Hi {first}! For a {method} we'd start at 15 g coffee to 250 g water, medium-fine grind.",
        "Yes, we ship to {place}. Usually 3 to 5 days.",
        "Great question! Whole beans are at their best for about four weeks after the roast date.",
        "It's back next week, {first}. We'll post here as soon as it's roasted.",
        "You can pause any time from your account page, or tell us here and we'll do it for you.",
        "For filter we'd pick the {product}; for espresso the Fernhill Blend.",
        "Good one! Roast dates this week are Monday and Thursday.",
    ),
    "complaint": (
        "So sorry about this, {first}. Could you DM us your order number? We'll send a fresh bag right away.",
        "That's not the experience we want for you. A replacement is on its way, no need to send anything back.",
        "Sorry {first}! Looking into it now, we'll get back to you today.",
        "Apologies, we've refunded the double charge. It should show in 2 to 3 days.",
    ),
    "negative": (
        "Thanks for the honest feedback, {first}. Want us to suggest something rounder next time?",
        "Fair point, we'll pass it on to the roasting team.",
    ),
    "praise": (
        "That made our day, {first}! Thank you ☕",
        "So glad you're enjoying the {product}!",
        "{note}: you nailed it. Thanks {first}!",
        "Thank you! We'll tell the roasting team, they'll be thrilled.",
    ),
    "thanks": ("Any time, {first}!", "You're very welcome 😊", "Happy brewing, {first}!"),
    "chat": (
        "Love this!", "Ha, same here.", "Enjoy the cup, {first}!", "Coffee first, always.", "Now we want one too.",
    ),
    "followup": ("Enjoy, {first}!", "Let us know how it goes!", "Got it, thanks {first}.", "☕🙌"),
}

POSTS: dict[str, tuple[str, ...]] = {
    "promotional": (
        "20% off our new {origin} roast this week, code FERN20. Shop now: {link}",
        "Back in stock: {product}. Order now before it's gone: {link}",
        "Free shipping on orders over $40 this weekend only. Shop: {link}",
        "Fresh beans every two weeks, cancel anytime. Subscribe and save 15%: {link}",
        "Last chance! Our {season} sale ends tonight. Shop now: {link}",
        "New: the Fernhill {gear}. Limited run, order now: {link}",
        "Bundle deal: 3 bags for $39 with code TRIO39. Shop: {link}",
        "Flash sale: {pct}% off all espresso roasts until midnight. Shop: {link}",
        "Gift idea: a 3-month coffee subscription. Order now: {link}",
    ),
    "relational": (
        "What are you brewing this morning? Show us your setup ☕",
        "Welcome to everyone who joined us this week! Tell us your go-to brew method.",
        "We read every reply. What should we do better? Be honest.",
        "Your brew photos this month were wonderful. Thank you for sharing them with us.",
        "Question for you: light roast or dark roast, and why?",
        "We're a small team of five. Ask us anything about roasting today.",
        "Which origin should we roast next? Reply with your pick.",
        "Behind the scenes: {staff} just finished today's roast of {product}. Say hi!",
        "What's the best coffee moment of your week? Ours: the first cup after the roaster cools.",
        "Thank you for being here. A year ago we were roasting in a garage.",
        "Tell us about the mug you always reach for first.",
    ),
    "value": (
        "Brewing tip: for a {method}, try 1:16 coffee to water and a medium grind.",
        "Store beans in an airtight container away from light. The fridge is not your friend.",
        "Bitter cup? Try a coarser grind or water just off the boil, around 92°C.",
        "Why roast dates matter: coffee tastes best 5 to 30 days after roasting.",
        "Quick guide to the {method}: 1:15 ratio, medium-fine grind, about three minutes in total.",
        "Water makes up 98% of your cup. Filtered water makes a real difference.",
        "Sour cup? Grind a little finer or brew a little longer.",
        "Bloom your pour-over: wet the grounds with twice their weight in water and wait 30 seconds.",
        "Origin notes: {origin} coffees often taste of {note}. Try it side by side with a darker roast.",
    ),
}
SHOUTOUTS = (
    "Shoutout to {mentions} for the lovely brew photos this week ☕",
    "Thank you {mentions} for the kind words this month. You keep us roasting.",
    "Community corner: {mentions} shared their favourite {method} recipes with us. Go say hi!",
)
LINK_PATHS = ("/shop", "/shop/new", "/shop/origin", "/shop/bundles")


def _fill(rng: random.Random, template: str, first: str = "") -> str:
    method, method2 = rng.sample(METHODS, 2)
    return template.format(
        brand="Fernhill", first=first, method=method, method2=method2, product=rng.choice(PRODUCTS),
        origin=rng.choice(ORIGINS), note=rng.choice(NOTES).capitalize(), place=rng.choice(PLACES),
        weekday=rng.choice(WEEKDAYS), gear=rng.choice(GEAR), season=rng.choice(SEASONS), staff=rng.choice(STAFF),
        n=rng.randint(3, 21), pct=rng.choice((10, 15, 25)), link="{link}", mentions="{mentions}",
    )


def inbound_text(rng: random.Random, intent: str) -> str:
    """What a person writes to the brand, for one intent."""
    body = _fill(rng, rng.choice(INBOUND[intent]))
    if intent in ("followup", "thanks"):
        return body
    opener = rng.choice(OPENERS).format(brand="Fernhill")
    closer = rng.choice(CLOSERS) if intent not in ("complaint", "negative") else ""
    return (opener + body + closer).strip()


def reply_text(rng: random.Random, intent: str, first: str) -> str:
    """The brand's answer to one intent, addressing the person by first name."""
    return _fill(rng, rng.choice(REPLIES[intent]), first)


def post_text(rng: random.Random, category: str) -> tuple[str, str | None]:
    """An own post and, for promotions, the shop link it carries."""
    text = _fill(rng, rng.choice(POSTS[category]))
    if "{link}" not in text:
        return text, None
    lowered = text.lower()
    path = ("/subscription" if "subscri" in lowered else "/shop/gear" if "new: the fernhill" in lowered
            else "/gifts" if "gift" in lowered else "/shop/espresso" if "espresso" in lowered
            else rng.choice(LINK_PATHS))
    link = f"{BRAND.site}{path}"
    return text.replace("{link}", link), link


def shoutout_text(rng: random.Random, mentions: list[str]) -> str:
    names = " ".join(f"@{m}" for m in mentions)
    return _fill(rng, rng.choice(SHOUTOUTS)).replace("{mentions}", names)


def is_promotional(text: str) -> bool:
    """The marker test used by the demo's own checks (a classifier comes later)."""
    lowered = text.lower()
    return any(marker in lowered for marker in PROMO_MARKERS)
