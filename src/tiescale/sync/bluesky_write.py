"""Answer in place on Bluesky: a reply in the thread, a like, a chat message.

Logs in through :class:`~tiescale.sync.bluesky.BlueskyClient` (the saved session, the same error
mapping). A reply or like is a record created in the own repository under a record key chosen
before sending (:func:`~tiescale.sync.writes.tid_for`): after a failure, ``getRecord`` with that key
says whether it was made. A chat message has no such key: the conversation's newest messages are
read, and one from this account with the same text sent after the draft was made is the one.
"""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from atproto import models

from ..sources.permalinks import message_url
from .base import AuthFailed, NotPermitted, SyncError
from .bluesky import BlueskyClient, iso_position
from .writes import DmRefused, Draft, ParentGone, Sent, Writer

POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
MAX_GRAPHEMES = 300


class BlueskyWriter(Writer):
    platform = "bluesky"

    def __init__(self, client: BlueskyClient) -> None:
        self.client = client
        self.account = client.account
        self.name = f"bluesky:{client.connection.name}"

    # -- what is posted --------------------------------------------------------------------------
    def preview(self, draft: Draft) -> str:
        if draft.kind == "like":
            return f"{self.name}: like {draft.target}"
        if draft.kind == "dm":
            return f"{self.name}: chat message to {draft.person}:\n{draft.text}"
        return f"{self.name}: reply to {draft.target}:\n{draft.text}"

    def send(self, draft: Draft) -> Sent:
        if len(draft.text) > MAX_GRAPHEMES:
            raise SyncError(f"{self.name}: a Bluesky post holds at most {MAX_GRAPHEMES} characters "
                            f"(this one has {len(draft.text)})")
        if draft.kind == "dm":
            return self._send_message(draft)
        parent = self._post(draft.target)
        if draft.kind == "like":
            record: dict[str, Any] = {"$type": LIKE, "subject": {"uri": parent["uri"], "cid": parent["cid"]},
                                      "createdAt": _iso(draft)}
            return self._create(LIKE, record, draft, parent["uri"])
        reply = _dict(_dict(parent.get("record")).get("reply"))
        root = _dict(reply.get("root")) if _dict(reply.get("root")).get("cid") else \
            {"uri": parent["uri"], "cid": parent["cid"]}
        record = {"$type": POST, "text": draft.text, "createdAt": _iso(draft),
                  "reply": {"root": {"uri": root["uri"], "cid": root["cid"]},
                            "parent": {"uri": parent["uri"], "cid": parent["cid"]}}}
        return self._create(POST, record, draft, parent["uri"], thread=str(root["uri"]))

    def find_sent(self, draft: Draft) -> Sent | None:
        if draft.kind == "dm":
            convo = self._convo(draft.person)
            data = self.client._query(self.client._chat_client(), "chat.bsky.convo.getMessages",
                                      models.ChatBskyConvoGetMessages.Params(convo_id=convo, limit=30), "getMessages")
            made = iso_position(draft.created_at - timedelta(minutes=5)) or ""  # the server's clock may lag
            for message in data.get("messages") or []:
                sender = _dict(message.get("sender")).get("did")
                sent_at = iso_position(message.get("sentAt")) or ""
                if sender == self.account and message.get("text") == draft.text and sent_at >= made[:19]:
                    return Sent(str(message["id"]), message_url("bluesky", None, "dm", f"chat:{convo}"),
                                f"chat:{convo}")
            return None
        collection = LIKE if draft.kind == "like" else POST
        params = models.ComAtprotoRepoGetRecord.Params(repo=self.account, collection=collection, rkey=draft.record_key)
        try:
            data = self.client._query(self.client.client, "com.atproto.repo.getRecord", params, "getRecord")
        except SyncError as exc:
            if isinstance(exc, AuthFailed) or "RecordNotFound" not in str(exc) and "HTTP 404" not in str(exc):
                raise
            return None
        uri = str(data.get("uri") or "")
        return Sent(uri, message_url("bluesky", uri), None, draft.target) if uri else None

    # -- calls --------------------------------------------------------------------------------
    def _post(self, uri: str | None) -> dict[str, Any]:
        """The post answered, with its cid and reply root (getPosts answers nothing for a deleted one)."""
        if not uri or not uri.startswith("at://"):
            raise ParentGone(f"{self.name}: {uri!r} is not a Bluesky post")
        data = self.client._query(self.client.client, "app.bsky.feed.getPosts",
                                  models.AppBskyFeedGetPosts.Params(uris=[uri]), "getPosts")
        posts = [p for p in data.get("posts") or [] if isinstance(p, dict) and p.get("uri") == uri and p.get("cid")]
        if not posts:
            raise ParentGone(f"{self.name}: the post being answered was deleted ({uri})")
        return posts[0]

    def _create(self, collection: str, record: dict[str, Any], draft: Draft, target: str,
                thread: str | None = None) -> Sent:
        data = models.ComAtprotoRepoCreateRecord.Data(repo=self.account, collection=collection, record=record,
                                                      rkey=draft.record_key)
        answer = self._procedure("com.atproto.repo.createRecord", data, "createRecord")
        uri = str(answer.get("uri") or "")
        if not uri:
            raise SyncError(f"{self.name}: createRecord did not return the new record's URI")
        return Sent(uri, message_url("bluesky", uri), thread, target)

    def _procedure(self, nsid: str, data: Any, what: str, chat: bool = False) -> dict[str, Any]:
        client = self.client._chat_client() if chat else self.client.client
        response = self.client._call(lambda: client.invoke_procedure(nsid, data=data,
                                                                     input_encoding="application/json"), what)
        content = response.content
        if not isinstance(content, dict):
            raise SyncError(f"{self.name}: {what}: the answer is not a JSON object")
        return content

    def _convo(self, did: str) -> str:
        params = models.ChatBskyConvoGetConvoForMembers.Params(members=[did])
        try:
            data = self.client._query(self.client._chat_client(), "chat.bsky.convo.getConvoForMembers", params,
                                      "getConvoForMembers")
        except (NotPermitted, AuthFailed):
            raise
        except SyncError as exc:
            if "refused" in str(exc) or "HTTP 400" in str(exc):
                raise DmRefused(f"{self.name}: {did} does not accept direct messages from this account "
                                f"({str(exc).rsplit('(', 1)[-1].rstrip(')')})") from None
            raise
        convo = _dict(data.get("convo")).get("id")
        if not isinstance(convo, str) or not convo:
            raise SyncError(f"{self.name}: getConvoForMembers did not return a conversation")
        return convo

    def _send_message(self, draft: Draft) -> Sent:
        convo = self._convo(draft.person)
        data = models.ChatBskyConvoSendMessage.Data(convo_id=convo, message={"text": draft.text})
        try:
            answer = self._procedure("chat.bsky.convo.sendMessage", data, "sendMessage", chat=True)
        except SyncError as exc:
            if not isinstance(exc, AuthFailed) and "HTTP 400" in str(exc):
                raise DmRefused(f"{self.name}: {draft.person} does not accept direct messages from this account "
                                f"({str(exc).rsplit('(', 1)[-1].rstrip(')')})") from None
            raise
        message_id = answer.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise SyncError(f"{self.name}: sendMessage did not return the message id")
        return Sent(message_id, message_url("bluesky", None, "dm", f"chat:{convo}"), f"chat:{convo}")

    def close(self) -> None:
        self.client.close()


def _iso(draft: Draft) -> str:
    return draft.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
