"""What every chat export has in common: a message, turned into the same records everywhere.

Chat exports (Slack, Discord, Telegram, WhatsApp, TikTok DMs, e-mail) differ in layout but say
the same things: who wrote a message, when, in which conversation, to whom it replies and whom it
mentions. Each parser reads its layout into :class:`ChatMessage`; :func:`message_records` decides,
in one place, what is a touchpoint with the own account, so every channel is scored alike:

- a *direct* conversation (1:1 or a small group DM): every message is a ``dm`` between its
  sender and each other participant, ``out`` when the own account sent it, ``in`` when it was
  sent to the own account;
- a *public* conversation (a channel, a group, a server): the own account's messages are
  :class:`Post` records (``post`` or ``reply``), plus ``out/reply`` to the author it answers and
  ``out/mention`` per person it names; another person's message is a touchpoint only when it
  answers the own account (``in/reply``) or names it (``in/mention``). Co-presence in a busy
  channel is not a relationship.

"Own" is a set of handles: one person's account, or a brand's members in a community workspace.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..records import Interaction, Post, Record
from ._files import ExportFiles


@dataclass(slots=True)
class ChatMessage:
    """One message of a chat export, in the parser-independent shape."""

    id: str
    ts: datetime
    sender: str
    conversation: str
    direct: bool
    text: str | None = None
    sender_name: str | None = None
    #: For a direct conversation, everyone in it, the own side included (when it is not listed,
    #: the conversation is taken to be one the own side is not in).
    participants: tuple[str, ...] = ()
    reply_to_id: str | None = None
    reply_to_sender: str | None = None
    mentions: tuple[str, ...] = ()
    thread: str | None = None
    url: str | None = None


@dataclass(slots=True)
class Own:
    """The own side of a chat export: the account name records carry, and who speaks for it."""

    account: str
    members: frozenset[str] = field(default_factory=frozenset)

    def __contains__(self, handle: object) -> bool:
        return handle == self.account or handle in self.members


def message_records(platform: str, own: Own, msg: ChatMessage) -> Iterator[Record]:
    """The touchpoints (and own posts) one message stands for; see the module docstring."""
    def touch(person: str, direction: str, kind: str) -> Interaction:
        return Interaction(ts=msg.ts, platform=platform, account=own.account, person=person, direction=direction,
                           kind=kind, id=msg.id, text=msg.text, in_reply_to=msg.reply_to_id,
                           thread=msg.thread or msg.conversation,
                           person_name=msg.sender_name if direction == "in" else None)

    if msg.direct:
        if msg.participants and not any(p in own for p in (msg.sender, *msg.participants)):
            return  # a conversation the own side is not in (a workspace export holds everyone's)
        if msg.sender in own:
            for person in _unique(p for p in msg.participants if p not in own):
                yield touch(person, "out", "dm")
        else:
            yield touch(msg.sender, "in", "dm")
        return
    if msg.sender in own:
        yield Post(ts=msg.ts, platform=platform, account=own.account, id=msg.id,
                   kind="reply" if msg.reply_to_id else "post", text=msg.text, in_reply_to=msg.reply_to_id,
                   thread=msg.thread or msg.conversation, url=msg.url)
        target = msg.reply_to_sender if msg.reply_to_sender not in own else None
        if target:
            yield touch(target, "out", "reply")
        for person in _unique(p for p in msg.mentions if p not in own and p != target):
            yield touch(person, "out", "mention")
        return
    if msg.reply_to_sender is not None and msg.reply_to_sender in own:
        yield touch(msg.sender, "in", "reply")
    elif any(m in own for m in msg.mentions):
        yield touch(msg.sender, "in", "mention")


def reaction_record(platform: str, own: Own, reactor: str, author: str, message_id: str,
                    ts: datetime | None, emoji: str | None) -> Interaction | None:
    """A reaction as a ``like``: someone reacting to an own message (``in``), or the reverse (``out``).

    Exports do not date reactions, so ``ts`` is the message's own time (a lower bound).
    """
    if (reactor in own) == (author in own):
        return None
    direction, person = ("in", reactor) if author in own else ("out", author)
    return Interaction(ts=ts, platform=platform, account=own.account, person=person, direction=direction,
                       kind="like", id=f"{message_id}:reaction:{emoji or ''}", text=None, in_reply_to=message_id)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def members_whose_head(files: ExportFiles, suffix: str, looks_like: Callable[[bytes], bool]) -> list[str]:
    """The members named ``*<suffix>`` whose first 4 KiB ``looks_like`` accepts (cheap detection:
    an unreadable member is simply not evidence of the format)."""
    found = []
    for name in files.names():
        if not name.lower().endswith(suffix):
            continue
        try:
            with files.open_binary(name) as handle:
                head = handle.read(4096)
        except Exception:  # noqa: BLE001 - see the docstring
            continue
        if looks_like(head):
            found.append(name)
    return found
