"""Instagram "Download your information" (JSON).

Reads, by file name wherever they sit (older exports at the top, newer ones under
``your_instagram_activity/``, ``connections/`` and ``personal_information/``):

- ``messages/inbox/<thread>/message_N.json`` -> ``dm`` in / out (same shape as Facebook);
- ``post_comments*.json`` / ``reels_comments.json`` (the ``comments_media_comments`` object or
  the newer list of ``string_map_data``) -> the account's comments as ``Post(kind="comment")``,
  plus ``out``/``comment`` to the media owner when that is someone else;
- ``liked_posts.json`` -> ``out``/``like`` to the owner of the post liked;
- ``posts_N.json`` (and the sample's ``instagram_post.json``/``instagram_media.json``) -> ``Post``;
- ``followers_N.json`` / ``following.json`` -> ``FollowEdge`` snapshots, and, since every entry
  has its own date, an ``in``/``follow`` (follower) or ``out``/``follow`` (following) at that date;
  ``recently_unfollowed_*.json`` -> ``out``/``unfollow`` at its date;
- ``personal_information.json`` -> the own account (``Username``, ``Name``).

People are keyed by @username in comments, likes and follow lists. Message threads name people
by the display name Instagram shows (the export has no usernames there), so a person you both
message and follow can be two identities until merged. A snapshot is dated when the export was
written (the zip entry time or file time), never earlier than its newest entry.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, FollowEdge, Interaction, PersonInfo, Post, Record, Rejected, SourceError
from .contract import ReadOptions
from ._files import ExportFiles
from . import _meta_platforms as meta
from . import _values as values

FORMAT = "instagram"
PLATFORM = "instagram"

_COMMENTS = re.compile(r"^(post_comments(_\d+)?|reels_comments)\.json$")
_POSTS = re.compile(r"^(posts_\d+|instagram_posts?|instagram_media)\.json$")
_FOLLOWERS = re.compile(r"^followers(_\d+)?\.json$")
_UNFOLLOWED = re.compile(r"^recently_unfollowed_(accounts|profiles)\.json$")
#: follow lists: role -> (keys of the list, FollowEdge relation or None, direction, kind, id prefix)
_RELATIONS = {
    "followers": (["relationships_followers"], "follower", "in", "follow", "follower"),
    "following": (["relationships_following"], "following", "out", "follow", "following"),
    "unfollowed": (["relationships_unfollowed_users"], None, "out", "unfollow", "unfollowed"),
}


# -- which export is this -------------------------------------------------------------------
def detect(files: ExportFiles) -> bool:
    names = files.names()
    return any(meta.instagram_marker(n) for n in names) and not any(meta.facebook_marker(n) for n in names)


def check(files: ExportFiles) -> None:
    """Refuse, before anything is written, an export that is not Instagram's."""
    names = files.names()
    instagram = any(meta.instagram_marker(n) for n in names)
    if any(meta.facebook_marker(n) for n in names) and not instagram:
        raise SourceError(str(files.path), "this looks like a Facebook export, not Instagram; use --format facebook")
    if meta.single_file(files):
        if not names[0].lower().endswith(".json"):
            raise SourceError(str(files.path), "not an Instagram export file (a .json file expected)")
        return
    if not instagram and not any(meta.is_message_file(n) for n in names):
        raise SourceError(str(files.path), "not an Instagram export: no messages, comments, posts, followers "
                          "or personal_information.json found")


# -- which member holds what ----------------------------------------------------------------
def _role_by_name(name: str, single: bool) -> str | None:
    b = meta.base(name)
    if meta.under_facebook(name):
        return None
    if meta.is_message_file(name, single):
        return "messages"
    if b == "personal_information.json":
        return "profile"
    if _COMMENTS.match(b):
        return "comments"
    if b == "liked_posts.json":
        return "likes"
    if _POSTS.match(b):
        return "posts"
    if _FOLLOWERS.match(b):
        return "followers"
    if b == "following.json":
        return "following"
    if _UNFOLLOWED.match(b):
        return "unfollowed"
    return None


def _role_by_shape(data: Any) -> str | None:
    """A single file with a name the export would not use: what its content looks like."""
    if values.is_empty(data):
        return "empty"
    if isinstance(data, dict):
        keys = set(data)
        for role, key in (("messages", "messages"), ("profile", "profile_user"), ("likes", "likes_media_likes"),
                          ("following", "relationships_following"), ("followers", "relationships_followers"),
                          ("unfollowed", "relationships_unfollowed_users")):
            if key in keys:
                return role
        if keys & {"comments_media_comments", "comments_reels_comments"}:
            return "comments"
    if isinstance(data, list) and all(isinstance(i, dict) for i in data):
        if all("media" in i for i in data):
            return "posts"
        if all("string_map_data" in i for i in data):
            return "comments"
    return None


def _members(files: ExportFiles) -> dict[str, list[str]]:
    single = meta.single_file(files)
    roles: dict[str, list[str]] = {r: [] for r in (
        "messages", "profile", "comments", "likes", "posts", "followers", "following", "unfollowed")}
    for name in meta.json_members(files):
        role = _role_by_name(name, single)
        if role is None and single:
            role = _role_by_shape(meta.load(files, name))
            if role is None:
                raise SourceError(files.display(name), "not an Instagram export file: no messages, comments, "
                                  "posts, follow lists or profile in it")
        if role in roles:
            roles[role].append(name)
    return roles


# -- reading ----------------------------------------------------------------------------------
def _map_value(entry: dict[str, Any], key: str, field: str = "value") -> Any:
    return values.as_dict(values.as_dict(entry.get("string_map_data")).get(key)).get(field)


def _profile(files: ExportFiles, members: list[str]) -> tuple[str | None, str | None]:
    for name in members:
        data = meta.load(files, name)
        if values.is_empty(data):
            continue
        users = data.get("profile_user") if isinstance(data, dict) else None
        entry = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
        username = values.clean(_map_value(entry, "Username"))
        if not username:
            raise meta.wrong_shape(files, name, "profile_user[0].string_map_data.Username")
        return username, values.clean(_map_value(entry, "Name"))
    return None, None


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    roles = _members(files)
    username, display_name = _profile(files, roles["profile"])
    if username:
        account: str | None = username
        yield AccountInfo(PLATFORM, username, display_name=display_name)
        own = {username} | ({display_name} if display_name else set())
    else:
        account = options.account
        common = meta.common_participant(files, roles["messages"]) if roles["messages"] else None
        account = account or common
        own = {n for n in (account, common) if n}
    for name in roles["messages"]:
        yield from meta.read_thread(files, name, PLATFORM, account, own)
    for name in roles["comments"]:
        yield from _read_comments(files, name, account)
    for name in roles["likes"]:
        yield from _read_likes(files, name, account)
    for name in roles["posts"]:
        yield from _read_posts(files, name, account)
    follow_files = [(role, n) for role in _RELATIONS for n in roles[role]]
    if follow_files:
        yield from _read_follows(files, follow_files, account)


def _comment_fields(entry: dict[str, Any]) -> tuple[Any, Any, str | None]:
    """(text, raw timestamp, media owner) of either comment shape."""
    if "string_map_data" in entry:
        return (_map_value(entry, "Comment"), _map_value(entry, "Time", "timestamp"),
                values.clean(_map_value(entry, "Media Owner")))
    first = values.first_dict(entry.get("string_list_data"))
    return first.get("value"), first.get("timestamp"), values.clean(entry.get("title"))


def _read_comments(files: ExportFiles, name: str, account: str | None) -> Iterator[Record]:
    display = files.display(name)
    data = meta.load(files, name)
    items = meta.list_under(files, name, data, ["comments_media_comments", "comments_reels_comments"])
    for number, entry in enumerate(items, 1):
        ref = f"comment {number}"
        if not isinstance(entry, dict):
            yield Rejected(display, ref, "not a JSON object")
            continue
        text, raw_ts, owner = _comment_fields(entry)
        ts = meta.timestamp(raw_ts)
        if ts is None:
            yield Rejected(display, ref, f"no readable timestamp ({str(raw_ts)[:40]!r})")
            continue
        account = meta.need_account(account, files)
        text = text if isinstance(text, str) and text else None
        post_id = f"comment:{raw_ts}:{values.digest(text, owner)}"
        yield Post(ts, PLATFORM, account, post_id, kind="comment", text=text)
        if owner and owner != account:
            yield Interaction(ts, PLATFORM, account, owner, "out", "comment", post_id, text)


def _read_likes(files: ExportFiles, name: str, account: str | None) -> Iterator[Record]:
    display = files.display(name)
    items = meta.list_under(files, name, meta.load(files, name), ["likes_media_likes"])
    for number, entry in enumerate(items, 1):
        first = values.first_dict(values.as_dict(entry).get("string_list_data"))
        owner = values.clean(values.as_dict(entry).get("title"))
        ts = meta.timestamp(first.get("timestamp"))
        if not owner or ts is None:
            yield Rejected(display, f"like {number}", "no post owner or no readable timestamp")
            continue
        account = meta.need_account(account, files)
        if owner != account:
            item_id = f"like:{values.clean(first.get('href')) or first.get('timestamp')}"
            yield Interaction(ts, PLATFORM, account, owner, "out", "like", item_id)


def _read_posts(files: ExportFiles, name: str, account: str | None) -> Iterator[Record]:
    display = files.display(name)
    items = meta.list_under(files, name, meta.load(files, name), ["ig_posts"])
    for number, entry in enumerate(items, 1):
        ref = f"post {number}"
        media = entry.get("media") if isinstance(entry, dict) else None
        first = media[0] if isinstance(media, list) and media and isinstance(media[0], dict) else None
        if first is None:
            yield Rejected(display, ref, "no media list")
            continue
        raw_ts = entry.get("creation_timestamp") or first.get("creation_timestamp")
        ts = meta.timestamp(raw_ts)
        if ts is None:
            yield Rejected(display, ref, f"no readable creation_timestamp ({str(raw_ts)[:40]!r})")
            continue
        caption = entry.get("title") if entry.get("title") else first.get("title")
        uri = values.clean(first.get("uri"))
        post_id = PurePosixPath(uri).stem if uri else f"post:{raw_ts}"
        yield Post(ts, PLATFORM, meta.need_account(account, files), post_id,
                   text=caption if isinstance(caption, str) and caption else None)


def _follow_entry(entry: Any) -> tuple[str | None, str | None, Any]:
    """(username, profile URL, raw timestamp) of one follow-list entry, old or new shape."""
    if not isinstance(entry, dict):
        return None, None, None
    first = values.first_dict(entry.get("string_list_data"))
    href = values.clean(first.get("href"))
    user = values.clean(first.get("value")) or values.clean(entry.get("title"))
    if not user and href:
        user = href.rstrip("/").rsplit("/", 1)[-1] or None
    return user, href, first.get("timestamp")


def _read_follows(files: ExportFiles, members: list[tuple[str, str]], account: str | None) -> Iterator[Record]:
    loaded = []
    for role, name in members:
        keys = _RELATIONS[role][0]
        loaded.append((role, name, meta.list_under(files, name, meta.load(files, name), keys)))
    if not any(items for _, _, items in loaded):
        return
    account = meta.need_account(account, files)
    snapshot_at = _snapshot_time(files, loaded)
    for role, name, items in loaded:
        _, relation, direction, kind, prefix = _RELATIONS[role]
        display = files.display(name)
        for number, entry in enumerate(items, 1):
            user, href, raw_ts = _follow_entry(entry)
            if not user:
                yield Rejected(display, f"entry {number}", "no username")
                continue
            yield PersonInfo(PLATFORM, user, url=href)
            if relation is not None:
                yield FollowEdge(PLATFORM, account, user, relation, snapshot_at)
            ts = meta.timestamp(raw_ts)
            if ts is not None:
                yield Interaction(ts, PLATFORM, account, user, direction, kind, f"{prefix}:{raw_ts}")


def _snapshot_time(files: ExportFiles, loaded: list[tuple[str, str, list[Any]]]) -> datetime:
    """When the lists were taken: the newest file time, never before the newest entry, never later than now."""
    entry_times = [meta.timestamp(_follow_entry(e)[2]) for _, _, items in loaded for e in items]
    file_times = [meta.member_time(files, name) for _, name, _ in loaded]
    newest_entry = max((t for t in entry_times if t), default=None)
    newest_file = max((t for t in file_times if t), default=None)
    now = datetime.now(meta.UTC).replace(microsecond=0)
    candidates = [t for t in (newest_file, newest_entry) if t is not None]
    return min(max(candidates), now) if candidates else now
