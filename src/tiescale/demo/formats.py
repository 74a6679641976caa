"""Writing the simulated community in the formats users import: canonical events CSV, an X
archive folder (data/*.js plus dated follower snapshots) and a Mastodon export (outbox.json,
actor.json). Output is byte-stable: fixed order, fixed formatting, no clock."""
from __future__ import annotations

import csv
import html
import json
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .activity import Event
from .config import BRAND, PLATFORMS, DemoConfig
from .followers import XFollowers
from .posts import OwnPost

EVENT_COLUMNS = ("ts", "account", "person", "direction", "kind", "platform", "id", "text", "in_reply_to", "thread")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TCO = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds")


def _zulu(ts: datetime, millis: bool = False) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S") + (".000Z" if millis else "Z")


def x_time(ts: datetime) -> str:
    """X's ``created_at``: 'Tue Jan 31 09:01:52 +0000 2017' (English names, whatever the locale)."""
    return f"{_DAYS[ts.weekday()]} {_MONTHS[ts.month - 1]} {ts:%d %H:%M:%S} +0000 {ts.year}"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, separators=(",", " : "))


# -- canonical events -------------------------------------------------------------------------------
def write_events(folder: Path, events: Iterable[Event]) -> list[Path]:
    """One canonical events CSV per platform."""
    by_platform: dict[str, list[Event]] = {p: [] for p in PLATFORMS}
    for event in events:
        by_platform[event.platform].append(event)
    paths = []
    for platform, rows in by_platform.items():
        path = folder / f"{platform}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(EVENT_COLUMNS)
            for e in rows:
                writer.writerow([iso(e.ts), BRAND.account(platform), e.person, e.direction, e.kind, platform, e.id,
                                 e.text or "", e.in_reply_to or "", e.thread or ""])
        paths.append(path)
    return paths


# -- X archive --------------------------------------------------------------------------------------
def _ytd(name: str, items: list[Any]) -> str:
    return f"window.YTD.{name}.part0 = " + _dump(items)


def _tweet(post: OwnPost, rng: random.Random) -> dict[str, Any]:
    text = post.text
    urls = []
    if post.link:
        short = "https://t.co/" + "".join(rng.choice(_TCO) for _ in range(10))
        text = text.replace(post.link, short)
        start = text.index(short)
        urls.append({"url": short, "expanded_url": post.link, "display_url": post.link.split("://", 1)[1],
                     "indices": [str(start), str(start + len(short))]})
    mentions = []
    for person_id, screen_name, name in post.mentions:
        start = text.find(f"@{screen_name}")
        mentions.append({"name": name, "screen_name": screen_name,
                         "indices": [str(start), str(start + len(screen_name) + 1)], "id_str": person_id,
                         "id": person_id})
    tweet: dict[str, Any] = {
        "edit_info": {"initial": {"editTweetIds": [post.id],
                                  "editableUntil": _zulu(post.ts + timedelta(hours=1), millis=True),
                                  "editsRemaining": "5", "isEditEligible": post.category != "repost"}},
        "retweeted": False,
        "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
        "entities": {"hashtags": [], "symbols": [], "user_mentions": mentions, "urls": urls},
        "display_text_range": ["0", str(len(text))],
        "favorite_count": str(post.likes),
        "id_str": post.id,
        "truncated": False,
        "retweet_count": str(post.reposts),
        "id": post.id,
        "created_at": x_time(post.ts),
        "favorited": False,
        "full_text": html.escape(text, quote=False),
        "lang": "en",
    }
    if post.category == "reply" and post.in_reply_to and post.mentions:
        person_id, screen_name, _ = post.mentions[0]
        tweet.update({"in_reply_to_status_id_str": post.in_reply_to, "in_reply_to_status_id": post.in_reply_to,
                      "in_reply_to_user_id": person_id, "in_reply_to_user_id_str": person_id,
                      "in_reply_to_screen_name": screen_name})
    return tweet


def _follow_list(kind: str, ids: list[str]) -> str:
    """Same text as ``_ytd`` would give, written directly (these lists are long)."""
    if not ids:
        return f"window.YTD.{kind}.part0 = []"
    items = ",\n".join(
        f'  {{\n    "{kind}" : {{\n      "accountId" : "{i}",\n'
        f'      "userLink" : "https://twitter.com/intent/user?user_id={i}"\n    }}\n  }}' for i in ids)
    return f"window.YTD.{kind}.part0 = [\n{items}\n]"


def write_x_archive(folder: Path, config: DemoConfig, posts: list[OwnPost], followers: XFollowers) -> Path:
    """``data/`` as in X's archive download, and ``follower-snapshots/`` with one list per month."""
    rng = config.rng("x-archive")
    data = folder / "data"
    generated = followers.snapshots[-1][0] if followers.snapshots else config.end
    tweets = [{"tweet": _tweet(p, rng)} for p in sorted(posts, key=lambda p: (p.ts, p.id), reverse=True)]
    counts = {"account": 1, "follower": len(followers.snapshots[-1][1]) if followers.snapshots else 0,
              "following": len(followers.following), "tweets": len(tweets)}
    manifest = {
        "userInfo": {"accountId": BRAND.x_account_id, "userName": BRAND.x_username, "displayName": BRAND.name},
        "archiveInfo": {"sizeBytes": "0", "generationDate": _zulu(generated, millis=True), "isPartialArchive": False,
                        "maxPartSizeBytes": "53687091200"},
        "readmeInfo": {"fileName": "data/README.txt", "directory": "data/", "name": "README.txt"},
        "dataTypes": {name: {"files": [{"fileName": f"data/{name}.js", "globalName": f"YTD.{name}.part0",
                                        "count": str(n)}]} for name, n in counts.items()},
    }
    _write(data / "manifest.js", "window.__THAR_CONFIG = " + _dump(manifest))
    _write(data / "account.js", _ytd("account", [{"account": {
        "email": "hello@fernhill.example", "createdVia": "web", "username": BRAND.x_username,
        "accountId": BRAND.x_account_id, "createdAt": "2021-04-08T09:12:44.000Z", "accountDisplayName": BRAND.name,
    }}]))
    _write(data / "tweets.js", _ytd("tweets", tweets))
    if followers.snapshots:
        _write(data / "follower.js", _follow_list("follower", followers.snapshots[-1][1]))
    _write(data / "following.js", _follow_list("following", followers.following))
    _write(data / "README.txt", "SIMULATED DEMO DATA for a fictional brand (Fernhill Coffee Roasters), written by "
           "`tiescale demo`.\nThe layout follows X's 'Download an archive of your data': each data/*.js file is\n"
           "'window.YTD.<name>.part0 = ' followed by a JSON array. follower-snapshots/ holds the follower list\n"
           "as it was on each date in the file name (twitter-YYYY-MM-DD-<archive>_follower.js).\n")
    for at, ids in followers.snapshots:
        archive = f"{(int(at.timestamp()) // 86400) % 1_000_000:06d}"
        _write(folder / "follower-snapshots" / f"twitter-{at:%Y-%m-%d}-{archive}_follower.js",
               _follow_list("follower", ids))
    return folder


# -- Mastodon -----------------------------------------------------------------------------------------
def _content(post: OwnPost) -> str:
    text = html.escape(post.text, quote=False)
    if post.link:
        shown = post.link.split("://", 1)[1]
        anchor = (f'<a href="{post.link}" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
                  f'<span class="invisible">https://</span><span class="">{shown}</span>'
                  f'<span class="invisible"></span></a>')
        text = text.replace(html.escape(post.link, quote=False), anchor)
    return f"<p>{text}</p>"


def write_mastodon(folder: Path, posts: list[OwnPost]) -> Path:
    """``actor.json`` and ``outbox.json`` (ActivityPub, as Mastodon's account export has them)."""
    actor = BRAND.mastodon_actor
    host = BRAND.mastodon_host
    context = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
    _write(folder / "actor.json", json.dumps({
        "@context": context, "id": actor, "type": "Person", "following": f"{actor}/following",
        "followers": f"{actor}/followers", "inbox": f"{actor}/inbox", "outbox": "outbox.json",
        "featured": f"{actor}/collections/featured", "preferredUsername": BRAND.mastodon_user, "name": BRAND.name,
        "summary": "<p>Small-batch coffee roasters. (A fictional brand: tiescale demo data.)</p>",
        "url": f"https://{host}/@{BRAND.mastodon_user}", "manuallyApprovesFollowers": False, "discoverable": True,
        "indexable": True, "published": "2022-11-14T00:00:00Z", "memorial": False, "tag": [],
        "attachment": [{"type": "PropertyValue", "name": "Shop",
                        "value": f'<a href="{BRAND.site}" rel="nofollow noopener noreferrer me">{BRAND.site}</a>'}],
        "endpoints": {"sharedInbox": f"https://{host}/inbox"},
    }, ensure_ascii=False, separators=(",", ":")))
    items = []
    for post in sorted(posts, key=lambda p: (p.ts, p.id)):
        number = post.id.rsplit("/", 1)[1]
        published = _zulu(post.ts)
        cc = [f"{actor}/followers"]
        note = {
            "id": post.id, "type": "Note", "summary": None, "inReplyTo": None, "published": published,
            "url": f"https://{host}/@{BRAND.mastodon_user}/{number}", "attributedTo": actor, "to": [PUBLIC], "cc": cc,
            "sensitive": False, "atomUri": post.id, "inReplyToAtomUri": None,
            "conversation": f"tag:{host},{post.ts:%Y-%m-%d}:objectId={int(number) >> 16}:objectType=Conversation",
            "content": _content(post), "contentMap": {"en": _content(post)}, "attachment": [], "tag": [],
            "replies": {"id": f"{post.id}/replies", "type": "Collection",
                        "first": {"type": "CollectionPage",
                                  "next": f"{post.id}/replies?only_other_accounts=true&page=true",
                                  "partOf": f"{post.id}/replies", "items": []}},
        }
        items.append({"id": f"{post.id}/activity", "type": "Create", "actor": actor, "published": published,
                      "to": [PUBLIC], "cc": cc, "object": note})
    _write(folder / "outbox.json", json.dumps({
        "@context": context, "id": "outbox.json", "type": "OrderedCollection", "totalItems": len(items),
        "orderedItems": items,
    }, ensure_ascii=False, separators=(",", ":")))
    return folder
