"""The demo's WhatsApp channel: customers who write to the brand's business number.

A handful of two-person chats in WhatsApp's own "Export chat" text (Android layout, day-first
dates), one file per customer named ``WhatsApp Chat with <name>.txt`` as the phone names it, so
``tiescale ingest`` reads them like a user's export and infers the own account (the sender every
chat shares). Some customers are regulars; the newest message of two of them is a question the
brand has not answered yet, so the queue shows an unanswered WhatsApp message beside the DMs.
Byte-stable for a seed: no clock, fixed order.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from .config import BRAND, DemoConfig

#: (customer's name as the phone shows it, messages in the chat, ends with an unanswered question)
CUSTOMERS = (
    ("Marta Kowalska", 14, False), ("Tomás Ferreira", 9, True), ("Aiko Tanaka", 6, False),
    ("Olu Adebayo", 11, False), ("Greta Lindqvist", 4, True), ("Samir Haddad", 7, False),
)
_FROM_THEM = ("Hi! Is the Kenya Kiambu back in stock?", "Could I change my subscription to every two weeks?",
              "The last bag was lovely, thank you", "Do you ship to Lisbon?", "Which grind for an Aeropress?",
              "Thanks, that worked perfectly", "Love the new Ethiopia roast", "See you at the market on Saturday")
_FROM_BRAND = ("Hi! Yes, it came back this week", "Done: every two weeks from the next delivery",
               "So glad you liked it!", "We do, 3-5 days by post", "Medium-fine, like table salt",
               "Great to hear, enjoy!", "Thank you, it's a favourite here too", "See you there!")
_QUESTIONS = ("Is there any decaf in stock this week?", "When does the next Colombia lot arrive?")


def _line(ts: datetime, sender: str, text: str) -> str:
    return f"{ts:%d/%m/%Y}, {ts:%H:%M} - {sender}: {text}"


def write_whatsapp(folder: Path, config: DemoConfig) -> Path:
    """One chat file per customer in ``folder``; returns the folder."""
    rng = random.Random(f"{config.seed}-whatsapp")
    folder.mkdir(parents=True, exist_ok=True)
    end = config.end.replace(tzinfo=None)
    asked = 0
    for name, n, unanswered in CUSTOMERS:
        # a day of the month above 12 first, so the file itself says its dates are day-first
        first = end - timedelta(days=rng.randint(60, 170))
        first = first.replace(day=max(first.day, 13), hour=9, minute=rng.randint(0, 59))
        lines = [f"{first:%d/%m/%Y}, {first:%H:%M} - Messages and calls are end-to-end encrypted. "
                 "No one outside of this chat, not even WhatsApp, can read or listen to them."]
        ts = first
        for _ in range(n):
            ts += timedelta(days=rng.randint(3, 12), minutes=rng.randint(0, 600))
            if ts > end - timedelta(days=3):
                break
            lines.append(_line(ts, name, rng.choice(_FROM_THEM)))
            lines.append(_line(ts + timedelta(minutes=rng.randint(5, 240)), BRAND.name, rng.choice(_FROM_BRAND)))
        if unanswered:  # their newest message: a question, a few days before the end, no answer yet
            ts = end - timedelta(days=2 + 3 * asked, hours=rng.randint(1, 9))
            lines.append(_line(ts, name, _QUESTIONS[asked % len(_QUESTIONS)]))
            asked += 1
        (folder / f"WhatsApp Chat with {name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
