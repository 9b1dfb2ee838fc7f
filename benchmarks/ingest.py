"""Benchmark: `taxiway ingest kafka` throughput, broker -> landing files.

Starts a local tansu broker, produces the generator's events (3 partitions) and reports, as
one JSON object per figure:

- ``produce``: records/s the generator + producer put into the topic (the input rate);
- ``consume_only``: records/s a bare confluent-kafka consumer reads the same records with
  ``assign()`` and does nothing with them (the floor the sink cannot beat);
- ``sink``: records/s the sink reads them and writes gzip JSON-lines objects to a local
  landing folder (JSON check, buffering, compression, atomic rename included).

There is no DESIGN.md target for ingest; the script exits 1 only if the sink did not land
exactly the produced records.

    uv run python benchmarks/ingest.py [--hours 4] [--events-per-hour 25000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def _consume_only(bootstrap: str, topic: str, partitions: int, expected: int) -> float:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    started, n = time.monotonic(), 0
    while n < expected:
        for msg in consumer.consume(num_messages=2000, timeout=1.0):
            if msg.error() is None:
                msg.value()
                n += 1
    seconds = time.monotonic() - started
    consumer.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=4)
    parser.add_argument("--events-per-hour", type=int, default=25_000)
    parser.add_argument("--flush-size", type=int, default=50_000)
    args = parser.parse_args()

    from taxiway.events.generator import GeneratorOptions
    from taxiway.events.kafka import produce
    from taxiway.ingest.broker import local_broker
    from taxiway.ingest.sink import KafkaSink, SinkOptions
    from taxiway.ingest.store import LocalLandingStore

    opts = GeneratorOptions(
        start=datetime(2026, 11, 23, 0, tzinfo=UTC),
        hours=args.hours,
        events_per_hour=args.events_per_hour,
    )
    with tempfile.TemporaryDirectory() as tmp, local_broker() as bootstrap:
        root = Path(tmp)
        _truth, sent = produce(bootstrap, root, opts)
        n = sent.records
        floor = _consume_only(bootstrap, opts.topic, opts.partitions, n)
        sink = KafkaSink(
            LocalLandingStore(root / "landing"),
            SinkOptions(
                bootstrap=bootstrap,
                topic=opts.topic,
                flush_size=args.flush_size,
                rotate_interval=3600,
                stop_at_end=True,
            ),
        )
        stats = sink.run()
        landed = sum(
            len(gzip.decompress(p.read_bytes()).splitlines())
            for p in (root / "landing").rglob("*.json.gz")
        )
    figures = [
        {"name": "ingest.produce", "records": n, "seconds": round(sent.seconds, 3)},
        {"name": "ingest.consume_only", "records": n, "seconds": round(floor, 3)},
        {
            "name": "ingest.sink",
            "records": stats.records,
            "seconds": round(stats.seconds, 3),
            "objects": stats.objects,
            "bytes_written": stats.bytes_written,
            "landed_lines": landed,
        },
    ]
    for fig in figures:
        fig["records_per_s"] = round(fig["records"] / fig["seconds"]) if fig["seconds"] else 0
        print(json.dumps(fig))
    print(
        json.dumps(
            {
                "name": "ingest.ratios",
                "sink_vs_produce": round(stats.records / stats.seconds / (n / sent.seconds), 2),
                "sink_vs_consume_only": round(stats.records / stats.seconds / (n / floor), 2),
            }
        )
    )
    return 0 if landed == stats.records == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
