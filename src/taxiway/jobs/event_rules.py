"""The curate step's per-line rules in plain Python: DuckDB's semantics, without DuckDB.

The Spark engine runs these inside Python workers (locally and on EMR), so this module
imports the standard library only and keeps to Python 3.9 (EMR 7). It mirrors
:mod:`taxiway.engines.curate_sql` check for check: the first failing check gives the reason
code (order = ``contract.REASONS``), the detail texts are the same, numbers coerced to text
are spelled the way DuckDB spells them, timestamps accept what DuckDB's ``TIMESTAMPTZ`` cast
accepts for ISO-8601 (see ``docs/spark.md`` for the few known differences), and decimals
round half away from zero like DuckDB's cast. ``tests/integration/spark`` checks both
engines against each other, line for line.
"""

from __future__ import annotations

import functools
import json
import math
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# The one contract: taxiway/events/contract.py is stdlib-only and ships in the job's zip.
from taxiway.events.contract import (
    EVENT_TYPES,
    FIELDS,
    FUTURE_TOLERANCE_HOURS,
    OPTIONAL_STRINGS,
    REQUIRED,
    REVENUE_RANGE,
)

__all__ = ["EVENT_TYPES", "FIELDS", "FUTURE_TOLERANCE_HOURS", "OPTIONAL_STRINGS", "REQUIRED"]

#: Curated ``events`` columns, in table order.
CURATED_NAMES = (*FIELDS, "source_file", "landing_hour", "event_date")
#: A classified row: the curated columns, then the line number and the verdict.
ROW_NAMES = (*CURATED_NAMES, "line_number", "reason", "detail", "raw_line")

Row = tuple[Any, ...]
_ABSENT = object()
_NUMBER_TYPES = ("BIGINT", "UBIGINT", "DOUBLE")
_NONE_FIELDS = (None,) * len(FIELDS)
#: DuckDB's TIMESTAMPTZ cast, as measured (test_spark_rules.py): blanks after the `T`, an
#: hour of up to ten digits (`0005`), an empty minute (`05:`) or second (`05:10:`)
_TS = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ][ \t\n\v\f\r]*(\d{1,10}):(?:(\d{1,2})(?::(?:(\d{1,2})(?:\.(\d*))?)?)?)?"
    # Z, an offset (+hh, +hhmm, +hh:mm or +hh:mm:ss: seconds only in the colon form) or a
    # zone name, then any blanks; or blanks that start with a space
    r"(?:(?:(Z)|([+-])(\d\d)(?:(\d\d)|:(\d\d)(?::(\d\d))?)?| ([A-Za-z][A-Za-z0-9_+\-/]*))"
    r"[ \t\n\v\f\r]*| [ \t\n\v\f\r]*)?",
    re.ASCII,  # DuckDB's digits are 0-9 only (Python's \d also matches ١٢)
)
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:_\d+)*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: what DuckDB trims around a number it casts: ASCII blanks only (Python's strip() also
#: takes U+00A0 and the other Unicode spaces)
_BLANKS = " \t\n\v\f\r"
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_CENT = Decimal("0.0001")
_DECIMAL_LIMIT = Decimal(10) ** 14  # DECIMAL(18,4): 14 digits before the point
_UTC = timezone.utc


class DuplicateKeys(dict):  # type: ignore[type-arg]
    """An object with a repeated key: lookups see the first value (as DuckDB's do), and
    ``pairs`` keeps every pair, which DuckDB writes back when the object is nested text."""

    pairs: list[tuple[str, Any]]


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Like DuckDB (yyjson): of duplicate keys, the first one counts."""
    d = dict(pairs)
    if len(d) == len(pairs):
        return d
    out = DuplicateKeys()
    for k, v in pairs:
        out.setdefault(k, v)
    out.pairs = pairs
    return out


def _has_duplicate_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return isinstance(value, DuplicateKeys) or any(map(_has_duplicate_keys, value.values()))
    return isinstance(value, list) and any(map(_has_duplicate_keys, value))


def _write_every_pair(value: Any) -> str:
    """Compact JSON like ``json.dumps``, but every pair of a :class:`DuplicateKeys`."""
    if isinstance(value, dict):
        pairs = value.pairs if isinstance(value, DuplicateKeys) else value.items()
        return (
            "{" + ",".join(f"{_write_every_pair(k)}:{_write_every_pair(v)}" for k, v in pairs) + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(map(_write_every_pair, value)) + "]"
    return json.dumps(value, ensure_ascii=False)


class NonFinite(float):
    """A NaN or infinity DuckDB accepted in another spelling (``nan``, ``-INF``,
    ``infinity``); keeps that spelling, which DuckDB's ``json_transform`` returns as text."""

    text: str

    def __new__(cls, text: str) -> NonFinite:
        sign = -1.0 if text.startswith("-") else 1.0
        is_nan = text.lstrip("-").lower().startswith("nan")  # else an infinity
        obj = super().__new__(cls, math.nan if is_nan else sign * math.inf)
        obj.text = text
        return obj


#: DuckDB's JSON reader (yyjson) also takes a trailing comma in an object or array and
#: NaN/Infinity in any case (``nan``, ``-inf``, ``Infinity``); Python's does not. A string
#: is matched first so that nothing inside one is touched.
_LENIENT = re.compile(
    r'"(?:[^"\\]|\\.)*"|,(?=[ \t\r\n]*[}\]])|(?<![\w.+-])-?(?:nan|inf(?:inity)?)(?![\w.])',
    re.IGNORECASE,
)
#: marks a NaN/infinity (as a JSON string) between the rewrite and :func:`_mark_non_finite`
_MARK = "\ue000taxiway-non-finite\ue000"
_MARKED = re.compile(f'"{_MARK}([^"]*)"')


def _lenient(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.startswith('"'):
        return token
    if token == ",":  # dropped only after a value: `{,}` and `[1,,]` stay invalid
        before = match.string[: match.start()].rstrip(" \t\r\n")[-1:]
        return token if before in ("{", "[", ",", "") else ""
    return json.dumps(_MARK + token)


def _mark_non_finite(value: Any) -> Any:
    """Top-level marked strings -> :class:`NonFinite` (nested ones stay marked until
    :func:`json_text` writes them back in their spelling)."""
    if isinstance(value, dict):
        return {
            k: NonFinite(v[len(_MARK) :]) if isinstance(v, str) and v.startswith(_MARK) else v
            for k, v in value.items()
        }
    return value


def parse_json(raw: str) -> tuple[bool, Any]:
    """(is valid JSON, value); rejects lone surrogates like DuckDB does, and accepts what
    else DuckDB accepts (a trailing comma; NaN and infinities in any spelling)."""
    try:
        value = json.loads(raw, object_pairs_hook=_first_wins)
    except ValueError:
        lenient = _LENIENT.sub(_lenient, raw)
        if lenient == raw:
            return False, None
        try:  # the rare line only DuckDB's reader takes: parse it again, rewritten
            value = _mark_non_finite(json.loads(lenient, object_pairs_hook=_first_wins))
        except ValueError:
            return False, None
    if _SURROGATE.search(raw):
        # A lone surrogate survives json.loads but is not valid UTF-8 text; look at every
        # pair (the value keeps only the first of duplicate keys, and keys count too).
        every_pair = json.loads(_LENIENT.sub(_lenient, raw), object_pairs_hook=list)
        try:
            json.dumps(every_pair, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return False, None
    return True, value


def json_type(value: Any) -> str:
    """DuckDB's ``json_type`` name for a parsed JSON value (``NULL`` for null or absent)."""
    if value is None or value is _ABSENT:
        return "NULL"
    if isinstance(value, str):
        return "VARCHAR"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        if 0 <= value < 2**64:
            return "UBIGINT"
        return "BIGINT" if -(2**63) <= value < 0 else "DOUBLE"
    if isinstance(value, float):
        return "DOUBLE"
    return "OBJECT" if isinstance(value, dict) else "ARRAY"


def json_text(value: Any) -> str | None:
    """The value as DuckDB's ``json_transform`` to VARCHAR spells it."""
    if value is None or value is _ABSENT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, NonFinite):
        return value.text
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if _has_duplicate_keys(value):
        text = _write_every_pair(value)
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if _EXPONENT.search(text):  # Python wrote a double in exponent form: write it as DuckDB
        text = _NUMBER_OR_STRING.sub(_duckdb_number, text)
    return _MARKED.sub(r"\1", text) if _MARK in text else text


_EXPONENT = re.compile(r"[0-9]e[+-]")
_NUMBER_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|-?[0-9.]+e[+-][0-9]+')


def _duckdb_number(match: re.Match[str]) -> str:
    token = match.group(0)
    return token if token.startswith('"') else nested_double(float(token))


def nested_double(x: float) -> str:
    """A double inside an object or array, as DuckDB (yyjson) writes it: the shortest
    digits, positional between 1e-6 and 1e21 (``10000000000000000.0``, ``0.00001``), else
    an exponent without ``+`` or leading zeros (``1.5e-7``, ``1e21``)."""
    if x == 0 or not math.isfinite(x):
        return json.dumps(x)
    _sign, digits_tuple, exponent = Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple))
    k, n = len(digits), len(digits) + int(exponent)  # x = 0.<digits> * 10**n
    if -6 < n <= 21:
        if k <= n:
            text = digits + "0" * (n - k) + ".0"
        elif n > 0:
            text = f"{digits[:n]}.{digits[n:]}"
        else:
            text = "0." + "0" * -n + digits
    else:
        text = digits[0] + (f".{digits[1:]}" if k > 1 else "") + f"e{n - 1}"
    return ("-" if x < 0 else "") + text


def to_decimal(text: str | None) -> Decimal | None:
    """``try_cast(text AS DECIMAL(18,4))``: None when not a finite number that fits."""
    if text is None:
        return None
    s = text.strip(_BLANKS)
    if not _DECIMAL.fullmatch(s):
        return None
    try:
        value = Decimal(s).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return value if abs(value) < _DECIMAL_LIMIT else None


def parse_ts(text: str) -> datetime | None:
    """An ISO-8601 timestamp -> naive UTC datetime, or None (DuckDB's TIMESTAMPTZ cast)."""
    m = _TS.fullmatch(text)
    if m is None:
        return None
    y, mo, d, h, mi, s, frac, _zulu, sign, oh, om_plain, om, os_, name = m.groups()
    om = om or om_plain
    hour, minute, second = int(h), int(mi or 0), int(s or 0)
    micro = int((frac or "")[:6].ljust(6, "0"))
    extra = timedelta(0)
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour, extra = 0, timedelta(days=1)  # 24:00:00 is the next midnight
    try:
        ts = datetime(int(y), int(mo), int(d), hour, minute, second, micro) + extra
    except (ValueError, OverflowError):
        return None
    try:
        if sign:
            offset = timedelta(hours=int(oh), minutes=int(om or 0), seconds=int(os_ or 0))
            return ts - offset if sign == "+" else ts + offset
        if name:
            return _in_zone(ts, name)
    except OverflowError:
        return None
    return ts  # "Z" or no zone: UTC, the session time zone of both engines


@functools.lru_cache(maxsize=1)
def _zone_keys() -> dict[str, str]:
    """Lower-cased IANA zone name -> the name: DuckDB (ICU) takes any case."""
    from zoneinfo import available_timezones

    return {key.lower(): key for key in available_timezones()}


def _in_zone(ts: datetime, name: str) -> datetime | None:
    if name.upper() in ("UTC", "GMT"):
        return ts
    try:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(_zone_keys().get(name.lower(), name))
    except (ValueError, KeyError, OSError, ImportError):
        return None
    # Around a DST switch a wall time is ambiguous or does not exist; DuckDB (ICU) then takes
    # the smaller offset (standard time), in both cases.
    offsets = [ts.replace(tzinfo=zone, fold=f).utcoffset() for f in (0, 1)]
    return ts - min(o for o in offsets if o is not None)


def check(
    raw: str,
    bad_utf8: bool,
    earliest: datetime,
    lookback_days: int,
    latest: datetime | None = None,
    future_hours: int = FUTURE_TOLERANCE_HOURS,
) -> tuple[Any, ...]:
    """One line -> (reason, detail) for a reject, or the curated field values (+ event_date).

    ``earliest`` is the landing hour minus the lookback: older events are ``too-late``;
    ``latest`` is the landing hour's end plus ``future_hours``: later ones are
    ``future-timestamp``.
    The result is either a 2-tuple (reason, detail) or a ``len(FIELDS) + 1``-tuple.
    """
    valid, doc = parse_json(raw)
    if bad_utf8 or not isinstance(doc, dict):
        if valid:  # DuckDB tests the (replacement-decoded) text, as here
            return ("malformed-json", "JSON value is not an object")
        return ("malformed-json", "not valid JSON (or not UTF-8)")
    get = doc.get
    for f in REQUIRED:
        v = get(f)
        if v is None or v == "":
            return ("missing-required-field", f"missing `{f}`")
    for f in REQUIRED:
        v = get(f)
        if not isinstance(v, str):
            return ("wrong-type", f"field `{f}` is {json_type(v).lower()}")
    received = get("received_ts")
    if received is not None and not isinstance(received, str):
        return ("wrong-type", f"field `received_ts` is {json_type(received).lower()}")
    props = get("properties")
    if props is not None and not isinstance(props, dict):
        return ("wrong-type", f"field `properties` is {json_type(props).lower()}")
    revenue = get("revenue")
    rtype = json_type(revenue)
    if not (
        rtype == "NULL"
        or (rtype in (*_NUMBER_TYPES, "VARCHAR") and to_decimal(json_text(revenue)) is not None)
    ):
        why = REVENUE_RANGE if rtype in _NUMBER_TYPES else ""
        return ("wrong-type", f"field `revenue` is {rtype.lower()}{why}")
    event_type = doc["event_type"]
    if event_type not in EVENT_TYPES:
        return (
            "unknown-event-type",
            f"event_type `{event_type}` is not one of {'|'.join(EVENT_TYPES)}",
        )
    event_ts = parse_ts(doc["event_ts"])
    if event_ts is None:
        return ("bad-timestamp", f"event_ts `{doc['event_ts']}` is not an ISO-8601 timestamp")
    received_ts = None if received is None else parse_ts(received)
    if received is not None and received_ts is None:
        return ("bad-timestamp", f"received_ts `{received}` is not an ISO-8601 timestamp")
    if event_ts < earliest:
        return ("too-late", f"event_ts is more than {lookback_days} days before its landing hour")
    if latest is not None and event_ts > latest:
        return (
            "future-timestamp",
            f"event_ts `{doc['event_ts']}` is more than {future_hours} hour(s) "
            "after its landing hour ends",
        )
    values: list[Any] = []
    for f in FIELDS:
        if f == "event_ts":
            values.append(event_ts)
        elif f == "received_ts":
            values.append(received_ts)
        elif f == "revenue":
            values.append(to_decimal(json_text(revenue)))
        else:
            v = get(f)
            values.append(v if v is None or isinstance(v, str) else json_text(v))
    values.append(event_ts.date())
    return tuple(values)


def classify_lines(
    lines: Iterable[tuple[str, int, str, datetime, bool]],
    lookback_days: int,
    future_hours: int = FUTURE_TOLERANCE_HOURS,
) -> Iterator[Row]:
    """(raw, line_number, source_file, landing_hour, bad_utf8) -> classified rows (ROW_NAMES)."""
    bounds: dict[datetime, tuple[datetime, datetime]] = {}
    for raw, line_number, source_file, hour, bad_utf8 in lines:
        window = bounds.get(hour)
        if window is None:
            window = bounds[hour] = (
                hour - timedelta(days=lookback_days),
                hour + timedelta(hours=1 + future_hours),
            )
        out = check(raw, bad_utf8, window[0], lookback_days, window[1], future_hours)
        if len(out) == 2:
            yield (
                *_NONE_FIELDS,
                source_file,
                hour,
                None,
                line_number,
                out[0],
                out[1],
                raw.rstrip("\r\n"),
            )
        else:
            ev_date: date = out[-1]
            yield (*out[:-1], source_file, hour, ev_date, line_number, None, None, None)


def decompress(name: str, data: bytes) -> bytes:
    """The file's bytes, gunzipped (every member) when ``name`` ends in ``.gz``; ValueError."""
    return gunzip(data) if name.endswith(".gz") else data


def gunzip(data: bytes, lib: Any = zlib) -> bytes:
    """Every gzip member of ``data``, with ``lib``: ``zlib`` or ISA-L's ``isal_zlib`` (the
    same API; the DuckDB engine's reader uses it when installed). ValueError says why a
    damaged file cannot be read, in the same words for both engines."""
    out = []
    while data:
        d = lib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(data))
            out.append(d.flush())
        except lib.error as exc:
            raise ValueError(f"gzip data is corrupt: {exc}") from exc
        if not d.eof:
            raise ValueError("gzip stream is truncated (no end-of-member marker)")
        data = d.unused_data
    chunks = [c for c in out if c]
    # one member (the sink's files): no copy of the decompressed bytes
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


#: Default longest landing line, in bytes without its newline (``pipeline.max_line_bytes``):
#: Kafka's default largest message (``message.max.bytes``), 1 MiB.
MAX_LINE_BYTES = 1 << 20
#: The reason of a line longer than the limit (the line itself is never held in memory).
LINE_TOO_LONG = "line-too-long"
#: decompressed bytes per step of the bounded reader; compressed bytes fed per step (so
#: zlib's ``unconsumed_tail`` copy stays small)
CHUNK_BYTES = 1 << 20
_FEED_BYTES = 1 << 16


def gunzip_chunks(data: bytes, lib: Any = zlib, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """:func:`gunzip` as a stream: every gzip member of ``data``, in pieces of at most
    ``size`` decompressed bytes, so a file that inflates to gigabytes is never whole in
    memory. The same ValueError messages as :func:`gunzip`, raised when reached."""
    view, pos, n = memoryview(data), 0, len(data)
    while pos < n:
        d = lib.decompressobj(wbits=31)
        while not d.eof:
            if pos >= n:
                raise ValueError("gzip stream is truncated (no end-of-member marker)")
            buf: Any = view[pos : pos + _FEED_BYTES]
            pos += len(buf)
            while True:
                try:
                    out = d.decompress(buf, size)
                except lib.error as exc:
                    raise ValueError(f"gzip data is corrupt: {exc}") from exc
                if out:
                    yield out
                buf = d.unconsumed_tail
                if d.eof or not (buf or out):
                    break
        pos -= len(d.unused_data)  # the next member starts after this one's end


def chunks(name: str, data: bytes, lib: Any = zlib, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file's decompressed bytes in pieces (:func:`gunzip_chunks` for ``.gz``)."""
    if name.endswith(".gz"):
        yield from gunzip_chunks(data, lib, size)
    elif data:
        yield data


class LineLimit:
    """Splits a byte stream, fed in chunks, at ``\n`` and cuts out every line longer than
    ``limit`` bytes (its newline not counted) while it streams: what is held is at most
    ``limit`` bytes of the current line plus one chunk, however long a line is.

    :meth:`feed` (and :meth:`end`, after the last chunk) return the text completed so far
    as pieces to join: whole lines, each with its newline, where a line that is too long
    leaves only its newline, so every line keeps its number. ``long`` lists the lines that
    were too long as (line number, byte offset of the line's first byte, size in bytes);
    ``lines`` counts every line (the last one may lack a newline).
    """

    def __init__(self, limit: int = MAX_LINE_BYTES, count: bool = True) -> None:
        if limit < 1:
            raise ValueError(f"the line limit must be at least 1 byte, not {limit}")
        self.limit = limit
        # a line that starts and ends inside one window is shorter than the limit, so only
        # the line carried across windows is measured
        self.window = min(limit, CHUNK_BYTES)
        # without ``count`` the newlines are not counted as they stream (a pass over the
        # text): ``lines`` is then no line count, and a long line's number is 0 until
        # :meth:`number` counts them in the text
        self.count = count
        self.long: list[tuple[int, int, int]] = []
        self.lines = 0  # lines ended by a newline so far
        self.offset = 0  # bytes fed so far
        self.emitted = 0  # bytes of text returned so far
        self._cut_at: list[int] = []  # ``emitted`` before each long line's newline
        self._start = 0  # offset of the current line's first byte
        self._tail: list[Any] = []  # the current line's bytes so far (while it may be kept)
        self._size = 0  # the current line's length so far
        self._dropping = False

    def number(self, text: bytes) -> list[tuple[int, int, int]]:
        """``long`` with line numbers, counted in ``text`` (everything returned, joined):
        one pass up to the last long line, none when there is none."""
        out, seen, pos = [], 0, 0
        for at, (_n, offset, size) in zip(self._cut_at, self.long):
            seen += text.count(b"\n", pos, at)
            pos = at
            out.append((seen + 1, offset, size))
        return out

    def _grow(self, piece: Any) -> None:
        self._size += len(piece)
        if self._dropping:
            return
        if self._size > self.limit:
            self._dropping, self._tail = True, []  # from here on only its size is counted
        elif piece:
            self._tail.append(piece)

    def _cut(self) -> None:
        self.long.append((self.lines + 1 if self.count else 0, self._start, self._size))
        self._cut_at.append(self.emitted)

    def feed(self, chunk: bytes) -> list[Any]:
        """The text ``chunk`` completes (pieces: bytes and memoryviews of ``chunk``)."""
        out: list[Any] = []
        view, n, base = memoryview(chunk), len(chunk), self.offset
        a = 0
        while a < n:
            b = min(n, a + self.window)
            first = chunk.find(b"\n", a, b)
            if first < 0:
                self._grow(view[a:b])
                a = b
                continue
            self._size += first - a
            if self._size > self.limit:
                self._cut()
                out.append(b"\n")
                self.emitted += 1
            else:
                out.extend(self._tail)
                out.append(view[a : first + 1])
                self.emitted += self._size + 1
            self.lines += 1
            last = chunk.rfind(b"\n", first + 1, b)
            if last > first:  # whole lines inside the window: each shorter than the limit
                out.append(view[first + 1 : last + 1])
                self.emitted += last - first
                if self.count:
                    self.lines += chunk.count(b"\n", first + 1, last + 1)
            else:
                last = first
            self._tail, self._size, self._dropping = [], 0, False
            self._start = base + last + 1
            self._grow(view[last + 1 : b])
            a = b
        self.offset += n
        return out

    def end(self) -> list[Any]:
        """The last line when it has no newline (a too-long one leaves a newline)."""
        if not (self._size or self._dropping):
            return []
        too_long = self._size > self.limit
        if too_long:
            self._cut()
        out: list[Any] = [b"\n"] if too_long else self._tail
        self.emitted += 1 if too_long else self._size
        self.lines += 1
        self._tail, self._size, self._dropping = [], 0, False
        return out


def read_bounded(
    name: str, data: bytes, limit: int = MAX_LINE_BYTES, lib: Any = zlib
) -> tuple[bytes, list[tuple[int, int, int]]]:
    """(the file's text with every line over ``limit`` bytes cut to its newline, those
    lines as (line number, byte offset, size)); ValueError as :func:`gunzip`."""
    cut = LineLimit(limit, count=False)
    pieces: list[Any] = []
    for chunk in chunks(name, data, lib):
        pieces.extend(cut.feed(chunk))
    pieces.extend(cut.end())
    text = b"".join(pieces)
    return text, cut.number(text)


def too_long_detail(size: int, offset: int, limit: int) -> str:
    """The detail of a ``line-too-long`` reject: the line's size and where it starts."""
    return (
        f"line is {size} bytes, over the {limit}-byte limit, "
        f"at byte offset {offset} of the decompressed file"
    )


def reject_row(
    source_file: str, hour: datetime, reason: str, detail: str, line_number: int | None = None
) -> Row:
    """A quarantine row the reader makes, without the line's text: a file that cannot be
    read (``corrupt-file``) or a line over the limit (``line-too-long``)."""
    return (*_NONE_FIELDS, source_file, hour, None, line_number, reason, detail, None)


def split_lines(data: bytes) -> Iterator[tuple[str, bool]]:
    """(text, bad_utf8) per line, each with its trailing newline, like ``read_landing``."""
    start, n = 0, len(data)
    while start < n:
        end = data.find(b"\n", start)
        end = n if end < 0 else end + 1
        piece = data[start:end]
        try:
            yield piece.decode("utf-8"), False
        except UnicodeDecodeError:
            yield piece.decode("utf-8", errors="replace"), True
        start = end


def corrupt_file_row(source_file: str, hour: datetime, detail: str) -> Row:
    """The one quarantine row a file that cannot be read becomes."""
    return reject_row(source_file, hour, "corrupt-file", detail)


def classify_file(
    source_file: str,
    hour: datetime,
    data: bytes,
    lookback_days: int,
    future_hours: int = FUTURE_TOLERANCE_HOURS,
) -> Iterator[Row]:
    """Every classified row of one landing file (or its single ``corrupt-file`` row)."""
    try:
        text = decompress(source_file, data)
    except ValueError as exc:
        yield corrupt_file_row(source_file, hour, str(exc))
        return
    lines = (
        (raw, i, source_file, hour, bad) for i, (raw, bad) in enumerate(split_lines(text), start=1)
    )
    yield from classify_lines(lines, lookback_days, future_hours)
