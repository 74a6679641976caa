"""Safe access to an export: a folder, a zip, or one file, seen as named members.

Every read is capped, zip members with ``..`` or absolute paths are refused, and
zip bombs (too large in total, or compressed too well) are refused before reading.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
import zlib
from pathlib import Path, PurePosixPath
from contextlib import contextmanager
from typing import IO, Any
from collections.abc import Iterator

from ..records import SourceError

MiB = 1024 * 1024
#: Largest single member read whole into memory (JSON documents).
MAX_MEMBER_BYTES = int(os.environ.get("TIESCALE_MAX_MEMBER_MB", "1024")) * MiB
#: Largest total uncompressed size of a zip export.
MAX_ZIP_TOTAL_BYTES = int(os.environ.get("TIESCALE_MAX_ZIP_MB", "20480")) * MiB
#: A member that expands more than this many times is a bomb (above 10 MiB).
MAX_ZIP_RATIO = 200
#: Longest line of a line-based file (CSV, JSON Lines); longer lines are rejected records.
MAX_LINE_BYTES = int(os.environ.get("TIESCALE_MAX_LINE_MB", "16")) * MiB


class ExportFiles:
    """Members of an export by relative POSIX name, whatever the container."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        if not self.path.exists():
            raise SourceError(str(path), "no such file or folder")
        if self.path.is_dir():
            self._names = sorted(
                p.relative_to(self.path).as_posix()
                for p in self.path.rglob("*")
                if p.is_file() and not p.is_symlink()
            )
        elif zipfile.is_zipfile(self.path):
            self._zip = self._open_zip(self.path)
            self._names = sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        else:
            self._names = [self.path.name]

    @staticmethod
    def _open_zip(path: Path) -> zipfile.ZipFile:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(str(path), f"not a readable zip file ({exc})") from None
        total = 0
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts or info.filename.startswith(("/", "\\")):
                raise SourceError(str(path), "zip member escapes the archive", f"member {info.filename!r}")
            total += info.file_size
            if info.file_size > 10 * MiB and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                raise SourceError(
                    str(path), f"zip member expands {info.file_size // max(info.compress_size, 1)}x: refused as a zip bomb",
                    f"member {info.filename!r}",
                )
        if total > MAX_ZIP_TOTAL_BYTES:
            raise SourceError(str(path), f"zip expands to {total // MiB} MiB, over the {MAX_ZIP_TOTAL_BYTES // MiB} MiB cap")
        return archive

    # -- naming -------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._names)

    def find(self, *basenames: str, under: str | None = None) -> list[str]:
        """Members whose file name is one of ``basenames`` (optionally below a folder name)."""
        wanted = {b.lower() for b in basenames}
        found = []
        for name in self._names:
            parts = PurePosixPath(name).parts
            if parts[-1].lower() in wanted and (under is None or under in parts[:-1]):
                found.append(name)
        return found

    def display(self, name: str) -> str:
        """How a member is named in messages: ``export.zip:data/tweets.js``."""
        if self._zip is not None:
            return f"{self.path}:{name}"
        if self.path.is_dir():
            return str(self.path / name)
        return str(self.path)

    def size(self, name: str) -> int:
        if self._zip is not None:
            return self._zip.getinfo(name).file_size
        return self._local(name).stat().st_size

    def mtime(self, name: str) -> datetime | None:
        """When a member was written: its zip entry time, else the file's modification time (UTC)."""
        try:
            if self._zip is not None:
                return datetime(*self._zip.getinfo(name).date_time, tzinfo=timezone.utc)
            stamp = self._local(name).stat().st_mtime
            return datetime.fromtimestamp(stamp, tz=timezone.utc).replace(microsecond=0)
        except (OSError, KeyError, ValueError):
            return None

    def _local(self, name: str) -> Path:
        return self.path / name if self.path.is_dir() else self.path

    # -- reading --------------------------------------------------------------------------
    def open_binary(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            return self._zip.open(name)
        return open(self._local(name), "rb")

    def read_bytes(self, name: str, cap: int = MAX_MEMBER_BYTES) -> bytes:
        try:
            with self.open_binary(name) as handle:
                data = handle.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise SourceError(self.display(name), f"damaged zip member ({exc})") from None
        except OSError as exc:
            raise SourceError(self.display(name), f"cannot read ({exc.strerror or exc})") from None
        if len(data) > cap:
            raise SourceError(self.display(name), f"file is larger than the {cap // MiB} MiB cap")
        return data

    def read_text(self, name: str, encoding: str | None = None, cap: int = MAX_MEMBER_BYTES) -> str:
        """Decode as UTF-8 (UTF-16 when a BOM says so); bad bytes are a clear error."""
        data = self.read_bytes(name, cap)
        return decode_text(data, self.display(name), encoding)

    def read_json(self, name: str, cap: int = MAX_MEMBER_BYTES) -> Any:
        return parse_json(self.read_text(name, cap=cap), self.display(name))

    def iter_lines(self, name: str, cap: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
        """Yield ``(line_number, bytes)``; an over-long line yields ``None`` and is skipped unread."""
        with self.open_binary(name) as handle:
            yield from iter_capped_lines(handle, cap)

    @contextmanager
    def on_disk(self, name: str) -> Iterator[Path]:
        """A member as a local file path, for readers that want a path (DuckDB's).

        A folder's member or a single file is given as it is; a zip member is copied to a
        temporary file that is removed when the block ends.
        """
        if self.path.is_dir():
            yield self.path / name
            return
        if self._zip is None:
            yield self.path
            return
        tmp = tempfile.NamedTemporaryFile(suffix=PurePosixPath(name).suffix, delete=False)
        try:
            with tmp, self.open_binary(name) as src:
                shutil.copyfileobj(src, tmp)
            yield Path(tmp.name)
        finally:
            Path(tmp.name).unlink(missing_ok=True)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> ExportFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_capped_lines(handle: IO[bytes], cap: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """Split a binary stream into lines, never holding more than ``cap`` bytes of one line."""
    number = 0
    pending = bytearray()
    overlong = False
    while True:
        chunk = handle.read(1 * MiB)
        if not chunk:
            break
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not overlong:
                pending += piece
                if len(pending) > cap:
                    overlong = True
                    pending.clear()
            if end < 0:
                break
            number += 1
            yield number, (None if overlong else bytes(pending))
            pending.clear()
            overlong = False
            start = end + 1
    if pending or overlong:
        number += 1
        yield number, (None if overlong else bytes(pending))


def decode_text(data: bytes, where: str, encoding: str | None = None) -> str:
    if encoding is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(where, f"bytes that are not {encoding.upper().replace('-SIG', '')} at byte {exc.start}", f"line {line}") from None


def parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(where, f"malformed JSON: {exc.msg} (column {exc.colno})", f"line {exc.lineno}") from None
    except RecursionError:
        raise SourceError(where, "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise SourceError(where, f"malformed JSON: {str(exc)[:120]}") from None

