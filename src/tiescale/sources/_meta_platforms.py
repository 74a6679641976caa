"""Meta Platforms' "Download your information" exports: what Facebook's and Instagram's share.

Both platforms write the same JSON family: message threads in ``messages/inbox/<thread>/
message_N.json``, ``*_v2`` lists with unix-second ``timestamp`` fields, and every string
escaped as if its UTF-8 bytes were latin-1 (``"\\u00c3\\u00b8"`` for ``ø``), repaired here.

Neither export carries ids for messages, comments or posts, nor ids for people in message
threads: a person in a thread is the name the export shows. Ids are therefore built from
what does not change between two exports of the same account (thread, time, sender, text).
Cleaners for any export's values (``clean``, ``as_dict``, ``digest``...) are :mod:`._values`.
"""
from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any
from collections.abc import Iterable, Iterator

from ..records import Interaction, Record, Rejected, SourceError
from ..timeparse import BadTimestamp, parse_ts
from ._files import ExportFiles
from ._text import fix_mojibake
from ._values import clean, is_empty

UTC = timezone.utc
#: Folders that hold one sub-folder per message thread.
THREAD_FOLDERS = {"inbox", "archived_threads", "filtered_threads", "message_requests", "e2ee_cutover"}
_MESSAGE_FILE = re.compile(r"^message_\d+\.json$", re.IGNORECASE)
#: Message types that are notices from the platform, not something a person sent.
_SYSTEM_TYPES = {"subscribe", "unsubscribe"}


# -- members -----------------------------------------------------------------------------------
def base(name: str) -> str:
    return PurePosixPath(name).name.lower()


def folders(name: str) -> list[str]:
    return [p.lower() for p in PurePosixPath(name).parts[:-1]]


def single_file(files: ExportFiles) -> bool:
    """The user gave one file, not a folder or a zip."""
    return files.path.is_file() and not zipfile.is_zipfile(files.path)


#: Names only one of the two platforms uses: they tell the exports apart (neither claims a mix).
_FB_FOLDERS = {"your_facebook_activity", "comments_and_reactions"}
_FB_FILES = re.compile(
    r"^(profile_information|your_posts_in_groups|your_posts(__check_ins__photos_and_videos)?_\d+)\.json$")
IG_FOLDERS = {"your_instagram_activity", "followers_and_following"}
_IG_FILES = re.compile(r"^(personal_information|following|liked_posts|reels_comments|followers_\d+|"
                       r"post_comments(_\d+)?|instagram_.*)\.json$")


def facebook_marker(name: str) -> bool:
    return bool(_FB_FILES.match(base(name))) or bool(_FB_FOLDERS & set(folders(name)))


def instagram_marker(name: str) -> bool:
    return bool(_IG_FILES.match(base(name))) or bool(IG_FOLDERS & set(folders(name)))


def under_instagram(name: str) -> bool:
    return bool(IG_FOLDERS & set(folders(name)))


def under_facebook(name: str) -> bool:
    return bool(_FB_FOLDERS & set(folders(name)))


def is_message_file(name: str, single: bool = False) -> bool:
    parts = folders(name)
    if not _MESSAGE_FILE.match(base(name)):
        return False
    return single or (len(parts) >= 2 and parts[-2] in THREAD_FOLDERS)


def json_members(files: ExportFiles) -> list[str]:
    return [n for n in files.names() if n.lower().endswith(".json")]


def load(files: ExportFiles, name: str) -> Any:
    """A member's JSON with Meta's mojibake repaired; malformed JSON is a :class:`SourceError`."""
    return fix_mojibake(files.read_json(name))


def wrong_shape(files: ExportFiles, name: str, expected: str) -> SourceError:
    return SourceError(files.display(name), f"unexpected shape: expected {expected}")


def list_under(files: ExportFiles, name: str, data: Any, keys: Iterable[str]) -> list[Any]:
    """The item list of a ``{"<key>": [...]}`` document (or a bare list); ``[]`` when empty."""
    if is_empty(data):
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in keys:
            items = data.get(key)
            if isinstance(items, list):
                return items
    raise wrong_shape(files, name, "a list under " + " or ".join(repr(k) for k in keys))


def timestamp(value: Any) -> datetime | None:
    """A unix time (seconds or ms) as a datetime; ``None`` when absent, zero or unreadable."""
    if value in (None, "", 0, "0") or isinstance(value, bool):
        return None
    try:
        return parse_ts(value)
    except BadTimestamp:
        return None


def member_time(files: ExportFiles, name: str) -> datetime | None:
    """When a member was written: its zip entry time, else the file's modification time."""
    return files.mtime(name)


# -- the own account ---------------------------------------------------------------------------
def thread_participants(data: Any) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("participants"), list):
        return []
    names = []
    for p in data["participants"]:
        name = clean(p.get("name")) if isinstance(p, dict) else clean(p)
        if name and name not in names:
            names.append(name)
    return names


def common_participant(files: ExportFiles, members: list[str]) -> str | None:
    """The one name found in every message thread (the account itself), if there is exactly one."""
    common: set[str] | None = None
    for name in members:
        names = set(thread_participants(load(files, name)))
        if names:
            common = names if common is None else common & names
    return next(iter(common)) if common and len(common) == 1 else None


def need_account(account: str | None, files: ExportFiles) -> str:
    if not account:
        raise SourceError(str(files.path), "cannot tell the own account; pass --account")
    return account


# -- message threads ---------------------------------------------------------------------------
def read_thread(
    files: ExportFiles, name: str, platform: str, account: str | None, own_names: set[str],
) -> Iterator[Record]:
    """One ``message_N.json``: each message is a ``dm``, ``out`` when the account sent it.

    An outgoing message is one interaction per other participant (same id); reactions are
    not messages and platform notices (joined / left the group) are skipped.
    """
    display = files.display(name)
    data = load(files, name)
    if is_empty(data):
        return
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise wrong_shape(files, name, "a message thread (an object with a 'messages' list)")
    account = need_account(account, files)
    thread = clean(data.get("thread_path")) or "/".join(PurePosixPath(name).parts[-3:-1])
    others = [p for p in thread_participants(data) if p not in own_names]
    for number, message in enumerate(data["messages"], 1):
        ref = f"message {number}"
        if not isinstance(message, dict):
            yield Rejected(display, ref, "not a JSON object")
            continue
        if str(message.get("type", "")).lower() in _SYSTEM_TYPES:
            continue
        sender = clean(message.get("sender_name"))
        raw_ts = message.get("timestamp_ms")
        ts = timestamp(raw_ts)
        if sender is None:
            yield Rejected(display, ref, "no sender_name")
            continue
        if ts is None:
            yield Rejected(display, ref, f"no readable timestamp_ms ({str(raw_ts)[:40]!r})")
            continue
        content = message.get("content")
        text = content if isinstance(content, str) and content else None
        item_id = f"{thread}:{raw_ts}:{sender}"
        if sender in own_names:
            if not others:
                yield Rejected(display, ref, "sent by the account, but the thread names no other participant")
            for person in others:
                yield Interaction(ts, platform, account, person, "out", "dm", item_id, text,
                                  thread=thread, person_name=person)
        else:
            yield Interaction(ts, platform, account, sender, "in", "dm", item_id, text,
                              thread=thread, person_name=sender)


# -- "X commented on Y's post." ----------------------------------------------------------------
_NOUNS_EN = ("post|photo|video|comment|reply|link|status|album|story|reel|note|event|memory|"
             "check-in|life event|cover photo|profile picture|live video|photos|videos")
_NOUNS_DA = ("opslag|billede|billeder|link|video|kommentar|svar|slå op|status|album|begivenhed|"
             "livsbegivenhed|profilbillede|forsidebillede|note")
#: English and Danish (the real sample) wordings; other languages still give the comment as a
#: Post, only without the person it went to.
_TARGET_PATTERNS = (
    re.compile(r"^(?:commented on|replied to|likes|liked|reacted to|reacted \S+ to) (?P<name>.+?)(?:'s|') "
               rf"(?:{_NOUNS_EN})\b"),
    re.compile(r"^(?:har kommenteret|har svaret på|svarede på|synes godt om|syntes godt om|reagerede på|"
               rf"har reageret på) (?P<name>.+?)(?:s|') (?:{_NOUNS_DA})\b"),
)
_NOT_A_NAME = {"his", "her", "their", "your", "a", "an", "the", "sit", "sin", "sine", "et", "en", "din",
               "dit", "hans", "hendes", "deres"}


def title_target(title: Any, own_names: set[str]) -> str | None:
    """The other person named in an activity title written about the account, if any."""
    text = clean(title)
    if text is None:
        return None
    for own in sorted(own_names, key=len, reverse=True):
        if text.startswith(own + " "):
            rest = text[len(own) + 1:]
            break
    else:
        return None
    for pattern in _TARGET_PATTERNS:
        match = pattern.match(rest)
        if match:
            name = match.group("name").strip()
            words = name.lower().split()
            if not words or words[0] in _NOT_A_NAME or len(name) > 100 or name in own_names:
                return None
            return name
    return None
