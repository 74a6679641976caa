"""X (Twitter) "Download an archive of your data", zipped or unpacked, old or new layout.

Data files are ``window.YTD.<name>.partN = [ ... ]`` (manifest: ``window.__THAR_CONFIG = {...}``):
``tweet.js`` / ``direct-message.js`` (old), ``tweets.js`` / ``direct-messages.js`` (new), ``-partN``
parts, below a top folder or not, and follower lists renamed ``twitter-<date>-<x>_follower.js``.

The own account is keyed by its numeric id (names change; DMs and follower lists carry only ids):
from account.js, else manifest.js ``userInfo``, else a numeric ``--account``, else detected (the
one ``user_id`` of all tweet headers, which list only the owner's tweets; else the one id in every
1:1 DM conversation id). People are numeric ids, with ``PersonInfo`` giving @name and name.

- Own tweets -> ``Post`` (repost ``RT @x:``, reply, quote, post) and out/reply to the replied-to
  user, out/mention per other mention, out/repost, out/quote (``quoted_status_id_str``, or a status
  permalink ending the text, as archives show quotes). An author known only by @name is resolved
  through the ids the archive pairs with names; if it cannot be, that interaction is ``Skipped``
  (counted and listed in the import log, not an error: the post itself is imported).
- DMs -> dm in/out; a group message goes out to every other participant the conversation lists.
- Likes -> out/like with ``ts=None`` (no time in the archive), author from the archive itself (our
  reply to that tweet, or ``/name/status/`` in its URL). Newer archives give ``/i/web/status/<id>``
  only: such a like is ``Skipped`` ("like without a known author"), counted, never guessed.
- Follower / following lists -> ``FollowEdge`` snapshots at the file name's date, else the
  manifest's ``generationDate``, else a date in the path, else the file's mtime (a guess).

Not imported: deleted tweets (removed by the owner), later versions of an edited tweet (the same
touchpoint), tweet headers beyond owner detection (no text or target), self-replies, self-mentions,
likes of own tweets and notes to self (no other person), DM reactions (not messages), the rest.
"""
from __future__ import annotations

import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any, NamedTuple
from collections.abc import Iterator

from ..records import (
    AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Record, Rejected, Skipped, SourceError,
)
from ..timeparse import BadTimestamp, parse_ts
from .contract import ReadOptions
from ._files import ExportFiles
from ._text import unescape

FORMAT = "x-archive"
PLATFORM = "x"

_MEMBER = re.compile(r"^(?:twitter-(\d{4}-\d{2}-\d{2})-[^_/]*_)?([a-z_-]+?)(?:-part\d+)?\.js$")
_YTD = re.compile(r"\s*window\.YTD\.[A-Za-z0-9_]+\.part\d+\s*=\s*")
_THAR = re.compile(r"\s*window\.__THAR_CONFIG\s*=\s*")
_PATH_DATE = re.compile(r"twitter-(\d{4}-\d{2}-\d{2})")
_RT = re.compile(r"^RT @([A-Za-z0-9_]{1,50}):")
_STATUS_URL = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,50})/status(?:es)?/([0-9]+)")
TWEETS = ("tweets", "tweet")
#: Older archives (2019-2020) name the DM files in the singular.
ALIASES = {"direct-message": "direct-messages", "direct-message-group": "direct-messages-group"}
DETECT_KINDS = {"tweets", "tweet", "tweet-headers", "direct-messages", "direct-messages-group", "follower",
                "following", "like", "manifest", "account"}
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\r\n]*")


class _Member(NamedTuple):
    name: str
    kind: str
    date: str | None  # the date in a renamed snapshot file's name


@dataclass(slots=True)
class _Owner:
    id: str
    username: str | None = None
    name: str | None = None


@dataclass(slots=True)
class _Context:
    owner: _Owner
    people: dict[str, tuple[datetime, str | None, str | None]] = field(default_factory=dict)
    authors: dict[str, str] = field(default_factory=dict)  # status id -> author id
    #: reposts and quotes whose other party is known only by @name until every tweet is read:
    #: (file, tweet, kind, @name, quoted status id)
    pending: list[tuple[str, _Tweet, str, str, str | None]] = field(default_factory=list)

    def remember(self, person: str, ts: datetime, username: str | None, name: str | None) -> None:
        """Keep the newest @name and name seen for a person (names change), filling gaps from older ones."""
        known = self.people.get(person)
        if known is None:
            self.people[person] = (ts, username, name)
        elif ts >= known[0]:
            self.people[person] = (ts, username or known[1], name or known[2])
        elif not (known[1] and known[2]):
            self.people[person] = (known[0], known[1] or username, known[2] or name)

    def by_name(self) -> dict[str, str]:
        """@name -> id (where two ids had one @name, the one seen with it last)."""
        ordered = sorted(self.people.items(), key=lambda item: item[1][0])
        names = {username.lower(): person for person, (_, username, _) in ordered if username}
        if self.owner.username:
            names[self.owner.username.lower()] = self.owner.id
        return names


# -- members and files ------------------------------------------------------------------------
def _members(files: ExportFiles) -> list[_Member]:
    found = []
    for name in files.names():
        path = PurePosixPath(name)
        if "assets" in path.parts[:-1]:  # the archive viewer's own scripts
            continue
        match = _MEMBER.match(path.name.lower())
        if match:
            found.append(_Member(name, ALIASES.get(match.group(2), match.group(2)), match.group(1)))
    return found


def _of(members: list[_Member], *kinds: str) -> list[_Member]:
    return [m for m in members if m.kind in kinds]


def _starts_like_archive(files: ExportFiles, member: _Member) -> bool:
    try:
        with files.open_binary(member.name) as handle:
            head = handle.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    except Exception:  # noqa: BLE001 - an unreadable member is simply not evidence of this format
        return False
    return head.startswith(b"window.YTD.") or (member.kind == "manifest" and head.startswith(b"window.__THAR_CONFIG"))


def _js(files: ExportFiles, name: str, prefix: re.Pattern[str], what: str) -> tuple[str, int, str]:
    """A member's text, where its JSON starts after the assignment, and its display name."""
    display = files.display(name)
    try:
        text = files.read_text(name)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # ExportFiles lets these through
        raise SourceError(display, f"damaged zip member ({exc})") from None
    if (match := prefix.match(text)) is None:
        raise SourceError(display, f"not an X archive data file: it does not start with '{what} = '", "line 1")
    return text, match.end(), display


def _load(files: ExportFiles, name: str) -> Iterator[Any]:
    """The items of the array after ``window.YTD.<name>.partN =``, decoded one at a time, so a
    large tweets.js is never held parsed in full. A malformed file raises SourceError where it
    breaks (the import is one transaction, so nothing of it lands)."""
    text, pos, display = _js(files, name, _YTD, "window.YTD.<name>.partN")
    if not text.startswith("[", pos):
        raise SourceError(display, "expected a JSON array after the window.YTD assignment", _line(text, pos))
    pos = _skip(text, pos + 1)
    while not text.startswith("]", pos):
        value, pos = _decode(text, pos, display)
        yield value
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif not text.startswith("]", pos):
            where = "the file ends" if pos >= len(text) else "column " + str(pos - text.rfind(chr(10), 0, pos))
            raise SourceError(display, f"malformed JSON: Expecting ',' delimiter ({where})", _line(text, pos))
    _end(text, pos + 1, display)


def _skip(text: str, pos: int) -> int:
    """The position after the JSON whitespace at ``pos``."""
    match = _WS.match(text, pos)
    assert match is not None, "a starred pattern matches everywhere, if only the empty string"
    return match.end()


def _line(text: str, pos: int) -> str:
    return f"line {text.count(chr(10), 0, pos) + 1}"


def _end(text: str, pos: int, display: str) -> None:
    if text[pos:].strip(" \t\r\n;"):
        raise SourceError(display, "unexpected text after the JSON value", _line(text, pos))


def _decode(text: str, pos: int, display: str) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise SourceError(display, f"malformed JSON: {exc.msg} (column {exc.colno})", f"line {exc.lineno}") from None
    except RecursionError:
        raise SourceError(display, "JSON nested too deeply", _line(text, pos)) from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise SourceError(display, f"malformed JSON: {str(exc)[:120]}", _line(text, pos)) from None


def _manifests(files: ExportFiles, members: list[_Member]) -> dict[str, dict[str, Any]]:
    """Each manifest.js (``window.__THAR_CONFIG = {...}``) by its folder: a list is dated by its own."""
    found = {}
    for member in _of(members, "manifest"):
        text, pos, display = _js(files, member.name, _THAR, "window.__THAR_CONFIG")
        value, end = _decode(text, pos, display)
        _end(text, end, display)
        if isinstance(value, dict):
            found[str(PurePosixPath(member.name).parent)] = value
    return found


# -- the own account ---------------------------------------------------------------------------
def _text(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def _user_id(value: object) -> str | None:
    """A numeric X id as a string (ASCII digits only), else ``None``."""
    text = _text(value)
    return text if text and text.isascii() and text.isdigit() else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _get(value: object, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _owner(files: ExportFiles, members: list[_Member], manifests: dict[str, dict[str, Any]],
           options: ReadOptions) -> _Owner:
    for member in _of(members, "account"):
        for item in _load(files, member.name):
            account = _dict(_get(item, "account"))
            if found := _user_id(account.get("accountId")):
                return _Owner(found, _text(account.get("username")), _text(account.get("accountDisplayName")))
    for manifest in manifests.values():
        info = _dict(manifest.get("userInfo"))
        if found := _user_id(info.get("accountId")):
            return _Owner(found, _text(info.get("userName")), _text(info.get("displayName")))
    given = (options.account or "").strip().lstrip("@") or None
    if given and _user_id(given):
        return _Owner(given)
    if detected := _detected_owner(files, members):
        return _Owner(detected, username=given)
    if given:
        raise SourceError(str(files.path), f"--account {options.account!r} is not a numeric X account id and the "
                          "archive does not give its id; pass --account with accountId from account.js")
    raise SourceError(str(files.path), "cannot tell the own account; pass --account")


def _detected_owner(files: ExportFiles, members: list[_Member]) -> str | None:
    """tweet-headers.js lists only the owner's tweets, so one shared ``user_id`` is the owner's;
    else a 1:1 DM conversation id is ``<id>-<id>``, so the one id in all of them is."""
    headers = {_user_id(_get(_get(item, "tweet"), "user_id"))
               for member in _of(members, "tweet-headers") for item in _load(files, member.name)} - {None}
    if len(headers) == 1:
        return headers.pop()
    pairs = [set(str(_get(_get(item, "dmConversation"), "conversationId")).split("-"))
             for member in _of(members, "direct-messages") for item in _load(files, member.name)]
    common = set.intersection(*pairs) if pairs else set()
    return _user_id(common.pop()) if len(common) == 1 else None


# -- detect / check / read ------------------------------------------------------------------------
def detect(files: ExportFiles) -> bool:
    candidates = [m for m in _members(files) if m.kind in DETECT_KINDS][:4]
    return any(_starts_like_archive(files, m) for m in candidates)


def check(files: ExportFiles) -> None:
    if not detect(files):
        raise SourceError(str(files.path), "not an X archive: no data file such as data/tweets.js, "
                          "direct-messages.js or follower.js starting with 'window.YTD.' was found")


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    members = _members(files)
    manifests = _manifests(files, members)
    ctx = _Context(_owner(files, members, manifests, options))
    yield AccountInfo(PLATFORM, ctx.owner.id, ctx.owner.name, ctx.owner.id, ctx.owner.username)
    for member in _of(members, *TWEETS):
        yield from _read_tweets(files, member.name, ctx)
    yield from _resolve_pending(ctx)
    for member in _of(members, "direct-messages", "direct-messages-group"):
        yield from _read_dms(files, member.name, ctx, group=member.kind == "direct-messages-group")
    for member in _of(members, "like"):
        yield from _read_likes(files, member.name, ctx)
    for member in _of(members, "follower", "following"):
        yield from _read_follows(files, member, manifests, ctx.owner.id)
    for person, (_, username, name) in ctx.people.items():
        if person != ctx.owner.id:
            yield PersonInfo(PLATFORM, person, display_name=name, username=username)


# -- tweets ---------------------------------------------------------------------------------------
def _read_tweets(files: ExportFiles, name: str, ctx: _Context) -> Iterator[Record]:
    display = files.display(name)
    for number, item in enumerate(_load(files, name), 1):
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(tweet, dict):
            yield Rejected(display, f"item {number}", "not a tweet object")
            continue
        yield from _tweet_records(tweet, display, number, ctx)


def _count(value: object) -> int | None:
    text = _user_id(value)
    return int(text) if text and len(text) < 19 else None


def _is_later_edit(tweet: dict[str, Any], tweet_id: str) -> bool:
    edit = _dict(tweet.get("edit_info")).get("edit")
    return isinstance(edit, dict) and _text(edit.get("initialTweetId")) not in (None, tweet_id)


def _mentions(tweet: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    found = []
    for mention in _list(_dict(tweet.get("entities")).get("user_mentions")):
        if isinstance(mention, dict) and (person := _user_id(mention.get("id_str") or mention.get("id"))):
            found.append((person, _text(mention.get("screen_name")), _text(mention.get("name"))))
    return found


def _quoted(tweet: dict[str, Any], text: str | None) -> tuple[str | None, str | None, str | None]:
    """(quoted status id, author id if given, author @name if given), or three ``None``."""
    quoted_id = _user_id(tweet.get("quoted_status_id_str"))
    user = _dict(_dict(tweet.get("quoted_status")).get("user"))
    author = _user_id(user.get("id_str"))
    for url in reversed(_list(_dict(tweet.get("entities")).get("urls"))):
        match = _STATUS_URL.match(_text(url.get("expanded_url")) or "") if isinstance(url, dict) else None
        if match is None:
            continue
        ends_text = bool(text and _text(url.get("url")) and text.rstrip().endswith(_text(url.get("url")) or ""))
        if match.group(2) == quoted_id or (quoted_id is None and ends_text):
            return match.group(2), author, match.group(1)
    if quoted_id:
        return quoted_id, author, _text(user.get("screen_name"))
    return None, None, None


@dataclass(slots=True)
class _Tweet:
    id: str
    ts: datetime
    text: str | None
    reply_user: str | None
    reply_status: str | None
    mentions: list[tuple[str, str | None, str | None]]

    def out(self, owner: str, person: str, kind: str, in_reply_to: str | None, thread: str | None) -> Interaction:
        return Interaction(self.ts, PLATFORM, owner, person, "out", kind, self.id, self.text, in_reply_to, thread)

    def mentioned(self, screen_name: str | None) -> str | None:
        wanted = (screen_name or "").lower()
        return next((p for p, u, _ in self.mentions if wanted and u and u.lower() == wanted), None)


def _tweet_records(raw: dict[str, Any], display: str, number: int, ctx: _Context) -> Iterator[Record]:
    tweet_id = _user_id(raw.get("id_str") or raw.get("id"))
    if tweet_id is None:
        yield Rejected(display, f"item {number}", "tweet without an id_str")
        return
    if _is_later_edit(raw, tweet_id):
        return
    try:
        ts = parse_ts(raw.get("created_at"))
    except BadTimestamp as exc:
        yield Rejected(display, f"tweet {tweet_id}", str(exc))
        return
    tweet = _Tweet(tweet_id, ts, unescape(_text(raw.get("full_text")) or _text(raw.get("text"))),
                   _user_id(raw.get("in_reply_to_user_id_str") or raw.get("in_reply_to_user_id")),
                   _user_id(raw.get("in_reply_to_status_id_str") or raw.get("in_reply_to_status_id")), _mentions(raw))
    _learn(tweet, _text(raw.get("in_reply_to_screen_name")), ctx)
    retweet = _RT.match(tweet.text or "")
    quoted = (None, None, None) if retweet else _quoted(raw, tweet.text)
    kind = "repost" if retweet else "reply" if (tweet.reply_user or tweet.reply_status) else \
        "quote" if quoted[0] else "post"
    thread = _text(raw.get("conversation_id_str")) or tweet.reply_status
    yield Post(ts, PLATFORM, ctx.owner.id, tweet_id, kind, tweet.text, tweet.reply_status, thread,
               f"https://x.com/{ctx.owner.username or 'i/web'}/status/{tweet_id}",
               likes=_count(raw.get("favorite_count")), reposts=_count(raw.get("retweet_count")))
    if retweet:
        yield from _repost(tweet, retweet.group(1), display, ctx)
    else:
        yield from _tweet_interactions(tweet, quoted, thread, display, ctx)


def _learn(tweet: _Tweet, reply_name: str | None, ctx: _Context) -> None:
    """What a tweet tells about people: @names and names, and who wrote the tweet it answers."""
    for person, username, name in tweet.mentions:
        ctx.remember(person, tweet.ts, username, name)
    if tweet.reply_user:
        ctx.remember(tweet.reply_user, tweet.ts, reply_name, None)
        if tweet.reply_status:
            ctx.authors[tweet.reply_status] = tweet.reply_user
    ctx.authors[tweet.id] = ctx.owner.id


def _repost(tweet: _Tweet, screen_name: str, display: str, ctx: _Context) -> Iterator[Record]:
    """``RT @x:``: one repost of x; the mentions inside are x's, not the account's."""
    target = tweet.mentioned(screen_name)
    if target is None:
        ctx.pending.append((display, tweet, "repost", screen_name, None))
    elif target != ctx.owner.id:
        yield tweet.out(ctx.owner.id, target, "repost", None, None)


def _tweet_interactions(tweet: _Tweet, quoted: tuple[str | None, str | None, str | None], thread: str | None,
                        display: str, ctx: _Context) -> Iterator[Record]:
    """One interaction per other person: the reply target, the quoted author, then the mentioned."""
    owner = ctx.owner.id
    done = {owner}
    if tweet.reply_user and tweet.reply_user not in done:
        done.add(tweet.reply_user)
        yield tweet.out(owner, tweet.reply_user, "reply", tweet.reply_status, thread)
    quoted_id, author, quoted_name = quoted
    author = author or tweet.mentioned(quoted_name)
    if quoted_id and author:
        ctx.authors[quoted_id] = author
        if author not in done:
            done.add(author)
            yield tweet.out(owner, author, "quote", quoted_id, None)
    elif quoted_id and quoted_name:
        ctx.pending.append((display, tweet, "quote", quoted_name, quoted_id))
    for person, _, _ in tweet.mentions:
        if person not in done:
            done.add(person)
            yield tweet.out(owner, person, "mention", tweet.reply_status, thread)


def _resolve_pending(ctx: _Context) -> Iterator[Record]:
    """Reposts and quotes of someone known only by @name: resolved through the whole archive."""
    names = ctx.by_name()
    for display, tweet, kind, screen_name, quoted_id in ctx.pending:
        person = names.get(screen_name.lower())
        if person is None:
            yield Skipped(display, f"tweet {tweet.id}", f"{kind} of @{screen_name}: the archive gives no account "
                          f"id for that name (the post is imported, the {kind} is not)")
            continue
        if quoted_id:
            ctx.authors[quoted_id] = person
        if person != ctx.owner.id:
            yield tweet.out(ctx.owner.id, person, kind, quoted_id, None)
    ctx.pending.clear()


# -- direct messages --------------------------------------------------------------------------------
def _read_dms(files: ExportFiles, name: str, ctx: _Context, group: bool) -> Iterator[Record]:
    display = files.display(name)
    for number, item in enumerate(_load(files, name), 1):
        conversation = _dict(_get(item, "dmConversation"))
        messages = conversation.get("messages")
        if not isinstance(messages, list):
            yield Rejected(display, f"item {number}", "not a dmConversation with a list of messages")
            continue
        thread = _text(conversation.get("conversationId"))
        others = _participants(messages, thread, group) - {ctx.owner.id}
        for index, message in enumerate(messages, 1):
            create = _get(message, "messageCreate")
            if isinstance(create, dict):  # joins, leaves, renames and reactions are not messages
                yield from _dm_records(create, display, f"item {number} message {index}", thread, others, group, ctx)


def _participants(messages: list[Any], thread: str | None, group: bool) -> set[str]:
    """Everyone a conversation lists: the two ids of a 1:1 conversation id; a group's joins and senders."""
    if not group:
        return {p for p in map(_user_id, (thread or "").split("-")) if p}
    events = [e for m in messages if isinstance(m, dict) for e in m.values() if isinstance(e, dict)]
    ids = [p for e in events for key in ("participantsSnapshot", "userIds") for p in _list(e.get(key))]
    ids += [e.get(key) for e in events for key in ("senderId", "initiatingUserId")]
    return {p for p in map(_user_id, ids) if p}


def _dm_records(create: dict[str, Any], display: str, ref: str, thread: str | None, others: set[str],
                group: bool, ctx: _Context) -> Iterator[Record]:
    message_id = _text(create.get("id"))
    ref = f"message {message_id}" if message_id else ref
    sender = _user_id(create.get("senderId"))
    if sender is None or message_id is None:
        yield Rejected(display, ref, "message without a senderId or id")
        return
    try:
        ts = parse_ts(create.get("createdAt"))
    except BadTimestamp as exc:
        yield Rejected(display, ref, str(exc))
        return
    text = unescape(_text(create.get("text")))
    if sender != ctx.owner.id:
        yield Interaction(ts, PLATFORM, ctx.owner.id, sender, "in", "dm", message_id, text, None, thread)
        return
    recipient = None if group else _user_id(create.get("recipientId"))
    recipients = [recipient] if recipient else sorted(others)
    if not recipients:
        what = "group message whose other participants" if group else "message whose recipient"
        yield Rejected(display, ref, f"{what} the archive does not list")
    for person in recipients:
        if person != ctx.owner.id:  # a note to self is no touchpoint
            yield Interaction(ts, PLATFORM, ctx.owner.id, person, "out", "dm", message_id, text, None, thread)


# -- likes ----------------------------------------------------------------------------------------
def _read_likes(files: ExportFiles, name: str, ctx: _Context) -> Iterator[Record]:
    display = files.display(name)
    names = ctx.by_name()
    for number, item in enumerate(_load(files, name), 1):
        like = _dict(_get(item, "like"))
        tweet_id = _user_id(like.get("tweetId"))
        if tweet_id is None:
            yield Rejected(display, f"item {number}", "like without a tweetId")
            continue
        match = _STATUS_URL.match(_text(like.get("expandedUrl")) or "")
        author = ctx.authors.get(tweet_id) or (names.get(match.group(1).lower()) if match else None)
        if not author:
            yield Skipped(display, f"like {tweet_id}", "like without a known author: the archive does not say "
                          "who wrote the liked tweet")
        elif author != ctx.owner.id:
            yield Interaction(None, PLATFORM, ctx.owner.id, author, "out", "like", tweet_id,
                              unescape(_text(like.get("fullText"))))


# -- follower and following lists ------------------------------------------------------------------
def _snapshot_at(files: ExportFiles, member: _Member, manifests: dict[str, dict[str, Any]]) -> datetime:
    """The file name's date, else the manifest's generationDate, else a date in the path, else the mtime."""
    info = _dict(manifests.get(str(PurePosixPath(member.name).parent), {}).get("archiveInfo"))
    path_date = _PATH_DATE.search(files.display(member.name))
    for value in (member.date, info.get("generationDate"), path_date.group(1) if path_date else None):
        try:
            return parse_ts(value)
        except BadTimestamp:
            continue
    # No date anywhere in the export: the file's modification time is the best left.
    local = files.path / member.name if files.path.is_dir() else files.path
    return datetime.fromtimestamp(local.stat().st_mtime, tz=timezone.utc)


def _read_follows(files: ExportFiles, member: _Member, manifests: dict[str, dict[str, Any]],
                  owner: str) -> Iterator[Record]:
    display = files.display(member.name)
    items = _load(files, member.name)
    snapshot_at = _snapshot_at(files, member, manifests)
    for number, item in enumerate(items, 1):
        person = _user_id(_get(_get(item, member.kind), "accountId"))
        if person is None:
            yield Rejected(display, f"item {number}", f"{member.kind} entry without an accountId")
            continue
        yield FollowEdge(PLATFORM, owner, person, member.kind, snapshot_at)
