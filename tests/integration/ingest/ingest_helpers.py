"""Helpers of the ingest tests: produce numbered records, read landing objects back."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOUR_MS = 3_600_000
T10 = 1_795_428_000_000  # 2026-11-23T10:00:00Z in ms


def produce(bootstrap: str, topic: str, records: list[tuple[int, int, bytes]]) -> None:
    """``(partition, timestamp_ms, value)`` in order; fails on any delivery error."""
    from confluent_kafka import Producer

    failed: list[Any] = []
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for partition, ts, value in records:
        while True:
            try:
                producer.produce(
                    topic,
                    value=value,
                    partition=partition,
                    timestamp=ts,
                    on_delivery=lambda err, _m: failed.append(err) if err else None,
                )
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(30) == 0
    assert not failed, failed


def numbered(
    partition: int, count: int, ts_of: Any, first: int = 0
) -> list[tuple[int, int, bytes]]:
    """Records whose value names their partition and offset (the topic must be fresh)."""
    return [
        (partition, ts_of(i), json.dumps({"p": partition, "o": i}).encode())
        for i in range(first, first + count)
    ]


_NAME = re.compile(r"(?P<topic>.+)\+(?P<p>\d+)\+(?P<o>\d{10})\.json\.gz")


@dataclass(frozen=True)
class Obj:
    """One landing object as read back."""

    hour: str  # YYYY-MM-DDTHH from the folder names
    partition: int
    start: int
    lines: list[bytes]


def hour_of(key: str) -> str:
    parts = dict(p.split("=", 1) for p in key.split("/") if "=" in p)
    return f"{parts['year']}-{parts['month']}-{parts['day']}T{parts['hour']}"


def parse_obj(key: str, body: bytes) -> Obj:
    m = _NAME.fullmatch(key.rsplit("/", 1)[-1])
    assert m, f"unexpected object name {key}"
    text = gzip.decompress(body)
    assert text.endswith(b"\n")
    return Obj(hour_of(key), int(m["p"]), int(m["o"]), text.split(b"\n")[:-1])


def local_objects(landing: Path, topic: str) -> list[Obj]:
    base = landing / "topics" / topic
    return sorted(
        (
            parse_obj(p.relative_to(landing).as_posix(), p.read_bytes())
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".")  # a write in flight (temp name)
        ),
        key=lambda o: (o.partition, o.start),
    )


def assert_exactly_once(objs: list[Obj], expected: dict[int, int]) -> None:
    """Every partition holds offsets 0..n-1 once each, in order, names matching contents."""
    for partition, n in expected.items():
        seen: list[int] = []
        for obj in (o for o in objs if o.partition == partition):
            offsets = [json.loads(line)["o"] for line in obj.lines]
            assert offsets[0] == obj.start, (obj.start, offsets[:3])
            assert offsets == list(range(obj.start, obj.start + len(offsets)))
            seen.extend(offsets)
        assert seen == list(range(n)), (
            f"partition {partition}: {len(seen)} records, {len(set(seen))} distinct, want {n}"
        )
    assert {o.partition for o in objs} <= set(expected)


def taxiway(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taxiway.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=180,
        **kw,
    )
