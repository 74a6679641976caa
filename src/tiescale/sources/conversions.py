"""Conversions (orders) from a shop or CRM, and coupon-to-person mapping files.

CSV (header row), JSON Lines or Parquet. An order file has ``order_id`` (the dedupe key),
``ts``, ``value``, ``currency`` and any matching keys among ``email``, ``platform`` with
``handle``, ``person_id``, ``coupon``, ``utm_source``, ``utm_campaign``, ``click_id``
(the conversions format in the README). A file with ``coupon`` and a person key (``person_id``, ``platform`` +
``handle`` or ``email``) but no ``value`` is a coupon-to-person mapping.

Pure and streaming: the parser yields :class:`Conversion`, :class:`CouponMapping` and
:class:`~tiescale.records.Rejected`; :mod:`tiescale.store.conversions` writes them.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from ..records import Rejected, SourceError
from ..timeparse import BadTimestamp, parse_ts, plausibility_problem
from .contract import ReadOptions
from ._files import ExportFiles, decode_text

FORMAT = "conversions"
ORDER_REQUIRED = ("ts", "value")
ORDER_COLUMNS = ("order_id", "ts", "value", "currency", "email", "platform", "handle", "person_id", "coupon",
                 "utm_source", "utm_campaign", "click_id")
PERSON_KEYS = ("person_id", "handle", "email")
SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".parquet": "parquet"}
DEFAULT_CURRENCY = "USD"
MAX_FIELD = 512


@dataclass(slots=True)
class Conversion:
    """One order. ``email`` lower-cased, ``coupon`` upper-cased, ``utm_source`` lower-cased."""

    order_id: str
    ts: datetime
    value: float
    currency: str
    email: str | None = None
    platform: str | None = None
    handle: str | None = None
    person_id: int | None = None
    coupon: str | None = None
    utm_source: str | None = None
    utm_campaign: str | None = None
    click_id: str | None = None
    file: str = ""
    record: str = ""


@dataclass(slots=True)
class CouponMapping:
    """A coupon code that belongs to one person."""

    coupon: str
    person_id: int | None = None
    platform: str | None = None
    handle: str | None = None
    email: str | None = None


def _kind_of(name: str) -> str | None:
    return SUFFIXES.get(Path(name).suffix.lower())


def _members(files: ExportFiles) -> list[str]:
    return [n for n in files.names() if _kind_of(n)]


def _columns(files: ExportFiles, name: str) -> list[str] | None:
    kind = _kind_of(name)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            with files.open_binary(name) as handle:
                return [c.strip().lower() for c in pq.ParquetFile(handle).schema_arrow.names]
        for _, line in files.iter_lines(name, cap=1024 * 1024):
            if line is None:
                return None
            text = line.decode("utf-8-sig", errors="replace").strip()
            if not text:
                continue
            if kind == "csv":
                delimiter = "\t" if name.lower().endswith(".tsv") else ","
                return [c.strip().lower() for c in next(csv.reader([text], delimiter=delimiter))]
            value = json.loads(text)
            return [str(k).strip().lower() for k in value] if isinstance(value, dict) else None
    except Exception:
        return None
    return None


def table_kind(columns: list[str] | None) -> str | None:
    """``orders``, ``coupons`` (a coupon-to-person mapping), or ``None``."""
    if not columns:
        return None
    have = set(columns)
    if set(ORDER_REQUIRED) <= have and "order_id" in have:
        return "orders"
    if "coupon" in have and "value" not in have and (have & set(PERSON_KEYS)):
        return "coupons"
    return None


def detect(files: ExportFiles) -> bool:
    members = _members(files)
    return len(members) == len(files.names()) > 0 and all(table_kind(_columns(files, m)) for m in members)


def check(files: ExportFiles) -> None:
    """Refuse, before anything is written, a file that is neither orders nor a coupon mapping."""
    members = _members(files)
    if not members:
        raise SourceError(str(files.path), "not a conversions file (.csv, .jsonl or .parquet expected)")
    for member in members:
        columns = _columns(files, member)
        if columns is None:
            raise SourceError(files.display(member), "cannot read the header row as a conversions table")
        if table_kind(columns) is None:
            if "coupon" in columns and "value" not in columns:
                reason = "a coupon mapping needs person_id, platform + handle, or email next to coupon"
            else:
                missing = [c for c in ("order_id", *ORDER_REQUIRED) if c not in columns]
                reason = f"missing required column(s): {', '.join(missing)}"
            raise SourceError(files.display(member), reason, "header")


# -- reading rows --------------------------------------------------------------------------------
def _rows(files: ExportFiles, member: str) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """``(record, row)``; ``row`` is a reason string when the record cannot be read at all."""
    kind = _kind_of(member)
    display = files.display(member)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            with files.open_binary(member) as handle:
                parquet = pq.ParquetFile(handle)
                number = 0
                for batch in parquet.iter_batches(batch_size=50_000):
                    for row in batch.to_pylist():
                        number += 1
                        yield f"row {number}", {str(k).strip().lower(): v for k, v in row.items()}
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - any pyarrow failure is an unreadable file
            raise SourceError(display, f"cannot read the Parquet file ({str(exc).splitlines()[0][:160]})") from None
        return
    if kind == "jsonl":
        for number, raw in files.iter_lines(member):
            if raw is None:
                yield f"line {number}", "line longer than the cap"
                continue
            if not raw.strip():
                continue
            try:
                value = json.loads(decode_text(raw, display))
            except SourceError:
                yield f"line {number}", "bytes that are not UTF-8"
                continue
            except (json.JSONDecodeError, RecursionError, ValueError) as exc:
                yield f"line {number}", f"malformed JSON ({getattr(exc, 'msg', 'too deep')})"
                continue
            if not isinstance(value, dict):
                yield f"line {number}", "not a JSON object"
                continue
            yield f"line {number}", {str(k).strip().lower(): v for k, v in value.items()}
        return
    yield from _csv_rows(files, member)


def _csv_rows(files: ExportFiles, member: str) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """CSV records with their first line number; a quoted field may span lines."""
    delimiter = "\t" if member.lower().endswith(".tsv") else ","
    header: list[str] | None = None
    pending: list[str] = []
    start = 0
    for number, raw in files.iter_lines(member):
        if raw is None:
            yield f"line {number}", "line longer than the cap"
            pending = []
            continue
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            yield f"line {number}", "bytes that are not UTF-8"
            pending = []
            continue
        if not pending:
            start = number
        pending.append(text.rstrip("\r"))
        joined = "\n".join(pending)
        if joined.count('"') % 2:  # inside a quoted field: the record goes on
            if len(pending) < 200:
                continue
            yield f"line {start}", "badly quoted field"
            pending = []
            continue
        pending = []
        if not joined.strip():
            continue
        try:
            fields = next(csv.reader(io.StringIO(joined), delimiter=delimiter), [])
        except csv.Error as exc:  # e.g. a bare carriage return inside an unquoted field
            yield f"line {start}", f"not a CSV record: {exc}"
            if header is None:  # without its header no later line can be read
                return
            continue
        if header is None:
            header = [f.strip().lower() for f in fields]
            continue
        if len(fields) > len(header):
            yield f"line {start}", "more fields than the header"
            continue
        if len(fields) < len(header):
            yield f"line {start}", "fewer fields than the header"
            continue
        yield f"line {start}", dict(zip(header, fields))
    if pending:
        yield f"line {start}", "badly quoted field"


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[:MAX_FIELD] if text else None


def _person_id(row: dict[str, Any]) -> tuple[int | None, str | None]:
    text = _text(row, "person_id")
    if text is None:
        return None, None
    digits = text.lstrip("#")
    if not digits.isdigit() or len(digits) > 18:
        return None, f"person_id must be a tiescale person number, not {text[:40]!r}"
    return int(digits), None


def _value(text: str | None) -> tuple[float | None, str | None]:
    if text is None:
        return None, "missing value"
    cleaned = text.replace(",", "") if text.count(",") and "." in text else text.replace(",", ".")
    cleaned = cleaned.lstrip("$€£").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None, f"unreadable value {text[:40]!r}"
    if not math.isfinite(value):
        return None, f"unreadable value {text[:40]!r}"
    if value < 0:
        return None, f"negative value {text[:40]} (refunds are not read)"
    return value, None


def _order_id(row: dict[str, Any]) -> str:
    given = _text(row, "order_id")
    if given is not None:
        return given
    blob = json.dumps([_text(row, c) for c in ORDER_COLUMNS[1:]], ensure_ascii=False)
    return "h:" + hashlib.md5(blob.encode()).hexdigest()


def row_to_conversion(row: dict[str, Any], display: str, record: str) -> Conversion | Rejected:
    ts_text = _text(row, "ts")
    if ts_text is None:
        return Rejected(display, record, "missing ts")
    try:
        ts = parse_ts(row["ts"] if not isinstance(row["ts"], str) else ts_text)
    except BadTimestamp as exc:
        return Rejected(display, record, str(exc))
    if problem := plausibility_problem(ts):
        return Rejected(display, record, problem)
    value, problem = _value(_text(row, "value"))
    if problem:
        return Rejected(display, record, problem)
    person_id, problem = _person_id(row)
    if problem:
        return Rejected(display, record, problem)
    platform, handle = _text(row, "platform"), _text(row, "handle")
    if handle and not platform:
        return Rejected(display, record, f"handle {handle[:40]!r} without a platform")
    email = _text(row, "email")
    coupon = _text(row, "coupon")
    utm = _text(row, "utm_source")
    return Conversion(
        order_id=_order_id(row), ts=ts, value=float(value or 0.0),
        currency=(_text(row, "currency") or DEFAULT_CURRENCY).upper(),
        email=email.lower() if email else None, platform=platform.lower() if platform else None,
        handle=handle.lstrip("@") or None if handle else None,
        person_id=person_id, coupon=coupon.upper() if coupon else None, utm_source=utm.lower() if utm else None,
        utm_campaign=_text(row, "utm_campaign"), click_id=_text(row, "click_id"), file=display, record=record,
    )


def row_to_mapping(row: dict[str, Any], display: str, record: str) -> CouponMapping | Rejected:
    coupon = _text(row, "coupon")
    if coupon is None:
        return Rejected(display, record, "missing coupon")
    person_id, problem = _person_id(row)
    if problem:
        return Rejected(display, record, problem)
    platform, handle, email = _text(row, "platform"), _text(row, "handle"), _text(row, "email")
    if handle and not platform:
        return Rejected(display, record, f"handle {handle[:40]!r} without a platform")
    if person_id is None and not handle and not email:
        return Rejected(display, record, f"coupon {coupon[:40]!r} names no person (person_id, platform + handle, email)")
    return CouponMapping(coupon.upper(), person_id, platform.lower() if platform else None,
                         handle.lstrip("@") if handle else None, email.lower() if email else None)


def read(files: ExportFiles, options: ReadOptions) -> Iterator[Conversion | CouponMapping | Rejected]:
    for member in _members(files):
        display = files.display(member)
        kind = table_kind(_columns(files, member))
        convert = row_to_mapping if kind == "coupons" else row_to_conversion
        for record, row in _rows(files, member):
            if isinstance(row, str):
                yield Rejected(display, record, row)
            else:
                yield convert(row, display, record)
