"""Links to a touchpoint and to a person, built from what each export stores (ids, handles, URLs).

The parsers know each platform's id formats, so the rules live beside them: a pure function of
the stored fields (``item_id``, ``thread``, ``in_reply_to``, the handle and the @name), applied by
the insights to the few rows a surface shows. Every link that leaves here passed
:func:`safe_url`: ``https://`` with a host, nothing else (a ``javascript:``, ``data:`` or
``http:`` value from an export is dropped, never shown as a link).
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_SAFE_PATH = "/@:+~!$&'()*,;=-._"
_CONTROL = re.compile(r"[\x00-\x20\x7f\\<>\"`]")
_AT_POST = re.compile(r"^at://(did:[a-z0-9]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+)/app\.bsky\.feed\.post/([A-Za-z0-9._~:-]+)$")
_MASTODON_STATUS = re.compile(r"^/users/([^/]+)/statuses/(\d+)/?$")
_REDDIT_ID = re.compile(r"^t([1-4])_([a-z0-9]+)$")
_YOUTUBE_VIDEO = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_COMMENT = re.compile(r"^[A-Za-z0-9_.-]{20,120}$")
_X_ID = re.compile(r"^\d{1,25}$")
_X_NAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
_X_CONVERSATION = re.compile(r"^\d{1,25}(-\d{1,25})?$")
_BSKY_CONVO = re.compile(r"^[A-Za-z0-9._~-]{1,100}$")
_PREFIXED_URL = re.compile(r"^[a-z_]{1,20}:(https://.+)$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_HOSTS = {
    "instagram": ("instagram.com", "www.instagram.com"),
    "facebook": ("facebook.com", "www.facebook.com", "m.facebook.com", "fb.com"),
    "linkedin": ("linkedin.com", "www.linkedin.com"),
    "tiktok": ("tiktok.com", "www.tiktok.com"),
}


def safe_url(value: object) -> str | None:
    """``value`` when it is an ``https://`` URL with a host and no spaces or quotes; else None."""
    if not isinstance(value, str) or not value or len(value) > 2048 or _CONTROL.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname or parts.username or parts.password:
        return None
    return value


def _https(host: str, path: str) -> str | None:
    return safe_url(f"https://{host}{quote(path, safe=_SAFE_PATH + '?=&%')}")


def profile_url(platform: str, handle: str, username: str | None = None, stored: str | None = None) -> str | None:
    """The person's profile: the URL the export gave, else one built from the handle; None when
    neither says (a Facebook or WhatsApp name, an e-mail address)."""
    if found := safe_url(stored):
        return found
    handle = (handle or "").strip()
    name = (username or "").strip().lstrip("@")
    if platform == "x":
        if _X_NAME.match(name):
            return f"https://x.com/{name}"
        return f"https://x.com/i/user/{handle}" if _X_ID.match(handle) else (
            f"https://x.com/{handle.lstrip('@')}" if _X_NAME.match(handle.lstrip("@")) else None)
    if platform == "bluesky" and handle and " " not in handle:
        return _https("bsky.app", f"/profile/{handle}")
    if platform == "mastodon" and handle.count("@") == 1 and not handle.startswith("@"):
        user, host = handle.split("@")
        return _https(host, f"/@{user}") if user and _PLAIN_NAME.match(host) else None
    if platform == "reddit" and _PLAIN_NAME.match(handle):
        return f"https://www.reddit.com/user/{handle}"
    if platform == "youtube" and handle.startswith("UC") and _PLAIN_NAME.match(handle):
        return f"https://www.youtube.com/channel/{handle}"
    if platform == "instagram" and _PLAIN_NAME.match(handle):
        return f"https://www.instagram.com/{handle}/"
    if platform == "tiktok" and _PLAIN_NAME.match(handle.lstrip("@")):
        return f"https://www.tiktok.com/@{handle.lstrip('@')}"
    if platform in ("linkedin", "facebook"):
        return _platform_url(platform, handle)
    return None


def _platform_url(platform: str, value: str | None) -> str | None:
    """``value`` when it is an https link on the platform's own site."""
    url = safe_url(value)
    if url is None:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return url if host in _HOSTS.get(platform, ()) else None


def message_url(platform: str, item_id: str | None, kind: str | None = None, thread: str | None = None,
                in_reply_to: str | None = None, author: str | None = None) -> str | None:
    """The touchpoint itself: a post, a comment, a conversation. ``author``: the @name of who wrote
    it, when known (X status links read better with it; ``i/web`` works without)."""
    item = (item_id or "").strip()
    if platform == "x":
        return _x_url(item, kind, thread, author)
    if platform == "bluesky":
        return _bluesky_url(item, kind, thread, in_reply_to)
    if platform == "mastodon":
        return _mastodon_url(item, in_reply_to)
    if platform == "reddit":
        return _reddit_url(item, thread)
    if platform == "youtube":
        video = in_reply_to if in_reply_to and _YOUTUBE_VIDEO.match(in_reply_to) else None
        if video and _YOUTUBE_COMMENT.match(item):
            return f"https://www.youtube.com/watch?v={video}&lc={item}"
        return None
    for candidate in (item, in_reply_to or ""):
        # an id built around the export's link (Instagram likes: ``like:https://www.instagram.com/p/...``)
        prefixed = _PREFIXED_URL.match(candidate)
        if found := _platform_url(platform, prefixed.group(1) if prefixed else candidate):
            return found
    return None


def _x_url(item: str, kind: str | None, thread: str | None, author: str | None) -> str | None:
    if kind == "dm":
        return f"https://x.com/messages/{thread}" if thread and _X_CONVERSATION.match(thread) else None
    if not _X_ID.match(item):
        return None
    name = (author or "").lstrip("@")
    return f"https://x.com/{name if _X_NAME.match(name) else 'i/web'}/status/{item}"


def _bluesky_url(item: str, kind: str | None, thread: str | None, in_reply_to: str | None) -> str | None:
    if kind == "dm":
        convo = (thread or "").removeprefix("chat:")
        return f"https://bsky.app/messages/{convo}" if thread and thread.startswith("chat:") and \
            _BSKY_CONVO.match(convo) else None
    for uri in (item, in_reply_to or ""):  # a like or repost links the post it is about
        if match := _AT_POST.match(uri):
            return _https("bsky.app", f"/profile/{match.group(1)}/post/{match.group(2)}")
    return None


def _mastodon_url(item: str, in_reply_to: str | None) -> str | None:
    for candidate in (item.split(":", 1)[1] if item.startswith(("favourite:", "reblog:")) else item,
                      in_reply_to or ""):
        url = safe_url(candidate)
        if url is None:
            continue
        parts = urlsplit(url)
        if match := _MASTODON_STATUS.match(parts.path):  # the ActivityPub id: the page people read
            return _https(parts.netloc, f"/@{match.group(1)}/{match.group(2)}")
        return url
    return None


def _reddit_url(item: str, thread: str | None) -> str | None:
    match = _REDDIT_ID.match(item)
    if match is None:
        return None
    kind, base36 = match.groups()
    post = _REDDIT_ID.match(thread or "")
    if kind == "3":
        return f"https://www.reddit.com/comments/{base36}/"
    if kind == "1" and post and post.group(1) == "3":
        return f"https://www.reddit.com/comments/{post.group(2)}/comment/{base36}/"
    if kind == "4":
        return f"https://www.reddit.com/message/messages/{base36}"
    return None


__all__ = ["message_url", "profile_url", "safe_url"]
