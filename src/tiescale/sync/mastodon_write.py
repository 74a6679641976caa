"""Answer in place on Mastodon: a reply in the thread, a direct message, a favourite.

Logs in through :class:`~tiescale.sync.mastodon.MastodonClient` (the same error mapping). The note
answered is found on the own instance by its URI (``/api/v2/search`` with ``resolve``): none means
it was deleted. A status is posted with the draft's key as ``Idempotency-Key`` (the instance
answers a repeat with the status it already made); after a failure the own newest statuses are
read for one answering the same note with the same text.
"""
from __future__ import annotations

from typing import Any

from ..sources._text import html_to_text
from ..sources.permalinks import message_url, safe_url
from .base import SyncError
from .mastodon import MastodonClient
from .writes import DmRefused, Draft, ParentGone, Sent, Writer

MAX_CHARACTERS = 500


class MastodonWriter(Writer):
    platform = "mastodon"

    def __init__(self, client: MastodonClient) -> None:
        self.client = client
        self.account = client.account
        self.name = f"mastodon:{client.connection.name}"

    def text_for(self, draft: Draft) -> str:
        """The status as posted: it names the person (``@user@host``), or they are not told."""
        mention = f"@{draft.person}"
        local = draft.person.split("@")[0]
        host = self.client.instance_host
        named = mention in draft.text or (draft.person.endswith(f"@{host}") and f"@{local} " in f"{draft.text} ")
        return draft.text if named else f"{mention} {draft.text}"

    def preview(self, draft: Draft) -> str:
        if draft.kind == "like":
            return f"{self.name}: favourite {draft.target}"
        where = "direct message (visibility: direct)" if draft.kind == "dm" else "public reply"
        to = f" to {draft.target}" if draft.target else ""
        return f"{self.name}: {where}{to}:\n{self.text_for(draft)}"

    def send(self, draft: Draft) -> Sent:
        text = self.text_for(draft)
        if draft.kind != "like" and len(text) > MAX_CHARACTERS:
            raise SyncError(f"{self.name}: a status holds at most {MAX_CHARACTERS} characters (this one has "
                            f"{len(text)})")
        parent = self._local_status(draft.target) if draft.target else None
        api = self.client.api
        if draft.kind == "like":
            if parent is None:
                raise ParentGone(f"{self.name}: nothing to favourite")
            self.client._raw(api.status_favourite, "favourite", id=parent["id"])
            return Sent(f"favourite:{draft.target}", message_url("mastodon", draft.target), None, draft.target)
        visibility = "direct" if draft.kind == "dm" else _reply_visibility(parent)
        try:
            status = self.client._raw(api.status_post, "post status", status=text,
                                      in_reply_to_id=parent["id"] if parent else None, visibility=visibility,
                                      idempotency_key=draft.record_key)
        except SyncError as exc:
            if draft.kind == "dm" and "422" in str(exc):
                raise DmRefused(f"{self.name}: {draft.person} cannot be sent a direct message ({exc})") from None
            raise
        return _sent(status, draft)

    def find_sent(self, draft: Draft) -> Sent | None:
        parent = self._local_status(draft.target) if draft.target else None
        if draft.kind == "like":
            return Sent(f"favourite:{draft.target}", message_url("mastodon", draft.target), None, draft.target) \
                if parent and parent.get("favourited") else None
        statuses = self.client._list(self.client.api.account_statuses, "statuses", id=self.client.account_id,
                                     limit=20)
        wanted = " ".join(self.text_for(draft).split())
        for status in statuses:
            if parent is not None and str(status.get("in_reply_to_id")) != str(parent["id"]):
                continue
            if " ".join((html_to_text(str(status.get("content") or "")) or "").split()) == wanted:
                return _sent(status, draft)
        return None

    def _local_status(self, uri: str | None) -> dict[str, Any]:
        """The note as the own instance knows it (its local id); ParentGone when it is no more."""
        found = self.client._raw(self.client.api.search_v2, "search", q=uri, resolve=True, result_type="statuses",
                                 exclude_unreviewed=False)  # True makes Mastodon.py ask the version first
        statuses = [s for s in (found.get("statuses") or []) if isinstance(s, dict) and s.get("id")] \
            if isinstance(found, dict) else []
        if not statuses:
            raise ParentGone(f"{self.name}: the post being answered was deleted or cannot be reached ({uri})")
        return statuses[0]

    def close(self) -> None:
        self.client.close()


def _reply_visibility(parent: dict[str, Any] | None) -> str:
    """A reply is as visible as what it answers, never more (an unlisted note gets an unlisted reply)."""
    seen = str((parent or {}).get("visibility") or "public")
    return seen if seen in ("public", "unlisted", "private", "direct") else "public"


def _sent(status: Any, draft: Draft) -> Sent:
    if not isinstance(status, dict) or not status.get("uri"):
        raise SyncError("mastodon: the instance did not return the new status")
    uri = str(status["uri"])
    return Sent(uri, safe_url(status.get("url")) or message_url("mastodon", uri), None, draft.target)
