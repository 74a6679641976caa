"""Write endpoints for the replay server: a small stateful Bluesky PDS and Mastodon instance.

Reads come from the recorded cassettes (tests/fixtures/bluesky-xrpc, mastodon-api); what tiescale
writes (a reply, a like, a chat message, a status, a favourite) is kept here, so a test can count
what the platform holds: a retry after a dropped connection must leave exactly one post. Faults
are injected in front (``fail_next``): a dropped connection after the write was done, a 429 with
Retry-After, a 401, a deleted parent post, a refused DM.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.sync.replay import Exchange, ReplayServer, Seen

OWN_DID = "did:plc:hbrcf6ee7yzq2mxk4w3vt5ab"
BSKY_POSTS = {  # the posts the cassette's notifications name, as getPosts answers them
    "at://did:plc:fay6pq7rtz3udz5aw4bx2rgh/app.bsky.feed.post/3kffffffffr2a": {
        "cid": "bafyfay", "record": {"text": "Is the cupping on Saturday open to everyone?", "reply": {
            "root": {"uri": f"at://{OWN_DID}/app.bsky.feed.post/3kaaaaaaaaa2a", "cid": "bafyroot"},
            "parent": {"uri": f"at://{OWN_DID}/app.bsky.feed.post/3kaaaaaaaaa2a", "cid": "bafyroot"}}}},
    "at://did:plc:eve5np6qsz2tcy4zv3aw7qfg/app.bsky.feed.post/3keeeeeeeem2a": {
        "cid": "bafyeve", "record": {"text": "Best flat white in town: @harbor.example.com"}},
    "at://did:plc:ida9st4uvz6xgb8dz7ea5ujk/app.bsky.feed.post/3kiiiiiiiir2a": {
        "cid": "bafyida", "record": {"text": "reply", "reply": {
            "root": {"uri": f"at://{OWN_DID}/app.bsky.feed.post/3kaaaaaaaam2a", "cid": "bafyroot2"},
            "parent": {"uri": f"at://{OWN_DID}/app.bsky.feed.post/3kaaaaaaaam2a", "cid": "bafyroot2"}}}},
}


def _json(seen: Seen) -> dict[str, Any]:
    try:
        value = json.loads(seen.body or b"{}")
    except ValueError:
        from urllib.parse import parse_qsl

        value = dict(parse_qsl(seen.body.decode()))
    return value if isinstance(value, dict) else {}


@dataclass
class FakeBluesky:
    """createRecord / getRecord / getPosts / chat over state; everything else from the cassette."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # uri -> record
    messages: list[dict[str, Any]] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    refuses_dms: set[str] = field(default_factory=set)

    def install(self, server: ReplayServer) -> None:
        x = "/xrpc/"
        server.insert(
            Exchange("GET", x + "app.bsky.feed.getPosts", times=0, respond=self.get_posts),
            Exchange("POST", x + "com.atproto.repo.createRecord", times=0, respond=self.create_record),
            Exchange("GET", x + "com.atproto.repo.getRecord", times=0, respond=self.get_record),
            Exchange("GET", x + "chat.bsky.convo.getConvoForMembers", times=0, respond=self.convo_for),
            Exchange("POST", x + "chat.bsky.convo.sendMessage", times=0, respond=self.send_message),
            Exchange("GET", x + "chat.bsky.convo.getMessages", times=0, respond=self.get_messages),
        )

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r["$type"] == "app.bsky.feed.post"]

    def get_posts(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        uri = seen.query.get("uris", "")
        found = BSKY_POSTS.get(uri) if uri not in self.deleted else None
        posts = [{"uri": uri, "cid": found["cid"], "record": found["record"],
                  "author": {"did": uri.split("/")[2]}, "indexedAt": "2024-03-09T10:00:00.000Z"}] if found else []
        return 200, {}, {"posts": posts}

    def create_record(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        data = _json(seen)
        uri = f"at://{data['repo']}/{data['collection']}/{data['rkey']}"
        if uri in self.records:
            return 400, {}, {"error": "InvalidRequest", "message": "Record already exists"}
        self.records[uri] = data["record"]
        return 200, {}, {"uri": uri, "cid": f"bafy{len(self.records)}"}

    def get_record(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        q = seen.query
        uri = f"at://{q.get('repo')}/{q.get('collection')}/{q.get('rkey')}"
        if uri not in self.records:
            return 400, {}, {"error": "RecordNotFound", "message": f"Could not locate record: {uri}"}
        return 200, {}, {"uri": uri, "cid": "bafyx", "value": self.records[uri]}

    def convo_for(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        member = seen.query.get("members", "")
        if member in self.refuses_dms:
            return 400, {}, {"error": "InvalidRequest", "message": "recipient has disabled incoming messages"}
        return 200, {}, {"convo": {"id": "3kconvoharborbea", "rev": "1", "members": [{"did": OWN_DID},
                                                                                    {"did": member}]}}

    def send_message(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        data = _json(seen)
        message = {"$type": "chat.bsky.convo.defs#messageView", "id": f"3kmsg{len(self.messages):08d}",
                   "rev": "2", "text": data["message"]["text"], "sender": {"did": OWN_DID},
                   "sentAt": "2099-01-01T00:00:00.000Z"}
        self.messages.append(message)
        return 200, {}, message

    def get_messages(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        return 200, {}, {"messages": list(reversed(self.messages))}


@dataclass
class FakeMastodon:
    """search / statuses / favourite over state (Idempotency-Key honoured, as Mastodon does)."""

    statuses: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    favourited: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    known: dict[str, str] = field(default_factory=lambda: {
        "https://social.example/users/bea/statuses/112": "9112",
        "https://fedi.example/users/cal/statuses/301": "9301",
    })

    def install(self, server: ReplayServer) -> None:
        server.insert(
            Exchange("GET", "/api/v2/search", times=0, respond=self.search),
            Exchange("POST", "/api/v1/statuses", times=0, respond=self.post),
            Exchange("POST", "/api/v1/statuses/9112/favourite", times=0, respond=self.favourite),
            Exchange("GET", "/api/v1/accounts/1/statuses", {"limit": "20"}, times=0, respond=self.own_statuses),
        )

    def search(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        uri = seen.query.get("q", "")
        local = self.known.get(uri) if uri not in self.deleted else None
        found = [{"id": local, "uri": uri, "visibility": "direct" if local == "9301" else "public",
                  "favourited": local in self.favourited, "content": "<p>hi</p>"}] if local else []
        return 200, {}, {"accounts": [], "statuses": found, "hashtags": []}

    def post(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        key = seen.headers.get("idempotency-key", "")
        if key and key in self.keys:
            return 200, {}, self.keys[key]
        data = _json(seen)
        number = 5000 + len(self.statuses)
        status = {"id": str(number), "uri": f"https://coast.example/users/harbor/statuses/{number}",
                  "url": f"https://coast.example/@harbor/{number}", "visibility": data.get("visibility", "public"),
                  "in_reply_to_id": data.get("in_reply_to_id"), "content": f"<p>{data.get('status', '')}</p>",
                  "created_at": "2099-01-01T00:00:00.000Z"}
        self.statuses.append(status)
        if key:
            self.keys[key] = status
        return 200, {}, status

    def favourite(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        self.favourited.add("9112")
        return 200, {}, {"id": "9112", "uri": "https://social.example/users/bea/statuses/112", "favourited": True}

    def own_statuses(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        return 200, {}, list(reversed(self.statuses))


def fail_next(server: ReplayServer, method: str, path: str, *, status: int = 0, headers: dict[str, str] | None = None,
              body: Any = None, drop_after: Any = None) -> None:
    """The next request to ``path`` fails: an answer ``status``, or (``drop_after``: the fake's handler)
    the write is done and the connection is dropped before the answer."""
    if drop_after is not None:
        server.insert(Exchange(method, path, respond=drop_after, drop=True))
    else:
        server.insert(Exchange(method, path, status=status, headers=headers or {}, body=body))
