"""Safe access to an export: a folder, a zip, or one file, seen as named members.

Every read is capped, zip members with ``..`` or absolute paths are refused, and
zip bombs (too large in total, or compressed too well) are refused before reading.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
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
#: Most members a zip export may list (real exports hold thousands, not millions).
MAX_ZIP_MEMBERS = int(os.environ.get("TIESCALE_MAX_ZIP_MEMBERS", "200000"))
#: Below this total expansion a zip is never a bomb, whatever its ratio.
ZIP_RATIO_FLOOR_BYTES = 10 * MiB
#: Longest single value (a text, a name) a record may carry, in characters; a record with a longer
#: one is one rejected record (its value is not stored), the rest of the file imports.
MAX_VALUE_CHARS = int(os.environ.get("TIESCALE_MAX_VALUE_KB", "1024")) * 1024
# Every CSV reader of every parser: a field may be as long as a line may (the line cap bounds it),
# not Python's default 128 KiB, past which csv raises an error parsers did not expect.
csv.field_size_limit(MAX_LINE_BYTES)
#: Errors a damaged zip member raises while it is opened or read (``OSError`` for a bad offset).
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


class ExportFiles:
    """Members of an export by relative POSIX name, whatever the container."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        #: Entries of a folder that are not read (links, FIFOs, devices), as (name, reason):
        #: an import reports each as a rejected record, never drops it silently.
        self.ignored: list[tuple[str, str]] = []
        if not self.path.exists():
            raise SourceError(str(path), "no such file or folder")
        if self.path.is_dir():
            self._names = sorted(self._folder_members())
        elif not stat.S_ISREG(self.path.stat().st_mode):  # a FIFO would block the first read forever
            raise SourceError(str(path), "not a regular file or folder (a pipe, socket or device is not read)")
        elif zipfile.is_zipfile(self.path):
            self._zip = self._open_zip(self.path)
            self._names = sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        else:
            self._names = [self.path.name]

    def _folder_members(self) -> Iterator[str]:
        for entry in self.path.rglob("*"):
            name = entry.relative_to(self.path).as_posix()
            if entry.is_symlink():
                self.ignored.append((name, "a symbolic link: not followed"))
            elif entry.is_file():
                yield name
            elif not entry.is_dir():
                self.ignored.append((name, "not a regular file (a pipe, socket or device): not read"))

    @staticmethod
    def _open_zip(path: Path) -> zipfile.ZipFile:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise SourceError(str(path), f"not a readable zip file ({exc})") from None
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            archive.close()
            raise SourceError(str(path), f"zip lists {len(infos):,} members, over the {MAX_ZIP_MEMBERS:,} members cap")
        total = 0
        for info in infos:
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
        packed = max(path.stat().st_size, 1)
        if total > ZIP_RATIO_FLOOR_BYTES and total > MAX_ZIP_RATIO * packed:
            # many small members that each pass the member check can still add up to a bomb
            raise SourceError(str(path), f"zip expands {total // packed}x in total ({total // MiB} MiB): "
                                         "refused as a zip bomb")
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
        """A member opened for reading; a damaged zip entry is a :class:`SourceError` naming it."""
        try:
            if self._zip is not None:
                return self._zip.open(name)
            return open(self._local(name), "rb")
        except DAMAGED as exc:
            raise self.unreadable(name, exc) from None

    def unreadable(self, name: str, exc: BaseException) -> SourceError:
        """The error that names a member that cannot be read, and why."""
        if self._zip is not None:
            return SourceError(self.display(name), f"damaged zip member ({str(exc)[:120]})")
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:120]
        return SourceError(self.display(name), f"cannot read ({reason})")

    def head(self, name: str, size: int = 65536) -> bytes:
        """The first bytes of a member, for format detection: never raises.

        A damaged or unreadable member gives ``b""`` (it is simply no evidence of a format;
        reading it later names the damage). A UTF-8 byte order mark is dropped and UTF-16/32
        text is given as UTF-8, so that detection sees what a decoder will.
        """
        try:
            with self.open_binary(name) as handle:
                data = handle.read(size)
        except (SourceError, *DAMAGED):
            return b""
        return head_as_utf8(data)

    def read_bytes(self, name: str, cap: int = MAX_MEMBER_BYTES) -> bytes:
        try:
            with self.open_binary(name) as handle:
                data = handle.read(cap + 1)
        except DAMAGED as exc:
            raise self.unreadable(name, exc) from None
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
            try:
                yield from iter_capped_lines(handle, cap)
            except DAMAGED as exc:
                raise self.unreadable(name, exc) from None

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
                try:
                    shutil.copyfileobj(src, tmp)
                except DAMAGED as exc:
                    raise self.unreadable(name, exc) from None
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


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
         (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig"))


def head_as_utf8(data: bytes) -> bytes:
    """The first bytes of a file as UTF-8 without a byte order mark (for detection only)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding == "utf-8-sig":
                return data[len(bom):]
            return data.decode(encoding, errors="ignore").encode("utf-8")
    return data


def line_shape(handle: IO[bytes], separator: bytes, chunk_bytes: int = 4 * MiB) -> tuple[int, int]:
    """The longest line (bytes) and the most ``separator`` bytes on one line, read in chunks.

    A cheap pre-scan (C-speed splits and counts, one chunk held at a time) that lets a reader
    choose a careful path for files with very wide or very long lines before a faster reader
    spends time and memory on them.
    """
    longest = widest = 0
    carry_len = carry_seps = 0
    while chunk := handle.read(chunk_bytes):
        lines = chunk.split(b"\n")
        if len(lines) == 1:
            carry_len += len(chunk)
            carry_seps += chunk.count(separator)
            continue
        first, last = lines[0], lines[-1]
        longest = max(longest, carry_len + len(first))
        widest = max(widest, carry_seps + first.count(separator))
        middle = lines[1:-1]
        if middle:
            longest = max(longest, max(map(len, middle)))
            widest = max(widest, max(line.count(separator) for line in middle))
        carry_len, carry_seps = len(last), last.count(separator)
    return max(longest, carry_len), max(widest, carry_seps)


def decode_text(data: bytes, where: str, encoding: str | None = None) -> str:
    if encoding is None:
        if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
            encoding = "utf-32"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
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



#: Separators a CSV line may hold beyond its header's before a reader takes the careful path.
WIDE_ROW_SLACK = 64


def csv_needs_care(files: ExportFiles, name: str) -> bool:
    """Whether a CSV member has a line over the line cap, or far wider than its header.

    DuckDB's CSV reader keeps, for a row with extra fields, one reject row carrying the whole
    line per extra field: a 60 KB line of 30,000 empty fields cost 101 s and 3.1 GB. Files
    that have such lines are read by the Python parser instead, which rejects each as one
    record. The scan reads the file once at C speed (about 0.1 s per 100 MB).
    """
    header = files.head(name, 256 * 1024).split(b"\n", 1)[0]
    separator = max((b",", b"\t", b";", b"|"), key=header.count)
    allowed = 4 * header.count(separator) + WIDE_ROW_SLACK
    try:
        with files.open_binary(name) as handle:
            longest, widest = line_shape(handle, separator)
    except DAMAGED as exc:
        raise files.unreadable(name, exc) from None
    return longest > MAX_LINE_BYTES or widest > allowed or _has_parser_only_cells(files, name)


#: What tiescale's own CSV export writes that only the parser reads back exactly: a neutralised
#: cell (``'=...``, a quote before a formula character) and an undated row (``undated,`` at a line
#: start). Searched as literals first (fast), then a neutralised cell is confirmed by what precedes
#: its quotes: a cell start (line start, separator or opening quote).
_PARSER_ONLY = re.compile(rb"'[=+@\t\r-]|\nundated,")
_CELL_STARTS = (b",", b"\t", b";", b"|", b'"', b"\n")


def _has_parser_only_cells(files: ExportFiles, name: str) -> bool:
    tail = b"\n"
    with files.open_binary(name) as handle:
        while chunk := handle.read(4 * MiB):
            data = tail + chunk
            for match in _PARSER_ONLY.finditer(data):
                start = match.start()
                if data[start:start + 1] == b"\n":
                    return True
                while start > 0 and data[start - 1:start] == b"'":
                    start -= 1
                if start == 0 or data[start - 1:start] in _CELL_STARTS:
                    return True
            tail = chunk[-16:]
    return False
