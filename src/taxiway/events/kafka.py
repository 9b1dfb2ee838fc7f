"""Produce the synthetic events to a Kafka topic instead of writing landing files.

Same generator, same seed, same records: each would-be landing file's lines go to its
Kafka partition in order, with the record timestamp inside the file's landing hour, so the
sink (which buckets by record timestamp) lands every record in the hour the generator
meant. The ground truth is the generator's, without truncated files (Kafka carries
records, not files); it holds when the topic was empty before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from taxiway.errors import DataError, UsageError
from taxiway.events.generator import GeneratorOptions, GroundTruth, generate


@dataclass
class ProduceStats:
    """How many records went to the topic, and how fast."""

    records: int = 0
    seconds: float = 0.0

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


class _Producer:
    """confluent-kafka's producer with delivery failures counted, not lost."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        from taxiway.ingest.sink import client_logger, kafka_module

        self.ck = kafka_module()
        self.topic = topic
        self.failed: list[str] = []
        self.producer = self.ck.Producer(
            {
                "bootstrap.servers": bootstrap,
                # per-partition order is part of the ground truth (which copy is "first")
                "enable.idempotence": True,
                "linger.ms": 20,
                "batch.num.messages": 10_000,
                # back-pressure (BufferError -> poll) instead of librdkafka's 1 GiB default queue
                "queue.buffering.max.kbytes": 65_536,
                "logger": client_logger(),
            }
        )

    def _delivered(self, err: Any, _msg: Any) -> None:
        if err is not None:
            self.failed.append(str(err))

    def send(self, partition: int, value: bytes, timestamp_ms: int) -> None:
        while True:
            try:
                self.producer.produce(
                    self.topic,
                    value=value,
                    partition=partition,
                    timestamp=timestamp_ms,
                    on_delivery=self._delivered,
                )
                break
            except BufferError:  # local queue full: let deliveries drain
                self.producer.poll(0.05)
        self.producer.poll(0)

    def finish(self) -> None:
        left = self.producer.flush(60)
        if left or self.failed:
            raise DataError(
                f"{len(self.failed) + left} record(s) were not delivered to `{self.topic}` "
                f"(first error: {(self.failed or ['timed out'])[0]})."
            )


def check_partitions(bootstrap: str, topic: str, partitions: int) -> None:
    """Create ``topic`` if needed and make sure it has at least ``partitions`` partitions."""
    from taxiway.ingest.broker import create_topic
    from taxiway.ingest.sink import client_logger, kafka_module

    create_topic(bootstrap, topic, partitions)
    admin = kafka_module().admin.AdminClient(
        {"bootstrap.servers": bootstrap, "logger": client_logger()}
    )
    meta = admin.list_topics(topic, timeout=15)
    have = len(meta.topics[topic].partitions) if topic in meta.topics else 0
    if have < partitions:
        raise UsageError(
            f"Topic `{topic}` on `{bootstrap}` has {have} partition(s); the generator writes "
            f"{partitions}. Recreate the topic with {partitions} partitions."
        )


def produce(
    bootstrap: str,
    root: Path,
    opts: GeneratorOptions,
    on_hour: Callable[[datetime], None] | None = None,
) -> tuple[GroundTruth, ProduceStats]:
    """Generate the events of ``opts`` into ``topic`` on ``bootstrap``; truth under ``root``."""
    check_partitions(bootstrap, opts.topic, opts.partitions)
    producer = _Producer(bootstrap, opts.topic)
    stats = ProduceStats()
    started = time.monotonic()

    def emit(hour: datetime, partition: int, lines: list[str]) -> None:
        base = int(hour.astimezone(UTC).timestamp() * 1000)
        n = len(lines)
        for i, line in enumerate(lines):
            # spread over the hour, never past its end: the sink buckets by this timestamp
            producer.send(partition, line.encode(), base + i * 3_599_000 // n)
        stats.records += n

    truth = generate(root, opts, on_hour=on_hour, emit=emit)
    producer.finish()
    stats.seconds = time.monotonic() - started
    return truth, stats
