"""Slack workspace export (Workspace settings -> Import/Export data -> Export; or slackdump), zip or folder.

Read: ``users.json`` (members: id, name, real name, e-mail when the export has it), ``channels.json``
(public), ``groups.json`` (private channels), ``dms.json`` and ``mpims.json`` (direct and group direct
conversations, full exports only), and one ``<conversation>/<YYYY-MM-DD>.json`` per conversation and
day. Both the 2016 layout (no threads, string ``created``) and the current one (``thread_ts``,
``parent_user_id``, ``reactions`` with their users) are read.

The own side (``--account``) is one member, named by id, @name, real name or e-mail. Without it
the whole workspace is read as a brand's community: its owners and admins speak for the brand,
and every other member's replies to them, mentions of them and DMs with them are touchpoints.

- A message in a channel -> a :class:`Post` when the own side wrote it (``out/reply`` to the thread
  starter it answers, ``out/mention`` per ``<@U...>``); another member's message only when it
  replies in a thread the own side started or mentions it (``in/reply``, ``in/mention``).
- A message in a DM or group DM -> ``dm`` (see :mod:`tiescale.sources._chat`).
- Reactions (with their users) -> ``like`` both ways, dated with the message.
- Bot messages, joins, leaves, topic changes, deleted-thread placeholders: :class:`Skipped`, counted.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, PersonInfo, Record, Rejected, Skipped, SourceError
from ..timeparse import BadTimestamp, from_unix
from ._chat import ChatMessage, Own, message_records, reaction_record
from ._files import ExportFiles
from ._values import as_dict, as_list, clean
from .contract import ReadOptions

FORMAT = "slack"
PLATFORM = "slack"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
#: Subtypes that are messages people wrote; every other subtype is an event, skipped with a count.
MESSAGE_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message", "file_comment", "reply_broadcast"}
LISTS = ("channels.json", "groups.json", "dms.json", "mpims.json")


@dataclass(slots=True)
class _Conversation:
    id: str
    folder: str
    direct: bool
    members: tuple[str, ...] = ()


@dataclass(slots=True)
class _Member:
    id: str
    name: str | None
    real_name: str | None
    email: str | None
    bot: bool
    admin: bool


@dataclass(slots=True)
class _Workspace:
    members: dict[str, _Member] = field(default_factory=dict)
    conversations: dict[str, _Conversation] = field(default_factory=dict)  # by folder
    team: str | None = None


# -- detection ----------------------------------------------------------------------------------
def _root(files: ExportFiles) -> str | None:
    """The folder (inside the export) holding users.json and channels.json, or None."""
    for name in files.find("users.json"):
        parent = PurePosixPath(name).parent
        prefix = "" if str(parent) == "." else f"{parent}/"
        if any(f"{prefix}{lst}" in files.names() for lst in LISTS):
            return prefix
    return None


def detect(files: ExportFiles) -> bool:
    root = _root(files)
    if root is None:
        return False
    return any(_DAY.match(PurePosixPath(n).name) for n in files.names() if n.startswith(root))


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not a Slack workspace export (users.json, channels.json and "
                                           "<channel>/<YYYY-MM-DD>.json files)")


# -- the workspace --------------------------------------------------------------------------------
def _listed(files: ExportFiles, name: str) -> list[Any]:
    if name not in files.names():
        return []
    data = files.read_json(name)
    if not isinstance(data, list):
        raise SourceError(files.display(name), "not a Slack export list (a JSON array expected)")
    return data


def _workspace(files: ExportFiles, root: str) -> _Workspace:
    space = _Workspace()
    for user in _listed(files, f"{root}users.json"):
        user = as_dict(user)
        if not (uid := clean(user.get("id"))):
            continue
        profile = as_dict(user.get("profile"))
        space.members[uid] = _Member(
            uid, clean(user.get("name")),
            clean(user.get("real_name")) or clean(profile.get("real_name")) or clean(profile.get("display_name")),
            clean(profile.get("email")), bool(user.get("is_bot")) or uid == "USLACKBOT",
            bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")))
        space.team = space.team or clean(user.get("team_id"))
    for listing in LISTS:
        for item in _listed(files, f"{root}{listing}"):
            item = as_dict(item)
            cid = clean(item.get("id"))
            if not cid:
                continue
            folder = cid if listing == "dms.json" else (clean(item.get("name")) or cid)
            members = tuple(m for m in as_list(item.get("members")) if isinstance(m, str))
            space.conversations[folder] = _Conversation(cid, folder, listing in ("dms.json", "mpims.json"), members)
    return space


def _own(space: _Workspace, options: ReadOptions, where: str) -> tuple[Own, AccountInfo]:
    wanted = (options.account or "").strip().lstrip("@")
    if wanted:
        low = wanted.casefold()
        for member in space.members.values():
            if low in {(v or "").casefold() for v in (member.id, member.name, member.real_name, member.email)}:
                return Own(member.id), AccountInfo(PLATFORM, member.id, member.real_name or member.name, member.id,
                                                   member.name)
        raise SourceError(where, f"--account {wanted!r} is no member of this workspace (give a member's id, "
                          "@name, real name or e-mail as users.json lists them)")
    brand = frozenset(m.id for m in space.members.values() if m.admin and not m.bot)
    if not brand:
        raise SourceError(where, "the workspace names no owner or admin to read it as a brand community; "
                          "pass --account with the member whose relationships to read")
    account = f"workspace:{space.team or 'slack'}"
    return Own(account, brand), AccountInfo(PLATFORM, account, f"Slack workspace {space.team or ''}".strip(), space.team)


# -- messages --------------------------------------------------------------------------------------
def _text(raw: Any, space: _Workspace) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None

    def name(match: re.Match[str]) -> str:
        member = space.members.get(match.group(1))
        return "@" + (match.group(2) or (member.name if member and member.name else match.group(1)))

    return html.unescape(_MENTION.sub(name, raw)).strip() or None


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    root = _root(files)
    if root is None:
        check(files)
        return
    space = _workspace(files, root)
    own, account = _own(space, options, files.display(f"{root}users.json"))
    yield account
    for member in space.members.values():
        if not member.bot and member.id not in own:
            yield PersonInfo(PLATFORM, member.id, member.real_name or member.name, member.email, None, member.name)
    days: dict[str, list[str]] = {}
    for name in files.names():
        if not name.startswith(root):
            continue
        parts = PurePosixPath(name[len(root):]).parts
        if len(parts) == 2 and _DAY.match(parts[1]):
            days.setdefault(parts[0], []).append(name)
    for folder in sorted(days):
        conversation = space.conversations.get(folder) or _Conversation(folder, folder, False)
        authors: dict[str, str] = {}  # ts -> user, for replies whose parent_user_id is missing
        for name in sorted(days[folder]):
            where = files.display(name)
            messages = files.read_json(name)
            if not isinstance(messages, list):
                raise SourceError(where, "not a Slack day file (a JSON array of messages expected)")
            for number, item in enumerate(messages, start=1):
                yield from _message(as_dict(item), number, where, conversation, space, own, authors)


def _message(item: dict[str, Any], number: int, where: str, conversation: _Conversation, space: _Workspace,
             own: Own, authors: dict[str, str]) -> Iterator[Record]:
    record = f"message {number}"
    subtype = clean(item.get("subtype"))
    user = clean(item.get("user"))
    if item.get("type", "message") != "message":
        yield Skipped(where, record, f"not a message ({clean(item.get('type'))})")
        return
    if subtype == "file_comment":
        user = clean(as_dict(item.get("comment")).get("user")) or user
    if subtype == "bot_message" or item.get("bot_id") or (user in space.members and space.members[user].bot):
        yield Skipped(where, record, "bot message" if subtype in MESSAGE_SUBTYPES | {"bot_message"}
                      else f"Slack event ({subtype})")
        return
    if subtype not in MESSAGE_SUBTYPES:
        yield Skipped(where, record, f"Slack event ({subtype})")
        return
    raw_ts = clean(item.get("ts"))
    if not user or not raw_ts:
        yield Rejected(where, record, "a message without a user or ts")
        return
    try:
        ts = from_unix(float(raw_ts))
    except (ValueError, OverflowError, BadTimestamp):
        yield Rejected(where, record, f"unreadable ts {raw_ts!r}")
        return
    authors[raw_ts] = user
    thread_ts = clean(item.get("thread_ts"))
    is_reply = bool(thread_ts and thread_ts != raw_ts)
    parent_user = (clean(item.get("parent_user_id")) or authors.get(thread_ts or "")) if is_reply else None
    member = space.members.get(user)
    msg_id = f"{conversation.id}:{raw_ts}"
    mentions = tuple(m.group(1) for m in _MENTION.finditer(str(item.get("text") or "")))
    yield from message_records(PLATFORM, own, ChatMessage(
        id=msg_id, ts=ts, sender=user, conversation=conversation.id, direct=conversation.direct,
        text=_text(item.get("text"), space), sender_name=member.real_name or member.name if member else None,
        participants=conversation.members, reply_to_id=f"{conversation.id}:{thread_ts}" if is_reply else None,
        reply_to_sender=parent_user, mentions=mentions,
        thread=f"{conversation.id}:{thread_ts}" if thread_ts else None))
    for reaction in as_list(item.get("reactions")):
        reaction = as_dict(reaction)
        for reactor in as_list(reaction.get("users")):
            if isinstance(reactor, str) and (like := reaction_record(
                    PLATFORM, own, reactor, user, msg_id, ts, clean(reaction.get("name")))):
                yield like
