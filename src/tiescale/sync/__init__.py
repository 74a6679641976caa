"""Live sync for the open platforms (Bluesky, Mastodon): connect once, pull what is new.

Python API (the CLI and the web dashboard call these):

- :func:`connect` checks the credentials against the server and stores the connection in the
  user's config directory (never in the store);
- :func:`tiescale.sync.runner.sync_store` pulls what is new into a store;
- :func:`tiescale.sync.runner.run_every` repeats a sync on a schedule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from ..records import UsageError
from .base import PlatformClient
from .credentials import (
    DEFAULT_BLUESKY_SERVICE, Connection, Secret, connections_path, forget_session, load_connections,
    normalize_service, save_connection,
)
from .runner import RetryPolicy, StreamReport, SyncReport, default_client, run_every, sync_store


@dataclass
class Connected:
    platform: str
    name: str
    account: str  # the id the store uses: the Bluesky DID, the Mastodon user@host
    service: str
    secret_stored: bool
    path: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def connect(platform: str, name: str | None, service: str, secret: str | None,
            client_factory: Callable[[Connection, RetryPolicy], PlatformClient] = default_client,
            policy: RetryPolicy | None = None) -> Connected:
    """Log in once to check the credentials, then save the connection (``0600``).

    ``secret`` None: the secret comes from the environment at every sync and is not written.
    """
    if platform not in ("bluesky", "mastodon"):
        raise UsageError(f"unknown platform {platform!r}; choose bluesky or mastodon")
    what = "--service" if platform == "bluesky" else "--instance"
    service = normalize_service(service, what)
    if platform == "bluesky":
        if not name or not name.strip().lstrip("@"):
            raise UsageError("--handle is required")
        name = name.strip().lstrip("@").lower()
    connection = Connection(platform=platform, name=name or "", service=service,
                            secret=Secret(secret) if secret else None, secret_in_file=bool(secret))
    connection.resolved_secret()  # a clear error now when there is no secret at all
    forget_session(connection)  # a new password: log in with it, not with an old session
    client = client_factory(connection, policy or RetryPolicy(attempts=2))
    try:
        account = client.account
        if platform == "mastodon":
            connection.name = account
            connection.account_id = getattr(client, "account_id", None)
        else:
            connection.account_id = account
            handle = getattr(client, "handle", None)
            if handle:
                connection.extra["handle"] = handle
    finally:
        client.close()
    path = save_connection(connection)
    return Connected(platform, connection.name, account, service, connection.secret_in_file, str(path))


def list_connections() -> list[dict[str, Any]]:
    """Connected accounts, without their secrets."""
    return [{"platform": c.platform, "name": c.name, "service": c.service, "account": c.account_id,
             "secret": "stored" if c.secret_in_file else "from environment"} for c in load_connections()]


__all__ = ["Connected", "Connection", "RetryPolicy", "StreamReport", "SyncReport", "connect", "connections_path",
           "list_connections", "run_every", "sync_store", "DEFAULT_BLUESKY_SERVICE"]
