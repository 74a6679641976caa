"""Answer in place from tiescale, and see it counted at once.

``plan_answer`` finds what to answer (a message by its platform id, or a person's newest waiting
message on Bluesky or Mastodon), fills a saved reply's placeholders, and reads the draft with the
classifier: a promotional answer to a question or complaint gets a warning. ``send_answer`` posts it
through the connected account, once:

1. the send is written to ``engage_sends`` as *pending*, with the key the platform is given
   (Bluesky record key, Mastodon ``Idempotency-Key``), before the platform is asked;
2. a dropped connection or a 5xx: the platform is asked whether the post exists under that key,
   and only if it does not is it sent again, with the same key: a retry never posts twice;
3. once posted, in one transaction: the outbound touchpoint (the platform's id, so the next sync
   deduplicates it) goes through the import path and the send is marked *sent*; then the person is
   marked done (their queue item closes) and the caller refreshes derived state (scores, queue).

A rate limit, refused credentials, a deleted parent or a refused DM is one clear line; nothing is
recorded as sent (the send is marked *failed* with that line, never a secret).
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..insights.actions import mark_done
from ..records import UsageError
from ..store.db import Store
from ..store.identity import PersonNotFound, find_person
from ..store.ingest import ingest_path
from ..text.needs import COMPLAINT_RE, QUESTION_RE
from .base import AuthFailed, RateLimited, SyncError, TransientError
from .credentials import Connection, load_connections
from .runner import redact
from .snippets import fill_placeholders, fill_snippet
from .writes import Draft, Sent, Writer, tid_for

ANSWERABLE = ("bluesky", "mastodon")
INBOUND_KINDS = ("reply", "mention", "comment", "dm", "quote")


@dataclass
class Target:
    """What an answer goes to: the person, and the message answered (None: a new DM)."""

    platform: str
    account: str
    person: str  # the identity's handle
    person_id: int
    item_id: str | None
    message_kind: str | None  # the answered message's kind (dm: the answer is a DM too)
    message_text: str | None = None
    need: str | None = None  # question | complaint | None


@dataclass
class Plan:
    target: Target
    draft: Draft
    key: str  # the send's idempotency key (engage_sends.send_key)
    warnings: list[str] = field(default_factory=list)
    verdict: str | None = None  # the classifier's label of the draft


@dataclass
class Outcome:
    status: str  # sent | already sent | dry run
    plan: Plan
    sent: Sent | None = None
    preview: str | None = None

    def to_dict(self) -> dict[str, Any]:
        draft = self.plan.draft
        return {"status": self.status, "platform": self.plan.target.platform, "account": self.plan.target.account,
                "person": self.plan.target.person, "kind": draft.kind, "target": draft.target, "text": draft.text,
                "id": self.sent.item_id if self.sent else None, "url": self.sent.url if self.sent else None,
                "preview": self.preview, "warnings": self.plan.warnings}


class DraftWarning(UsageError):
    """The classifier reads the draft as promotional, in answer to a question or complaint."""


WriterFactory = Callable[[Connection], Writer]


# -- what to answer ------------------------------------------------------------------------------
def find_target(store: Store, ref: str, prefer_dm: bool = False) -> Target:
    """``ref``: a message's platform id (``at://...``, a status URI, a chat message id), or a person
    (``platform:handle``, ``#id``, ``@name``): then their newest waiting message on Bluesky or Mastodon
    (their newest DM with ``prefer_dm``), else their newest one, else a new DM to them."""
    ref = ref.strip()
    platforms = list(ANSWERABLE)
    item = _message(store, ref) if ref.startswith(("at://", "https://")) or ":" not in ref else None
    if item is not None:
        return _target(store, item)
    if ref.startswith(("at://", "https://")):
        raise UsageError(f"no message {ref!r} from anyone on Bluesky or Mastodon in the store")
    try:
        person_id = find_person(store, ref)
    except PersonNotFound:
        raise UsageError(f"no person or message {ref!r} in the store") from None
    dm_first = "kind = 'dm' DESC," if prefer_dm else ""
    row = store.row(f"""
        SELECT platform, account, person AS handle, person_id, item_id, kind, text FROM answer_messages
        WHERE person_id = ? AND platform IN (SELECT unnest(?)) AND item_id IS NOT NULL
        ORDER BY {dm_first} answered_at IS NULL DESC, ts DESC LIMIT 1""", [person_id, platforms])
    if row is None:
        row = store.row(f"""
            SELECT platform, account, handle, person_id, item_id, kind, text FROM touchpoints
            WHERE person_id = ? AND platform IN (SELECT unnest(?)) AND direction = 'in'
              AND kind IN (SELECT unnest(?)) AND item_id IS NOT NULL
            ORDER BY {dm_first} ts DESC NULLS LAST LIMIT 1""", [person_id, platforms, list(INBOUND_KINDS)])
    if row is None:  # nothing to answer: a new DM to their identity on a connected platform
        row = store.row("""
            SELECT t.platform, t.account, t.handle, t.person_id, NULL AS item_id, 'dm' AS kind, NULL AS text
            FROM touchpoints t WHERE t.person_id = ? AND t.platform IN (SELECT unnest(?))
            ORDER BY t.ts DESC NULLS LAST LIMIT 1""", [person_id, platforms])
    if row is None:
        raise UsageError(f"{ref}: no touchpoint with them on Bluesky or Mastodon, the platforms tiescale "
                         "answers on; open their message from `tiescale person` instead")
    return _target(store, row)


def _message(store: Store, item_id: str) -> dict[str, Any] | None:
    return store.row("""SELECT platform, account, handle, person_id, item_id, kind, text FROM touchpoints
                        WHERE item_id = ? AND direction = 'in' AND platform IN (SELECT unnest(?))
                        ORDER BY ts DESC NULLS LAST LIMIT 1""", [item_id, list(ANSWERABLE)])


def _target(store: Store, row: dict[str, Any]) -> Target:
    text = row.get("text")
    need = store.scalar("SELECT CASE WHEN regexp_matches(lower(coalesce(?, '')), ?) THEN 'complaint' "
                        "WHEN regexp_matches(lower(coalesce(?, '')), ?) THEN 'question' END",
                        [text, COMPLAINT_RE, text, QUESTION_RE]) if text else None
    return Target(row["platform"], row["account"], row["handle"], int(row["person_id"]), row.get("item_id"),
                  row.get("kind"), text, need)


def plan_answer(store: Store, ref: str, text: str, kind: str = "reply", snippet: str | None = None) -> Plan:
    """The draft for ``ref``: ``kind`` reply (a DM when the message answered was one), dm or like."""
    target = find_target(store, ref, prefer_dm=kind == "dm")
    if snippet is not None:
        text = fill_snippet(store, snippet, target.person_id, extra=text, account=target.account)
    else:
        text = fill_placeholders(store, text, target.person_id, target.account)
    text = text.strip()
    if kind != "like" and not text:
        raise UsageError("the answer is empty")
    if kind == "reply" and target.message_kind == "dm":
        kind = "dm"
    if kind == "reply" and target.item_id is None:
        raise UsageError(f"{ref}: no message of theirs to reply to; send a DM with --dm")
    if kind == "like" and (target.item_id is None or target.message_kind == "dm"):
        raise UsageError(f"{ref}: no post of theirs to like")
    answered = target.item_id if kind != "dm" or target.platform == "mastodon" else None
    if kind == "dm" and target.message_kind != "dm":
        answered = None  # a DM about a public post starts (or continues) the conversation
    key_text = "" if kind == "like" else text
    # the same text to the same message is the same send (a retry); to a new message, or a new DM on
    # another day, it is a new one
    about = target.item_id or f"day:{datetime.now(timezone.utc):%Y-%m-%d}"
    send_key = hashlib.sha256("\x1f".join([target.platform, target.account, target.person, kind, about,
                                           key_text]).encode()).hexdigest()[:32]
    earlier = store.row("SELECT record_key, created_at FROM engage_sends WHERE send_key = ?", [send_key])
    created = earlier["created_at"] if earlier else datetime.now(timezone.utc)
    record_key = earlier["record_key"] if earlier else (
        tid_for(send_key, created) if target.platform == "bluesky" else f"tiescale-{send_key}")
    draft = Draft(kind, target.person, answered, "" if kind == "like" else text, record_key, created)
    plan = Plan(target, draft, send_key)
    if kind != "like":
        from ..classify import classify_texts  # the model loads when a draft is read

        verdict = classify_texts([text])[0]
        plan.verdict = verdict.label
        if verdict.label == "promotional" and target.need:
            cues = f" ({', '.join(verdict.cues[:3])})" if verdict.cues else ""
            plan.warnings.append(f"this answer reads as promotional{cues}, in answer to a {target.need}: "
                                 "answer what they asked first (send anyway with --anyway)")
    return plan


def default_writer(connection: Connection) -> Writer:
    """A logged-in writer for a connected account (the sync clients' login and error mapping)."""
    if connection.platform == "bluesky":
        from .bluesky import BlueskyClient
        from .bluesky_write import BlueskyWriter

        return BlueskyWriter(BlueskyClient(connection))
    from .mastodon import MastodonClient
    from .mastodon_write import MastodonWriter

    return MastodonWriter(MastodonClient(connection))


# -- sending -------------------------------------------------------------------------------------
def connection_for(platform: str, account: str, connections: list[Connection] | None = None) -> Connection:
    """The connected account that owns ``account`` (Bluesky DID or Mastodon user@host)."""
    found = connections if connections is not None else load_connections()
    for connection in found:
        if connection.platform == platform and account in (connection.account_id, connection.name):
            return connection
    raise UsageError(f"{platform} account {account} is not connected; run `tiescale connect {platform}` first")


def send_answer(store: Store, plan: Plan, writer_factory: WriterFactory = default_writer, dry_run: bool = False,
                anyway: bool = False, connections: list[Connection] | None = None) -> Outcome:
    """Post ``plan`` once (see the module's docstring); ``dry_run``: exactly what would be posted."""
    if plan.warnings and not anyway and not dry_run:
        raise DraftWarning(plan.warnings[0])
    target, draft = plan.target, plan.draft
    key = plan.key
    earlier = store.row("SELECT status, sent_id, sent_url FROM engage_sends WHERE send_key = ?", [key])
    if earlier is not None and earlier["status"] == "sent" and not dry_run:
        return Outcome("already sent", plan, Sent(earlier["sent_id"], earlier["sent_url"]))
    connection = connection_for(target.platform, target.account, connections)
    secrets = connection.secrets()
    try:
        writer = writer_factory(connection)
    except SyncError as exc:
        raise SyncError(redact(_one_line(exc), secrets)) from None
    try:
        if dry_run:
            return Outcome("dry run", plan, preview=writer.preview(draft))
        _remember(store, key, plan, "pending")
        attempt = _Attempt(maybe_posted=earlier is not None and earlier["status"] == "pending")
        try:
            # a send left pending (the connection dropped before the answer): ask the platform first
            found = writer.find_sent(draft) if attempt.maybe_posted else None
            sent = found or _post_once(writer, draft, attempt)
        except Exception as exc:  # noqa: BLE001 - every failure is one line; expected ones name their cause
            expected = isinstance(exc, SyncError)
            # it may have been posted (an answer lost): the key stays pending, a retry asks the platform first
            unknown = attempt.maybe_posted or not expected or (
                isinstance(exc, TransientError) and not isinstance(exc, RateLimited))
            cause = " ".join(str(exc).split()) if expected else \
                f"{target.platform}: unexpected failure while sending ({type(exc).__name__})"
            line = redact(_unknown_line(cause) if unknown else _one_line(exc), secrets)
            _remember(store, key, plan, "pending" if unknown else "failed", error=line)
            raise SyncError(line) from None
        _record_sent(store, key, plan, sent)
        return Outcome("sent", plan, sent)
    finally:
        writer.close()


@dataclass
class _Attempt:
    maybe_posted: bool = False  # a send may have reached the platform (its answer was lost)


def _post_once(writer: Writer, draft: Draft, attempt: _Attempt) -> Sent:
    """Send; after a transient failure ask the platform first, and resend (same key) only if absent."""
    try:
        return writer.send(draft)
    except RateLimited:
        raise
    except TransientError:
        attempt.maybe_posted = True
        found = writer.find_sent(draft)
        if found is not None:
            return found
        return writer.send(draft)


def _unknown_line(cause: str) -> str:
    return (f"{cause}. Whether it was posted is unknown: a retry asks the platform first. "
            "Nothing was recorded as sent.")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, RateLimited):
        wait = f"; try again in {exc.retry_after:.0f} s" if exc.retry_after is not None else "; try again later"
        return f"{text}{wait}. Nothing was sent."
    if isinstance(exc, AuthFailed):
        return f"{text}; run `tiescale connect` again. Nothing was sent."
    return f"{text}. Nothing was recorded as sent."


def _remember(store: Store, key: str, plan: Plan, status: str, error: str | None = None) -> None:
    target, draft = plan.target, plan.draft
    with store.transaction() as con:
        con.execute("DELETE FROM engage_sends WHERE send_key = ?", [key])
        con.execute("""INSERT INTO engage_sends (send_key, platform, account, person, person_id, kind, target, text,
                                                 record_key, status, error, created_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [key, target.platform, target.account, target.person, target.person_id, draft.kind, draft.target,
                     draft.text, draft.record_key, status, error, draft.created_at])


def _record_sent(store: Store, key: str, plan: Plan, sent: Sent) -> None:
    """The outbound touchpoint through the import path and the send marked sent, in one transaction;
    then the person's queue item closes (done, with the link as the note)."""
    target, draft = plan.target, plan.draft
    now = datetime.now(timezone.utc)
    row = {"ts": now.isoformat(), "account": target.account, "person": target.person, "direction": "out",
           "kind": draft.kind, "platform": target.platform, "id": sent.item_id,
           "text": draft.text or None, "in_reply_to": draft.target, "thread": sent.thread}
    with tempfile.TemporaryDirectory(prefix="tiescale-engage-") as folder:
        path = Path(folder) / f"sent-{key[:12]}.jsonl"
        path.write_text(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n",
                        encoding="utf-8")

        def mark_sent(con: Any, _summary: Any) -> None:
            con.execute("UPDATE engage_sends SET status = 'sent', sent_id = ?, sent_url = ?, sent_at = ?, error = NULL "
                        "WHERE send_key = ?", [sent.item_id, sent.url, now, key])

        ingest_path(store, path, fmt="events", before_commit=mark_sent)
    what = {"reply": "replied", "dm": "sent a DM", "like": "liked their post"}[draft.kind]
    mark_done(store, f"#{target.person_id}", note=f"{what} on {target.platform}" + (f": {sent.url}" if sent.url else ""))


def sent_log(store: Store, person_id: int | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Answers sent from tiescale, newest first (for a person's page)."""
    where = "WHERE person_id = ?" if person_id is not None else ""
    params: list[Any] = [person_id] if person_id is not None else []
    return store.rows(f"""SELECT platform, account, person, kind, target, text, status, sent_id, sent_url, error,
                                 created_at, sent_at FROM engage_sends {where}
                          ORDER BY created_at DESC LIMIT {int(limit)}""", params)


__all__ = ["ANSWERABLE", "DraftWarning", "Outcome", "Plan", "Target", "connection_for", "default_writer", "find_target",
           "plan_answer", "send_answer", "sent_log"]
