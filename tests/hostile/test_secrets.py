"""Issue 18, point 11 (secrets): no http:// except loopback, a warning for secrets given as
arguments, the system keyring when one exists (else the 0600 file)."""
from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from tiescale.records import UsageError
from tiescale.surfaces.cli import main
from tiescale.sync.credentials import Connection, Secret, connections_path, load_connections, normalize_service, \
    save_connection


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.mark.parametrize("url", ["http://mastodon.example", "http://10.0.0.5:8080", "http://bsky.social"])
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="https"):
        normalize_service(url, "--instance")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:9000",
                                 "https://mastodon.example"])
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert normalize_service(url, "--instance") == url


def test_a_secret_given_as_an_option_warns_and_http_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.duckdb"), "connect", "mastodon",
                                       "--instance", "http://coast.example", "--token", "tok-123"])
    assert result.exit_code == 2
    assert "process list" in result.stderr
    assert "https" in result.stderr
    assert "tok-123" not in result.output
    assert not connections_path().exists()


class _MemoryKeyring:
    priority = 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}


def _fake_keyring_module(ring: _MemoryKeyring) -> types.ModuleType:
    module = types.ModuleType("keyring")
    module.get_keyring = lambda: ring  # type: ignore[attr-defined]
    module.set_password = lambda s, u, p: ring.values.__setitem__((s, u), p)  # type: ignore[attr-defined]
    module.get_password = lambda s, u: ring.values.get((s, u))  # type: ignore[attr-defined]
    module.delete_password = lambda s, u: ring.values.pop((s, u))  # type: ignore[attr-defined]
    return module


def test_with_a_keyring_the_secret_is_not_written_to_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    ring = _MemoryKeyring()
    monkeypatch.setitem(sys.modules, "keyring", _fake_keyring_module(ring))
    connection = Connection("mastodon", "me@coast.example", "https://coast.example", Secret("tok-secret-9"),
                            secret_in_file=True)
    path = save_connection(connection)
    assert "tok-secret-9" not in path.read_text()
    assert ring.values == {("tiescale", "mastodon:me@coast.example"): "tok-secret-9"}
    [loaded] = load_connections()
    assert loaded.resolved_secret().reveal() == "tok-secret-9"


def test_without_a_keyring_the_secret_stays_in_the_private_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    connection = Connection("mastodon", "me@coast.example", "https://coast.example", Secret("tok-secret-9"),
                            secret_in_file=True)
    path = save_connection(connection)
    assert "tok-secret-9" in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
