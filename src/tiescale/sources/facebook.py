"""Facebook "Download your information" (JSON).

Reads, by file name wherever they sit (older exports put them at the top, newer ones under
``your_facebook_activity/`` and ``personal_information/``):

- ``messages/<inbox|archived_threads|...>/<thread>/message_N.json`` -> ``dm`` in / out;
- ``comments*.json`` (``comments_v2``, ``group_comments_v2``) -> the account's comments as
  ``Post(kind="comment")``, plus ``out``/``comment`` to the person the title names
  ("X commented on Y's post.", in English or Danish);
- ``likes_and_reactions*.json`` (``reactions_v2``) -> ``out``/``like`` to the person named;
- ``your_posts*_N.json`` and ``your_posts_in_groups.json`` -> ``Post``;
- ``profile_information.json`` -> the own account (``profile_v2.name.full_name``).

People are keyed by the name the export shows: Facebook's export has no user ids or
usernames for other people, so two people with one name are one person here, and a person
who renames shows up anew. The own account is the profile's full name (earlier names from
``previous_names`` also count as the account in old threads); without a profile file it is
``--account``, else the one participant found in every thread.

Not imported: reactions inside message threads (they carry no time), friends lists (no
ids either; the dates in them are already the ``follow`` the user may see elsewhere),
events, groups, searches and other activity logs.
"""
from __future__ import annotations

import re
from typing import Any
from collections.abc import Iterator

from ..records import AccountInfo, Interaction, Post, Record, Rejected, SourceError
from .contract import ReadOptions
from ._files import ExportFiles
from . import _meta_platforms as meta
from . import _values as values

FORMAT = "facebook"
PLATFORM = "facebook"

_POSTS = re.compile(r"^your_posts(__check_ins__photos_and_videos)?_\d+\.json$")
_COMMENTS = re.compile(r"^(comments(_\d+)?|your_comments_in_groups|comments_and_reactions)\.json$")
_REACTIONS = re.compile(r"^(likes_and_reactions(_\d+)?|posts_and_comments)\.json$")
_GROUP_POSTS = "your_posts_in_groups.json"
_PROFILE = "profile_information.json"


# -- which export is this -------------------------------------------------------------------
def detect(files: ExportFiles) -> bool:
    names = files.names()
    if any(meta.instagram_marker(n) for n in names):
        return False
    single = meta.single_file(files)
    return any(meta.facebook_marker(n) or meta.is_message_file(n, single) for n in names)


def check(files: ExportFiles) -> None:
    """Refuse, before anything is written, an export that is not Facebook's."""
    names = files.names()
    facebook = any(meta.facebook_marker(n) for n in names)
    if any(meta.instagram_marker(n) for n in names) and not facebook:
        raise SourceError(str(files.path), "this looks like an Instagram export, not Facebook; use --format instagram")
    if meta.single_file(files):
        if not names[0].lower().endswith(".json"):
            raise SourceError(str(files.path), "not a Facebook export file (a .json file expected)")
        return
    if not facebook and not any(meta.is_message_file(n) for n in names):
        raise SourceError(
            str(files.path),
            "not a Facebook export: no messages/inbox, comments, posts or profile_information.json found",
        )


# -- which member holds what ----------------------------------------------------------------
def _role_by_name(name: str, single: bool) -> str | None:
    b = meta.base(name)
    parts = set(meta.folders(name))
    if meta.under_instagram(name):
        return None
    if meta.is_message_file(name, single):
        return "messages"
    if b == _PROFILE:
        return "profile"
    if _POSTS.match(b) or b == _GROUP_POSTS:
        return "posts"
    if _COMMENTS.match(b) or _REACTIONS.match(b) or (b.endswith(".json") and "comments_and_reactions" in parts):
        return "activity"  # comments_v2 and reactions_v2 are told apart by their key
    return None


def _role_by_shape(data: Any) -> str | None:
    """A single file with a name the export would not use: what its content looks like."""
    if values.is_empty(data):
        return "empty"
    if isinstance(data, dict):
        if "messages" in data and "participants" in data:
            return "messages"
        if "profile_v2" in data:
            return "profile"
        if {"comments_v2", "group_comments_v2", "reactions_v2"} & set(data):
            return "activity"
        if "group_posts_v2" in data:
            return "posts"
    if isinstance(data, list) and all(isinstance(i, dict) and "timestamp" in i for i in data):
        return "posts"
    return None


def _members(files: ExportFiles) -> dict[str, list[str]]:
    single = meta.single_file(files)
    roles: dict[str, list[str]] = {"messages": [], "profile": [], "posts": [], "activity": []}
    for name in meta.json_members(files):
        role = _role_by_name(name, single)
        if role is None and single:
            role = _role_by_shape(meta.load(files, name))
            if role is None:
                raise SourceError(files.display(name), "not a Facebook export file: no messages, comments, "
                                  "posts or profile in it")
        if role in roles:
            roles[role].append(name)
    return roles


# -- reading ----------------------------------------------------------------------------------
def _profile(files: ExportFiles, members: list[str]) -> tuple[str | None, set[str], str | None]:
    """(full name, every name the account has had, username) from the first readable profile."""
    for name in members:
        data = meta.load(files, name)
        if values.is_empty(data):
            continue
        profile = (data.get("profile_v2") or data.get("profile")) if isinstance(data, dict) else None
        names_of = profile.get("name") if isinstance(profile, dict) else None
        full = values.clean(names_of.get("full_name")) if isinstance(names_of, dict) else None
        if not isinstance(profile, dict) or not full:
            raise meta.wrong_shape(files, name, "a profile with profile_v2.name.full_name")
        names = {full}
        for old in values.as_list(profile.get("previous_names")):
            if isinstance(old, dict) and values.clean(old.get("name")):
                names.add(values.clean(old.get("name")) or "")
        return full, names, values.clean(profile.get("username"))
    return None, set(), None


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Record]:
    roles = _members(files)
    account, own_names, username = _profile(files, roles["profile"])
    if account:
        yield AccountInfo(PLATFORM, account, display_name=account, account_id=username)
    else:
        common = meta.common_participant(files, roles["messages"]) if roles["messages"] else None
        account = options.account or common
        own_names = {n for n in (account, common) if n}
    for name in roles["messages"]:
        yield from meta.read_thread(files, name, PLATFORM, account, own_names)
    for name in roles["activity"]:
        yield from _read_activity(files, name, account, own_names)
    for name in roles["posts"]:
        yield from _read_posts(files, name, account)


def _read_activity(files: ExportFiles, name: str, account: str | None, own: set[str]) -> Iterator[Record]:
    data = meta.load(files, name)
    if values.is_empty(data):
        return
    if not isinstance(data, dict):
        raise meta.wrong_shape(files, name, "an object with comments_v2 or reactions_v2")
    known = False
    for key in ("comments_v2", "group_comments_v2"):
        if key in data:
            known = True
            yield from _read_comments(files, name, meta.list_under(files, name, data, [key]), account, own)
    if "reactions_v2" in data:
        known = True
        yield from _read_reactions(files, name, meta.list_under(files, name, data, ["reactions_v2"]), account, own)
    if not known and meta.single_file(files):
        raise meta.wrong_shape(files, name, "an object with comments_v2 or reactions_v2")


def _comment_of(entry: dict[str, Any]) -> dict[str, Any]:
    for item in values.as_list(entry.get("data")):
        comment = item.get("comment") if isinstance(item, dict) else None
        if isinstance(comment, dict):
            return comment
    return {}


def _read_comments(files: ExportFiles, name: str, items: list[Any], account: str | None,
                   own: set[str]) -> Iterator[Record]:
    display = files.display(name)
    for number, entry in enumerate(items, 1):
        ref = f"comment {number}"
        if not isinstance(entry, dict):
            yield Rejected(display, ref, "not a JSON object")
            continue
        comment = _comment_of(entry)
        raw_ts = entry.get("timestamp", comment.get("timestamp"))
        ts = meta.timestamp(raw_ts)
        if ts is None:
            yield Rejected(display, ref, f"no readable timestamp ({str(raw_ts)[:40]!r})")
            continue
        account = meta.need_account(account, files)
        text = comment.get("comment") if isinstance(comment.get("comment"), str) else None
        title = values.clean(entry.get("title"))
        post_id = f"comment:{raw_ts}:{values.digest(text if text is not None else title)}"
        yield Post(ts, PLATFORM, account, post_id, kind="comment", text=text or None)
        person = meta.title_target(title, own)
        if person:
            yield Interaction(ts, PLATFORM, account, person, "out", "comment", post_id, text or None,
                              person_name=person)


def _read_reactions(files: ExportFiles, name: str, items: list[Any], account: str | None,
                    own: set[str]) -> Iterator[Record]:
    display = files.display(name)
    for number, entry in enumerate(items, 1):
        if not isinstance(entry, dict):
            yield Rejected(display, f"reaction {number}", "not a JSON object")
            continue
        person = meta.title_target(entry.get("title"), own)
        if person is None:
            continue  # a like of the account's own or an unnamed post: nobody to credit
        raw_ts = entry.get("timestamp")
        ts = meta.timestamp(raw_ts)
        if ts is None:
            yield Rejected(display, f"reaction {number}", f"no readable timestamp ({str(raw_ts)[:40]!r})")
            continue
        yield Interaction(ts, PLATFORM, meta.need_account(account, files), person, "out", "like",
                          f"reaction:{raw_ts}", person_name=person)


def _read_posts(files: ExportFiles, name: str, account: str | None) -> Iterator[Record]:
    display = files.display(name)
    data = meta.load(files, name)
    items = meta.list_under(files, name, data, ["group_posts_v2", "status_updates_v2"])
    for number, entry in enumerate(items, 1):
        ref = f"post {number}"
        if not isinstance(entry, dict):
            yield Rejected(display, ref, "not a JSON object")
            continue
        raw_ts = entry.get("timestamp")
        ts = meta.timestamp(raw_ts)
        if ts is None:
            yield Rejected(display, ref, f"no readable timestamp ({str(raw_ts)[:40]!r})")
            continue
        data = values.as_list(entry.get("data"))
        texts = [d["post"] for d in data if isinstance(d, dict) and isinstance(d.get("post"), str)]
        text = "\n".join(t for t in texts if t) or None
        key = text or _first_uri(entry) or values.clean(entry.get("title"))
        yield Post(ts, PLATFORM, meta.need_account(account, files), f"post:{raw_ts}:{values.digest(key)}", text=text)


def _first_uri(entry: dict[str, Any]) -> str | None:
    for attachment in values.as_list(entry.get("attachments")):
        for item in values.as_list(values.as_dict(attachment).get("data")):
            uri = values.as_dict(values.as_dict(item).get("media")).get("uri")
            if isinstance(uri, str):
                return uri
    return None
