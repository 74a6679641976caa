"""How to reach each connected account, kept outside the store.

Connections live in ``$XDG_CONFIG_HOME/tiescale/connections.toml`` (``~/.config`` when the
variable is unset): the folder is created ``0700`` and the file written ``0600``, atomically.
A secret given at the prompt or on the command line (which warns: the process list and shell
history show it) is stored in the system keyring when the optional ``keyring`` package has a
backend, else in that file; a secret given only through the
environment (``TIESCALE_BLUESKY_APP_PASSWORD``, ``TIESCALE_MASTODON_TOKEN``) is not written
anywhere and is read again at every sync. Secrets are :class:`Secret` values: their ``str`` and
``repr`` are ``***``, so they cannot end up in a log line, an error or the store by accident.
"""
from __future__ import annotations

import ipaddress
import json
import os
import stat
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..records import UsageError

BLUESKY_PASSWORD_ENV = "TIESCALE_BLUESKY_APP_PASSWORD"
MASTODON_TOKEN_ENV = "TIESCALE_MASTODON_TOKEN"
DEFAULT_BLUESKY_SERVICE = "https://bsky.social"
CONNECTIONS_FILE = "connections.toml"
PLATFORMS = ("bluesky", "mastodon")


class Secret:
    """A password or token: usable through :meth:`reveal`, shown as ``***`` everywhere else."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass
class Connection:
    """One connected account. ``name`` is how ``tiescale sync NAME`` picks it."""

    platform: str  # bluesky | mastodon
    name: str  # the Bluesky handle, or the Mastodon user@host (the instance host until known)
    service: str  # the Bluesky service URL, or the Mastodon instance URL
    secret: Secret | None = None  # None: read from the environment at sync time
    secret_in_file: bool = False
    account_id: str | None = None  # the Bluesky DID or the Mastodon account id, once known
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.name}"

    def resolved_secret(self) -> Secret:
        """The stored secret, else the environment's; a clear error when there is neither."""
        if self.secret:
            return self.secret
        env = BLUESKY_PASSWORD_ENV if self.platform == "bluesky" else MASTODON_TOKEN_ENV
        value = os.environ.get(env, "")
        if not value:
            what = "app password" if self.platform == "bluesky" else "access token"
            raise UsageError(f"{self.key}: no {what} stored and ${env} is not set; "
                             f"run `tiescale connect {self.platform}` again or set ${env}")
        return Secret(value)

    def secrets(self) -> list[str]:
        """Every secret this connection may use, for redaction."""
        values = [self.secret.reveal()] if self.secret else []
        for env in (BLUESKY_PASSWORD_ENV, MASTODON_TOKEN_ENV):
            if os.environ.get(env):
                values.append(os.environ[env])
        return [v for v in values if v]


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tiescale"


def connections_path() -> Path:
    return config_dir() / CONNECTIONS_FILE


def normalize_service(url: str, what: str) -> str:
    """``https://host[:port][/path]`` without a trailing slash; a bare host gets ``https://``."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UsageError(f"{what} {url!r}: plain http:// would send the password or token in clear; "
                         "use https:// (http:// is accepted only for this machine: localhost, 127.0.0.1, ::1)")
    if parts.username or parts.password:
        raise UsageError(f"{what} must not carry a user name or password")
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- the system keyring (optional: ``pip install keyring``) -----------------------------------------
KEYRING_SERVICE = "tiescale"
#: In the connections file, where a secret is when it is not in the file itself.
IN_KEYRING = "keyring"


def system_keyring() -> Any | None:
    """The ``keyring`` module when it is installed and a real backend exists, else ``None``.

    Without one (no package, or only keyring's "fail" backend on a headless machine), secrets
    stay in the 0600 connections file.
    """
    if os.environ.get("TIESCALE_NO_KEYRING"):
        return None
    try:
        import keyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken backend is no keyring
        return None
    if type(backend).__module__.startswith("keyring.backends.fail") or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


def load_connections(path: Path | None = None) -> list[Connection]:
    path = path or connections_path()
    if not path.exists():
        return []
    _check_permissions(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not readable as TOML ({exc})") from None
    found: list[Connection] = []
    for platform in PLATFORMS:
        table = data.get(platform, {})
        for name, entry in (table.items() if isinstance(table, dict) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("service"), str):
                raise UsageError(f"{path}: [{platform}.{name!r}] has no service URL")
            secret = entry.get("secret")
            if entry.get("secret_store") == IN_KEYRING:
                ring = system_keyring()
                secret = ring.get_password(KEYRING_SERVICE, f"{platform}:{name}") if ring is not None else None
            found.append(Connection(
                platform=platform, name=name, service=entry["service"],
                secret=Secret(secret) if isinstance(secret, str) and secret else None,
                secret_in_file=isinstance(secret, str) and bool(secret),
                account_id=entry.get("account_id") if isinstance(entry.get("account_id"), str) else None,
                extra={k: v for k, v in entry.items() if k not in ("service", "secret", "account_id", "secret_store")
                       and isinstance(v, str)},
            ))
    return found


def save_connection(connection: Connection, path: Path | None = None, replaces: str | None = None) -> Path:
    """Add or replace one connection (``replaces``: the key of an entry it supersedes)."""
    path = path or connections_path()
    kept = [c for c in load_connections(path) if c.key not in (connection.key, replaces)]
    _write(path, [*kept, connection])
    return path


def remove_connection(key: str, path: Path | None = None) -> bool:
    path = path or connections_path()
    existing = load_connections(path)
    kept = [c for c in existing if c.key != key]
    if len(kept) != len(existing):
        _write(path, kept)
        ring = system_keyring()
        if ring is not None:
            try:
                ring.delete_password(KEYRING_SERVICE, key)
            except Exception:  # noqa: BLE001 - it was in the file, not the keyring
                pass
    return len(kept) != len(existing)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _write(path: Path, connections: list[Connection]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    lines = ["# tiescale connections: written by `tiescale connect`. Keep this file private (0600).", ""]
    for c in sorted(connections, key=lambda c: c.key):
        lines.append(f"[{c.platform}.{_toml_string(c.name)}]")
        lines.append(f"service = {_toml_string(c.service)}")
        if c.account_id:
            lines.append(f"account_id = {_toml_string(c.account_id)}")
        for key, value in sorted(c.extra.items()):
            lines.append(f"{key} = {_toml_string(value)}")
        if c.secret and c.secret_in_file:
            ring = system_keyring()
            if ring is not None:
                ring.set_password(KEYRING_SERVICE, c.key, c.secret.reveal())
                lines.append(f"secret_store = {_toml_string(IN_KEYRING)}")
            else:
                lines.append(f"secret = {_toml_string(c.secret.reveal())}")
        lines.append("")
    fd, temp = tempfile.mkstemp(prefix=".connections-", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _check_permissions(path: Path) -> None:
    """Refuse a connections file others can read: it may hold secrets."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(f"{path}: readable by other users (mode {stat.S_IMODE(mode):o}); "
                         f"run `chmod 600 {path}`")


# -- Bluesky sessions ---------------------------------------------------------------------------
# createSession is rate limited hard (about 30 per 5 minutes and 300 a day per account): a sync
# every few minutes must not log in every time. The session (access and refresh tokens, as the
# atproto client exports it) is kept next to the connections, 0600, and refreshed by the client.
def session_path(connection: Connection) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in connection.name)
    return config_dir() / "sessions" / f"{connection.platform}-{safe}.session"


def load_session(connection: Connection) -> str | None:
    path = session_path(connection)
    if not path.exists():
        return None
    _check_permissions(path)
    text = path.read_text(encoding="utf-8").strip()
    return text or None


def save_session(connection: Connection, text: str) -> None:
    path = session_path(connection)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent.parent, 0o700)
    os.chmod(path.parent, 0o700)
    fd, temp = tempfile.mkstemp(prefix=".session-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def forget_session(connection: Connection) -> None:
    session_path(connection).unlink(missing_ok=True)
