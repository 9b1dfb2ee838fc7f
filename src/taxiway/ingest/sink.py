"""The Kafka -> landing sink: consume, buffer per partition and landing hour, write objects.

Order of work, and why a crash at any point is safe:

1. Recover each partition's next offset from the objects already in the landing store
   (:func:`taxiway.ingest.store.recover`); partitions without objects start at the
   earliest offset the broker still has.
2. Assign every partition of the topic explicitly at that offset (``assign()``: no
   consumer group, nothing committed to Kafka; the landing objects *are* the commit log).
3. Append each record to its partition's open object. The landing hour is the record's
   Kafka timestamp in UTC. An object holds one hour and a contiguous run of offsets, so a
   record of another hour, or an offset gap (compaction, transaction markers), closes the
   open object first. A record that is not JSON is written as is (curate quarantines it)
   and counted; a newline inside a record becomes a space (JSON whitespace) so that one
   record is always one line.
4. Close an object when it holds ``flush_size`` records or has been open for
   ``rotate_interval`` seconds; write it at once, atomically (temp name + rename, or one
   PutObject). Objects of one partition are written in offset order, so whatever a crash
   leaves is a prefix and step 1 resumes right after it: no loss, no duplicate.
5. On stop (SIGINT/SIGTERM, or the end of the topic with ``stop_at_end``) write every open
   object, then close the consumer.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from taxiway.errors import DataError, MissingDependencyError, UsageError
from taxiway.ingest.store import LandingStore, object_key, recover

_HOUR_MS = 3_600_000


@dataclass(frozen=True)
class SinkOptions:
    """What to consume and when to roll objects."""

    bootstrap: str
    topic: str = "events"
    flush_size: int = 10_000
    rotate_interval: float = 60.0
    stop_at_end: bool = False
    compresslevel: int = 5


@dataclass
class PartitionStats:
    """One partition's progress: where it resumed, where it is, how far behind the broker."""

    resumed_from: int
    next_offset: int
    high_watermark: int
    records: int = 0
    objects: int = 0

    @property
    def lag(self) -> int:
        return max(self.high_watermark - self.next_offset, 0)


@dataclass
class SinkStats:
    """Counters of one sink run (the ``--format json`` summary)."""

    topic: str
    landing: str
    started: float = field(default_factory=time.monotonic)
    records: int = 0
    invalid_json: int = 0
    objects: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    partitions: dict[int, PartitionStats] = field(default_factory=dict)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def to_dict(self) -> dict[str, Any]:
        seconds = self.seconds or self.elapsed()
        return {
            "topic": self.topic,
            "landing": self.landing,
            "records": self.records,
            "invalid_json": self.invalid_json,
            "objects": self.objects,
            "bytes_written": self.bytes_written,
            "seconds": round(seconds, 3),
            "records_per_s": round(self.records / seconds, 1) if seconds else 0.0,
            "partitions": {
                str(p): {
                    "resumed_from": s.resumed_from,
                    "next_offset": s.next_offset,
                    "high_watermark": s.high_watermark,
                    "lag": s.lag,
                    "records": s.records,
                    "objects": s.objects,
                }
                for p, s in sorted(self.partitions.items())
            },
        }


# the C scanner, without json.loads' wrappers (half the sink's CPU time before)
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")


def _is_json(value: bytes) -> bool:
    """Whether ``value`` is one JSON document (what curate's first check asks)."""
    try:
        text = value.decode()
        _obj, end = _SCAN(text, _WS.match(text).end())  # type: ignore[union-attr]
    except (ValueError, StopIteration):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False
    return _WS.match(text, end).end() == len(text)  # type: ignore[union-attr]


class _OpenObject:
    """Records of one partition, one landing hour and contiguous offsets, not yet written."""

    __slots__ = ("hour", "lines", "next", "opened", "start")

    def __init__(self, hour: int, start: int, now: float) -> None:
        self.hour = hour  # hours since the epoch, UTC
        self.start = start
        self.next = start
        self.opened = now
        self.lines: list[bytes] = []


def client_logger() -> logging.Logger:
    """librdkafka's log lines go to Python logging (quiet unless a handler is configured)."""
    logger = logging.getLogger("taxiway.kafka")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


def kafka_module() -> Any:
    """``confluent_kafka``, or the install command when the ``kafka`` extra is missing."""
    try:
        import confluent_kafka
        import confluent_kafka.admin  # also the AdminClient, for topics
    except ImportError as exc:
        raise MissingDependencyError("confluent-kafka", "kafka") from exc
    return confluent_kafka


class KafkaSink:
    """Consumes every partition of one topic into a :class:`LandingStore`."""

    def __init__(self, store: LandingStore, opts: SinkOptions) -> None:
        if opts.flush_size < 1:
            raise UsageError(f"`--flush-size {opts.flush_size}` must be at least 1.")
        if opts.rotate_interval <= 0:
            raise UsageError(f"`--rotate-interval {opts.rotate_interval}` must be above 0.")
        self.store = store
        self.opts = opts
        self.stats = SinkStats(topic=opts.topic, landing=store.describe())
        self._open: dict[int, _OpenObject] = {}
        self._at_end: dict[int, bool] = {}

    def run(
        self,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[SinkStats], None] | None = None,
        progress_every: float = 1.0,
        on_start: Callable[[SinkStats], None] | None = None,
    ) -> SinkStats:
        """Consume until ``should_stop()`` (or the end of the topic with ``stop_at_end``).

        ``on_start`` is called once the partitions are assigned at their recovered offsets.
        """
        ck = kafka_module()
        consumer = ck.Consumer(
            {
                "bootstrap.servers": self.opts.bootstrap,
                "group.id": f"taxiway-ingest-{self.opts.topic}",  # never joined: assign() only
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                # an assigned offset the broker no longer has is an error, never a silent skip
                "auto.offset.reset": "error",
                "logger": client_logger(),
            }
        )
        try:
            consumer.assign(self._assignment(ck, consumer))
            if on_start is not None:
                on_start(self.stats)
            last_progress = 0.0
            while not should_stop():
                for msg in consumer.consume(num_messages=2000, timeout=0.2):
                    err = msg.error()
                    if err is None:
                        self._add(msg)
                    elif err.code() == ck.KafkaError._PARTITION_EOF:
                        self._at_end[msg.partition()] = True
                        part = self.stats.partitions[msg.partition()]
                        part.high_watermark = max(part.high_watermark, msg.offset())
                    elif err.code() in (
                        ck.KafkaError._AUTO_OFFSET_RESET,
                        ck.KafkaError.OFFSET_OUT_OF_RANGE,
                    ):
                        raise DataError(
                            f"`{self.opts.topic}` partition {msg.partition()} does not have the "
                            f"offset the landing objects end at ({err.str()}); was the topic "
                            "recreated, or did retention delete records before they were "
                            "ingested? Move the old landing objects away."
                        )
                    elif not err.retriable():  # retriable ones librdkafka retries itself
                        raise DataError(
                            f"Kafka error on `{self.opts.topic}` partition {msg.partition()}: "
                            f"{err.str()}."
                        )
                now = time.monotonic()
                for partition, obj in list(self._open.items()):
                    if now - obj.opened >= self.opts.rotate_interval:
                        self._write(partition)
                if now - last_progress >= min(progress_every, 0.5):
                    self._refresh_watermarks(ck, consumer)
                    if on_progress is not None:
                        on_progress(self.stats)
                    last_progress = now
                if self.opts.stop_at_end and all(self._at_end.values()):
                    break
            for partition in list(self._open):
                self._write(partition)
            self._refresh_watermarks(ck, consumer)
        finally:
            consumer.close()
        self.stats.seconds = self.stats.elapsed()
        return self.stats

    def _assignment(self, ck: Any, consumer: Any) -> list[Any]:
        """Partitions of the topic at the offsets recovered from the landing store."""
        topic = self.opts.topic
        try:
            meta = consumer.list_topics(topic, timeout=10)
        except ck.KafkaException as exc:
            raise UsageError(
                f"Cannot reach the Kafka broker at `{self.opts.bootstrap}` ({exc}); "
                "check `--bootstrap`."
            ) from exc
        info = meta.topics.get(topic)
        if info is None or info.error is not None or not info.partitions:
            raise UsageError(
                f"Topic `{topic}` does not exist on `{self.opts.bootstrap}`; create it "
                "(or produce to it with `taxiway generate --to-kafka`) first."
            )
        recovered = recover(self.store, topic)
        unknown = sorted(set(recovered) - set(info.partitions))
        if unknown:
            raise DataError(
                f"Landing `{self.store.describe()}` has objects of `{topic}` partition(s) "
                f"{unknown} that the topic does not have; was the topic recreated? "
                "Move the old landing objects away."
            )
        out = []
        for partition in sorted(info.partitions):
            low, high = consumer.get_watermark_offsets(
                ck.TopicPartition(topic, partition), timeout=15
            )
            last = recovered.get(partition)
            start = last.next_offset if last else low
            # A start past the end is reported by the fetch (offset out of range, see
            # run()): tansu's ListOffsets(latest) lags behind batched produces, so the high
            # watermark from here is not trusted for that check.
            if last and start < low:
                raise DataError(
                    f"`{topic}` partition {partition} starts at offset {low} but the landing "
                    f"objects end at {start}: records {start}..{low - 1} were deleted by the "
                    "broker's retention before they were ingested."
                )
            self.stats.partitions[partition] = PartitionStats(start, start, max(high, 0))
            self._at_end[partition] = False  # until the broker says so (partition EOF)
            out.append(ck.TopicPartition(topic, partition, start))
        return out

    def _add(self, msg: Any) -> None:
        partition, offset = msg.partition(), msg.offset()
        ts_type, ts = msg.timestamp()
        if (
            ts_type == 0 or ts < 0
        ):  # TIMESTAMP_NOT_AVAILABLE: the consume time, as Connect's wallclock
            ts = int(time.time() * 1000)
        hour = ts // _HOUR_MS
        obj = self._open.get(partition)
        if obj is not None and (obj.hour != hour or obj.next != offset):
            self._write(partition)
            obj = None
        if obj is None:
            obj = self._open[partition] = _OpenObject(hour, offset, time.monotonic())
        value = msg.value() or b""
        if b"\n" in value:
            value = value.replace(b"\n", b" ")
        if not _is_json(value):
            self.stats.invalid_json += 1
        obj.lines.append(value + b"\n")
        obj.next = offset + 1
        self._at_end[partition] = False
        part = self.stats.partitions[partition]
        part.next_offset = offset + 1
        part.records += 1
        self.stats.records += 1
        if len(obj.lines) >= self.opts.flush_size:
            self._write(partition)

    def _write(self, partition: int) -> None:
        obj = self._open.pop(partition)
        hour = datetime.fromtimestamp(obj.hour * 3600, UTC)
        key = object_key(self.opts.topic, hour, partition, obj.start)
        body = gzip.compress(b"".join(obj.lines), compresslevel=self.opts.compresslevel)
        self.store.put(key, body)
        self.stats.objects += 1
        self.stats.bytes_written += len(body)
        self.stats.partitions[partition].objects += 1

    def _refresh_watermarks(self, ck: Any, consumer: Any) -> None:
        for partition, part in self.stats.partitions.items():
            tp = ck.TopicPartition(self.opts.topic, partition)
            try:
                _low, high = consumer.get_watermark_offsets(tp, cached=True)
            except ck.KafkaException:
                continue
            if high < 0:
                continue
            if part.records == 0 and part.resumed_from > high:
                # Kafka answers such a fetch with OFFSET_OUT_OF_RANGE; tansu with nothing,
                # so the high watermark of the fetch response is the check
                raise DataError(
                    f"The landing objects of `{self.opts.topic}` partition {partition} end at "
                    f"offset {part.resumed_from - 1} but the partition ends at {high - 1}; was "
                    "the topic recreated? Move the old landing objects away."
                )
            part.high_watermark = max(part.high_watermark, high)
