"""Discord: DiscordChatExporter JSON (one file per channel or thread) and Discord's own data package.

DiscordChatExporter (``{guild, channel, messages[]}``): every author's messages. The own account
is ``--account`` (a user id, name or nickname). Own messages are :class:`Post` records, with
``out/reply`` to the author of the message answered (``reference.messageId``, across all files of
the import, so a thread's reply to its channel resolves) and ``out/mention`` per mention; another
person's message is a touchpoint when it answers or mentions the own account. Direct-message
channels (``DirectTextChat``, ``DirectGroupTextChat``) give ``dm`` both ways. Reactions count as
``like`` only when the export lists who reacted (newer exports); bot messages and joins, pins,
thread creations are skipped with a count.

Discord's data package ("Request all of my data": ``messages/index.json``, ``messages/c<id>/
channel.json`` and ``messages.json`` or ``messages.csv``) holds only the requesting user's own
messages: in a DM or group DM (``recipients``) they are ``out/dm``; in a server channel, posts.
The own id comes from ``account/user.json``, else ``--account``. Nobody else's words are in it.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, PersonInfo, Post, Record, Rejected, Skipped, SourceError
from ..timeparse import BadTimestamp, parse_ts
from ._chat import ChatMessage, Own, members_whose_head, message_records, reaction_record
from ._files import ExportFiles
from ._values import as_dict, as_list, clean
from .contract import ReadOptions

FORMAT = "discord"
PLATFORM = "discord"
MESSAGE_TYPES = {"Default", "Reply", "0", "19"}
DIRECT_CHANNELS = {"DirectTextChat", "DirectGroupTextChat", "DM", "GROUP_DM", "1", "3"}
_CHANNEL_DIR = re.compile(r"(^|/)messages/c?(\d+)/channel\.json$")


def _content(value: Any) -> str | None:
    """Message text as written (line breaks kept), or ``None`` when empty."""
    return value.strip() or None if isinstance(value, str) else None


# -- detection ------------------------------------------------------------------------------------------
def _dce_files(files: ExportFiles) -> list[str]:
    return members_whose_head(files, ".json", lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
                              and b'"guild"' in head and b'"channel"' in head)


def _package_channels(files: ExportFiles) -> list[str]:
    return [n for n in files.names() if _CHANNEL_DIR.search(n)]


def detect(files: ExportFiles) -> bool:
    return bool(_package_channels(files) or _dce_files(files))


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not a Discord export (DiscordChatExporter JSON, or the data package's "
                                           "messages/c<id>/channel.json)")


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    if _package_channels(files):
        yield from _read_package(files, options)
    else:
        yield from _Exporter(files, options).run()


# -- DiscordChatExporter ---------------------------------------------------------------------------------
@dataclass
class _Exporter:
    files: ExportFiles
    options: ReadOptions
    authors: dict[str, str] = field(default_factory=dict)  # message id -> author id
    people: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def run(self) -> Iterator[Record]:
        names = _dce_files(self.files)
        if not names:
            check(self.files)
        documents = []
        for name in names:
            data = self.files.read_json(name)
            if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
                raise SourceError(self.files.display(name), "not a DiscordChatExporter JSON export (no messages list)")
            documents.append((name, data))
            for message in data["messages"]:
                message = as_dict(message)
                if (mid := clean(message.get("id"))) and (author := clean(as_dict(message.get("author")).get("id"))):
                    self.authors[mid] = author
        own = self._own(documents)
        own_username, own_name = self.people.get(own.account, (None, None))
        yield AccountInfo(PLATFORM, own.account, own_name, own.account, own_username)
        for name, data in documents:
            yield from self._channel(name, data, own)
        for handle, (username, display) in self.people.items():
            if handle not in own:
                yield PersonInfo(PLATFORM, handle, display or username, None, None, username)

    def _own(self, documents: list[tuple[str, dict[str, Any]]]) -> Own:
        for _, data in documents:
            for message in as_list(data.get("messages")):
                for person in [as_dict(message).get("author"), *as_list(as_dict(message).get("mentions"))]:
                    person = as_dict(person)
                    if pid := clean(person.get("id")):
                        self.people.setdefault(pid, (clean(person.get("name")), clean(person.get("nickname"))))
        wanted = (self.options.account or "").strip().lstrip("@").casefold()
        if not wanted:
            raise SourceError(str(self.files.path), "a DiscordChatExporter export does not say whose it is; pass "
                                                    "--account with your Discord user id or name")
        for pid, (username, display) in self.people.items():
            if wanted in {pid, (username or "").casefold(), (display or "").casefold()}:
                return Own(pid)
        raise SourceError(str(self.files.path), f"--account {self.options.account!r} wrote nothing and is "
                                                "mentioned nowhere in this export; give your user id")

    def _channel(self, name: str, data: dict[str, Any], own: Own) -> Iterator[Record]:
        where = self.files.display(name)
        channel = as_dict(data.get("channel"))
        channel_id = clean(channel.get("id")) or PurePosixPath(name).stem
        direct = clean(channel.get("type")) in DIRECT_CHANNELS
        members = tuple(dict.fromkeys(
            a for m in as_list(data.get("messages"))
            if (a := clean(as_dict(as_dict(m).get("author")).get("id")))
            and as_dict(as_dict(m).get("author")).get("isBot") is not True))
        for number, message in enumerate(as_list(data["messages"]), start=1):
            message = as_dict(message)
            record = f"message {clean(message.get('id')) or number}"
            author = as_dict(message.get("author"))
            sender = clean(author.get("id"))
            kind = clean(message.get("type")) or "Default"
            if kind not in MESSAGE_TYPES:
                yield Skipped(where, record, f"Discord event ({kind})")
                continue
            if author.get("isBot") is True:
                yield Skipped(where, record, "bot message")
                continue
            mid = clean(message.get("id"))
            if not sender or not mid:
                yield Rejected(where, record, "a message without an id or author")
                continue
            try:
                ts = parse_ts(message.get("timestamp"))
            except BadTimestamp as exc:
                yield Rejected(where, record, str(exc))
                continue
            parent = clean(as_dict(message.get("reference")).get("messageId"))
            mentions = tuple(m for p in as_list(message.get("mentions")) if (m := clean(as_dict(p).get("id"))))
            yield from message_records(PLATFORM, own, ChatMessage(
                id=mid, ts=ts, sender=sender, conversation=channel_id, direct=direct,
                text=_content(message.get("content")), sender_name=clean(author.get("nickname")) or clean(author.get("name")),
                participants=members if direct else (), reply_to_id=parent,
                reply_to_sender=self.authors.get(parent) if parent else None, mentions=mentions))
            for reaction in as_list(message.get("reactions")):
                reaction = as_dict(reaction)
                emoji = clean(as_dict(reaction.get("emoji")).get("name"))
                for user in as_list(reaction.get("users")):
                    if (reactor := clean(as_dict(user).get("id"))) and (
                            like := reaction_record(PLATFORM, own, reactor, sender, mid, ts, emoji)):
                        yield like


# -- Discord's data package ------------------------------------------------------------------------------
def _package_own(files: ExportFiles, options: ReadOptions) -> tuple[str, str | None, str | None]:
    """The own id, display name and username (account/user.json), else the id ``--account`` gives."""
    for name in files.find("user.json", under="account"):
        user = as_dict(files.read_json(name))
        if uid := clean(user.get("id")):
            username = clean(user.get("username"))
            return uid, clean(user.get("global_name")) or username, username
    wanted = clean(options.account)
    if wanted and wanted.isdigit():
        return wanted, None, None
    raise SourceError(str(files.path), "the package has no account/user.json; pass --account with your Discord user id")


def _package_messages(files: ExportFiles, folder: str) -> tuple[str, list[dict[str, Any]]] | None:
    for file in ("messages.json", "messages.csv"):
        name = f"{folder}/{file}" if folder else file
        if name not in files.names():
            continue
        if file.endswith(".json"):
            rows = files.read_json(name)
            if not isinstance(rows, list):
                raise SourceError(files.display(name), "not a list of messages")
            return name, [as_dict(r) for r in rows]
        text = files.read_text(name)
        return name, [dict(r) for r in csv.DictReader(io.StringIO(text, newline=""))]
    return None


def _read_package(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    own_id, own_name, own_username = _package_own(files, options)
    yield AccountInfo(PLATFORM, own_id, own_name, own_id, own_username)
    own = Own(own_id)
    for channel_file in _package_channels(files):
        folder = str(PurePosixPath(channel_file).parent)
        channel = as_dict(files.read_json(channel_file))
        channel_id = clean(channel.get("id")) or folder.rsplit("c", 1)[-1]
        recipients = tuple(r for v in as_list(channel.get("recipients"))
                           if (r := clean(v if not isinstance(v, dict) else v.get("id"))))
        direct = clean(channel.get("type")) in DIRECT_CHANNELS
        found = _package_messages(files, folder)
        if found is None:
            continue
        name, rows = found
        where = files.display(name)
        for number, row in enumerate(rows, start=1):
            row = {str(k).lower(): v for k, v in row.items()}
            mid, record = clean(row.get("id")), f"row {number}"
            try:
                ts = parse_ts(row.get("timestamp"))
            except BadTimestamp as exc:
                yield Rejected(where, record, str(exc))
                continue
            if not mid:
                yield Rejected(where, record, "no ID")
                continue
            text = _content(row.get("contents"))
            if direct:
                if not [r for r in recipients if r != own_id]:
                    yield Skipped(where, record, "a DM whose recipients the package does not list")
                    continue
                yield from message_records(PLATFORM, own, ChatMessage(
                    id=mid, ts=ts, sender=own_id, conversation=channel_id, direct=True, text=text,
                    participants=(own_id, *recipients)))
            else:
                yield Post(ts, PLATFORM, own_id, mid, kind="post", text=text, thread=channel_id)
