"""Links and names for the rows a surface shows: the touchpoint's permalink, the person's profile,
the own account by its @name rather than its id.

Applied after a listing is cut to its page (a queue of 50, a timeline of 20), so a read looks up
only those rows: the permalink rules are :mod:`tiescale.sources.permalinks` (pure, per platform).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tiescale.sources.permalinks import message_url, profile_url
from tiescale.store.db import Store

from .queue_items import QueueItem

_NUMERIC = re.compile(r"^\d{6,}$")
_X_STATUS = r"^https://x\.com/([A-Za-z0-9_]{1,30})/status/"


@dataclass(frozen=True)
class Shown:
    """How one identity (or own account) is shown: ``label`` never a bare id."""

    label: str
    username: str | None
    display_name: str | None
    url: str | None


def shown_name(handle: str, username: str | None, display_name: str | None) -> str:
    """``@name (Display)``, ``Display``, the handle; a numeric id only when nothing else is known,
    and then marked as one (``id 1380241455226167296``)."""
    name = (username or "").lstrip("@")
    if name:
        return f"@{name}" + (f" ({display_name})" if display_name and display_name != name else "")
    if display_name:
        return display_name
    return f"id {handle}" if _NUMERIC.match(handle or "") else handle


def identities_shown(store: Store, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Shown]:
    """(platform, handle) -> how to show it, for a few identities."""
    if not keys:
        return {}
    platforms = [k[0] for k in keys]
    handles = [k[1] for k in keys]
    rows = store.rows("""
        SELECT i.platform, i.handle, i.username, i.display_name, i.url
        FROM identities i JOIN (SELECT unnest(?) AS platform, unnest(?) AS handle) k
          ON k.platform = i.platform AND k.handle = i.handle""", [platforms, handles])
    found = {(r["platform"], r["handle"]): Shown(shown_name(r["handle"], r["username"], r["display_name"]),
                                                 r["username"], r["display_name"],
                                                 profile_url(r["platform"], r["handle"], r["username"], r["url"]))
             for r in rows}
    for platform, handle in keys - found.keys():
        found[(platform, handle)] = Shown(shown_name(handle, None, None), None, None,
                                          profile_url(platform, handle))
    return found


def accounts_shown(store: Store) -> dict[tuple[str, str], Shown]:
    """Every own account -> how to show it. An X archive keys its account by number; the @name is
    the one its import stored (``account.js``: ``accounts.username``, migration 23), else the one in
    the links of its own posts (``https://x.com/<name>/status/...``) when the archive had it."""
    found: dict[tuple[str, str], Shown] = {}
    for row in store.rows("SELECT platform, handle, display_name, username FROM accounts ORDER BY platform, handle"):
        platform, handle, display = row["platform"], row["handle"], row["display_name"]
        username = (row.get("username") or "").lstrip("@") or None
        if username is None and platform == "x" and _NUMERIC.match(handle):
            username = store.scalar(f"""SELECT regexp_extract(url, '{_X_STATUS}', 1) FROM posts
                WHERE platform = 'x' AND account = ? AND regexp_matches(url, '{_X_STATUS}')
                  AND NOT starts_with(url, 'https://x.com/i/') LIMIT 1""", [handle])
        if display == handle:
            display = None
        found[(platform, handle)] = Shown(shown_name(handle, username, display), username, display,
                                          profile_url(platform, handle, username))
    return found


def add_queue_links(store: Store, items: list[QueueItem]) -> list[QueueItem]:
    """Each queue item with ``url`` (the message waiting for an answer, else the person's profile),
    ``profile_url``, ``item_id`` (what ``tiescale reply`` answers) and the names to show."""
    if not items:
        return items
    people = identities_shown(store, {(i.platform, i.person) for i in items if i.platform and i.person})
    accounts = accounts_shown(store)
    messages = _waiting_messages(store, [i for i in items if i.reason == "unanswered" and i.platform])
    for item in items:
        person = people.get((item.platform or "", item.person))
        account = accounts.get((item.platform or "", item.account or ""))
        message = messages.get(item.person_id)
        item.person_shown = person.label if person else shown_name(item.person, None, None)
        if not item.name or item.name == item.person:  # a bare handle or id: the name the data knows instead
            item.name = item.person_shown
        item.account_shown = account.label if account else (item.account and shown_name(item.account, None, None))
        item.profile_url = person.url if person else None
        item.username = person.username if person else None
        if message is not None:
            item.item_id = message["item_id"]
            author = person.username if person else None
            item.message_url = message_url(item.platform or "", message["item_id"], message["kind"],
                                           message["thread"], message.get("in_reply_to"), author)
        item.url = item.message_url or item.profile_url
    return items


def _waiting_messages(store: Store, items: list[QueueItem]) -> dict[int, dict[str, Any]]:
    """The message each unanswered item quotes (the index row with its platform id and thread)."""
    wanted = [i for i in items if i.details.get("message_ts") is not None]
    if not wanted:
        return {}
    stamps = [i.details["message_ts"] for i in wanted]
    rows = store.rows("""
        SELECT m.person_id, m.item_id, m.kind, m.thread
        FROM answer_messages m
        JOIN (SELECT unnest(?) AS person_id, unnest(?) AS platform, unnest(?) AS handle, unnest(?) AS ts) k
          ON k.person_id = m.person_id AND k.platform = m.platform AND k.handle = m.person AND k.ts = m.ts
        WHERE m.item_id IS NOT NULL AND m.ts BETWEEN ? AND ?""",  # constants: row groups outside are skipped
        [[i.person_id for i in wanted], [i.platform for i in wanted], [i.person for i in wanted],
         [i.details["message_ts"] for i in wanted], min(stamps), max(stamps)])
    found = {r["person_id"]: r for r in rows}
    threads = [r["thread"] for r in found.values() if r["thread"] and
               next((i.platform for i in wanted if i.person_id == r["person_id"]), None) == "youtube"]
    if threads:  # a YouTube comment links through its video: the top-level comment answers it
        videos = {r["item_id"]: r["in_reply_to"] for r in store.rows(
            "SELECT item_id, in_reply_to FROM interactions WHERE platform = 'youtube' AND item_id IN "
            "(SELECT unnest(?)) UNION ALL SELECT post_id, regexp_extract(url, '[?&]v=([A-Za-z0-9_-]{11})', 1) "
            "FROM posts WHERE platform = 'youtube' AND post_id IN (SELECT unnest(?))", [threads, threads])
            if r["in_reply_to"]}
        for row in found.values():
            row["in_reply_to"] = videos.get(row["thread"])
    return found


def add_timeline_links(store: Store, timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each touchpoint of a person's timeline with ``url`` (https or None)."""
    people = identities_shown(store, {(t["platform"], t["handle"]) for t in timeline if t.get("handle")})
    accounts = accounts_shown(store) if timeline else {}
    for row in timeline:
        person = people.get((row["platform"], row.get("handle") or ""))
        theirs = row.get("direction") == "in" or row.get("kind") in ("like", "repost")  # a like is of their post
        author = (person.username if person else None) if theirs else \
            (accounts[(row["platform"], row["account"])].username
             if (row["platform"], row["account"]) in accounts else None)
        row["url"] = message_url(row["platform"], row.get("item_id"), row.get("kind"), row.get("thread"),
                                 row.get("in_reply_to"), author)
        account = accounts.get((row["platform"], row["account"]))
        row["account_shown"] = account.label if account else row["account"]
    return timeline


def add_profile_links(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each connection row (account, platform, person) with ``url`` (the person's profile, https or
    None), ``person_shown`` and ``account_shown`` (names, an id only when nothing else is known)."""
    if not rows:
        return rows
    shown = identities_shown(store, {(r["platform"], r["person"]) for r in rows})
    for row in rows:
        found = shown.get((row["platform"], row["person"]))
        row["url"] = found.url if found else None
        row["person_shown"] = found.label if found else shown_name(row["person"], None, None)
    return add_account_names(store, rows)


def add_account_names(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with (platform, account) given ``account_shown``: the own account by its @name."""
    accounts = accounts_shown(store) if rows else {}
    for row in rows:
        account = accounts.get((row["platform"], row.get("account") or ""))
        row["account_shown"] = account.label if account else row.get("account")
    return rows


def add_identity_links(identities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each identity row (platform, handle, username, url) with ``profile`` (https or None) and ``shown``."""
    for row in identities:
        row["profile"] = profile_url(row["platform"], row["handle"], row.get("username"), row.get("url"))
        row["shown"] = shown_name(row["handle"], row.get("username"), row.get("display_name"))
    return identities


__all__ = ["Shown", "accounts_shown", "add_account_names", "add_identity_links", "add_profile_links", "add_queue_links",
           "add_timeline_links", "identities_shown", "shown_name"]
