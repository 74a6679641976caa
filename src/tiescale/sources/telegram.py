"""Telegram Desktop "Export Telegram data" in JSON (``result.json``), every format version since 2020.

A full-account export (``personal_information`` and ``chats.list``) or one chat's export (a chat
object at the top). People are keyed ``user<N>`` (``channel<N>`` for channels), whether the export
writes ``from_id`` as a number (2020) or a string (since 2021). The own account is
``personal_information.user_id``, else ``--account`` (a user id, ``user<N>``, or the name shown on
one's messages).

- ``personal_chat`` / ``bot_chat`` -> ``dm`` both ways (the chat's id is the partner's user id).
- Groups, supergroups and channels -> own messages as :class:`Post` (``reply`` when they answer),
  ``out/reply`` to the author of the message answered (``reply_to_message_id``), ``out/mention`` per
  mentioned user id; another person's message is a touchpoint when it answers an own message or
  mentions the own account (by user id or ``@username``).
- Service messages (joins, calls, pins...) and "Saved Messages" are not touchpoints: skipped, counted.

Dates: ``date_unixtime`` when present, else ``date`` (local time without a zone, taken as UTC).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, PersonInfo, Record, Rejected, Skipped, SourceError
from ..timeparse import BadTimestamp, parse_ts
from ._chat import ChatMessage, Own, message_records
from ._files import ExportFiles
from ._values import as_dict, as_list, clean
from .contract import ReadOptions

FORMAT = "telegram"
PLATFORM = "telegram"
DIRECT = {"personal_chat", "bot_chat"}
SKIPPED_CHATS = {"saved_messages"}


def _members(files: ExportFiles) -> list[str]:
    return files.find("result.json")


def _looks_like(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and (
        b'"personal_information"' in head or (b'"messages"' in head and b'"type"' in head and b'"id"' in head)
        or b'"chats"' in head)


def detect(files: ExportFiles) -> bool:
    for name in _members(files):
        try:
            with files.open_binary(name) as handle:
                if _looks_like(handle.read(8192)):
                    return True
        except Exception:  # noqa: BLE001 - an unreadable member is simply not evidence of this format
            continue
    return False


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not a Telegram Desktop export (result.json in the JSON format)")


def peer(value: Any, kind: str = "user") -> str | None:
    """``user<N>`` for a numeric id (2020 exports), the string as it is since 2021."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return f"{kind}{value}"
    text = clean(value)
    if text is None:
        return None
    return f"{kind}{text}" if text.isdigit() else text


def _text(value: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """Plain text of a message and its entity objects (text is a string or a list of strings/entities)."""
    if isinstance(value, str):
        return value.strip() or None, []
    parts, entities = [], []
    for piece in as_list(value):
        if isinstance(piece, str):
            parts.append(piece)
        elif isinstance(piece, dict):
            parts.append(str(piece.get("text") or ""))
            entities.append(piece)
    return "".join(parts).strip() or None, entities


def _ts(message: dict[str, Any]) -> datetime:
    unix = clean(message.get("date_unixtime"))
    return parse_ts(unix if unix else message.get("date"))


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    members = _members(files)
    if not members:
        check(files)
    for name in members:
        yield from _read_file(files, name, options)


def _read_file(files: ExportFiles, name: str, options: ReadOptions) -> Iterator[Record]:
    where = files.display(name)
    data = files.read_json(name)
    if not isinstance(data, dict):
        raise SourceError(where, "not a Telegram export (a JSON object expected)")
    info = as_dict(data.get("personal_information"))
    chats = as_list(as_dict(data.get("chats")).get("list")) if "chats" in data else [data]
    own_id = peer(info.get("user_id")) or _account(chats, options, where)
    username = (clean(info.get("username")) or "").lstrip("@") or None
    own_name = " ".join(p for p in (clean(info.get("first_name")), clean(info.get("last_name"))) if p) or None
    yield AccountInfo(PLATFORM, own_id, own_name or username, own_id, username)
    own = Own(own_id)
    people: dict[str, str | None] = {}
    for number, chat in enumerate(chats, start=1):
        chat = as_dict(chat)
        yield from _chat(chat, number, where, own, username, people)
    for handle, display in people.items():
        yield PersonInfo(PLATFORM, handle, display)


def _account(chats: list[Any], options: ReadOptions, where: str) -> str:
    wanted = clean(options.account)
    if wanted:
        wanted = wanted.lstrip("@")
        if wanted.isdigit() or wanted.startswith("user"):
            return peer(wanted) or wanted
        for chat in chats:
            for message in as_list(as_dict(chat).get("messages")):
                message = as_dict(message)
                if clean(message.get("from")) == wanted and (found := peer(message.get("from_id"))):
                    return found
        raise SourceError(where, f"--account {wanted!r} wrote no message in this export; give your user id")
    raise SourceError(where, "the export has no personal_information; pass --account with your user id")


def _chat(chat: dict[str, Any], number: int, where: str, own: Own, username: str | None,
          people: dict[str, str | None]) -> Iterator[Record]:
    kind = clean(chat.get("type")) or "unknown"
    chat_id = clean(chat.get("id")) or f"chat{number}"
    label = f"chat {clean(chat.get('name')) or chat_id}"
    messages = [as_dict(m) for m in as_list(chat.get("messages"))]
    if kind in SKIPPED_CHATS:
        for message in messages:
            yield Skipped(where, f"{label}, message {message.get('id')}", "saved messages: notes to oneself")
        return
    direct = kind in DIRECT
    partner = peer(chat.get("id")) if direct else None
    authors: dict[str, str] = {}
    for message in messages:
        record = f"{label}, message {message.get('id')}"
        if message.get("type") != "message":
            yield Skipped(where, record, f"service message ({clean(message.get('action')) or 'no action'})")
            continue
        sender = peer(message.get("from_id"))
        msg_id = clean(message.get("id"))
        if sender is None or msg_id is None:
            yield Rejected(where, record, "a message without from_id or id")
            continue
        try:
            ts = _ts(message)
        except BadTimestamp as exc:
            yield Rejected(where, record, str(exc))
            continue
        authors[msg_id] = sender
        if sender not in own:
            people.setdefault(sender, clean(message.get("from")))
        text, entities = _text(message.get("text"))
        mentions = []
        for entity in entities:
            if entity.get("type") == "mention_name" and (user := peer(entity.get("user_id"))):
                mentions.append(user)
            elif entity.get("type") == "mention" and username and \
                    str(entity.get("text", "")).lstrip("@").casefold() == username.casefold():
                mentions.append(own.account)
        reply_to = clean(message.get("reply_to_message_id"))
        participants = (own.account, partner) if direct and partner and partner not in own else ()
        yield from message_records(PLATFORM, own, ChatMessage(
            id=f"{chat_id}:{msg_id}", ts=ts, sender=sender, conversation=f"chat{chat_id}", direct=direct,
            text=text, sender_name=clean(message.get("from")), participants=participants,
            reply_to_id=f"{chat_id}:{reply_to}" if reply_to else None,
            reply_to_sender=authors.get(reply_to) if reply_to else None, mentions=tuple(mentions)))
