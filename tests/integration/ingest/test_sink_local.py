"""The sink against a real broker, into a local landing folder."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ingest_helpers import (
    HOUR_MS,
    T10,
    assert_exactly_once,
    local_objects,
    numbered,
    produce,
)

from taxiway.errors import DataError
from taxiway.ingest.sink import KafkaSink, SinkOptions
from taxiway.ingest.store import LocalLandingStore, object_key


def _sink(landing: Path, broker: str, topic: str, **over: object) -> KafkaSink:
    opts = SinkOptions(bootstrap=broker, topic=topic, stop_at_end=True, **over)  # type: ignore[arg-type]
    return KafkaSink(LocalLandingStore(landing), opts)


def test_n_records_land_as_n_lines_in_their_hours(tmp_path: Path, broker: str, topic: str) -> None:
    # 3 partitions x 2 hours (record timestamps straddle 11:00 UTC), flush every 40 records
    counts = {0: 120, 1: 75, 2: 90}
    records = []
    for p, n in counts.items():
        records += numbered(p, n, lambda i: T10 + 3_500_000 + i * 2_000)  # 10:58:20 + 2 s/record
    produce(broker, topic, records)
    bad = [(0, T10 + 1_000, b"{not json"), (1, T10 + 1_000, b'{"o": 75,\n "p": 1}')]
    produce(broker, topic, bad)

    stats = _sink(tmp_path, broker, topic, flush_size=40).run()

    objs = local_objects(tmp_path, topic)
    total = sum(len(o.lines) for o in objs)
    assert total == stats.records == sum(counts.values()) + 2
    assert stats.invalid_json == 1  # the newline one is valid JSON, written on one line
    # the bad records are the last offsets of partitions 0 and 1: check them, then drop them
    last0 = next(o for o in reversed(objs) if o.partition == 0)
    assert last0.lines[-1] == b"{not json" and last0.start + len(last0.lines) == 121
    last1 = next(o for o in reversed(objs) if o.partition == 1)
    assert last1.lines[-1] == b'{"o": 75,  "p": 1}'
    # a record of an earlier hour after later ones starts its own object in its own hour
    assert last0.hour == last1.hour == "2026-11-23T10"
    good = [o for o in objs if o not in (last0, last1)]
    assert_exactly_once(good, counts)
    for obj in good:
        for line in obj.lines:
            rec = json.loads(line)
            ts = T10 + 3_500_000 + rec["o"] * 2_000
            assert obj.hour == ("2026-11-23T10" if ts < T10 + HOUR_MS else "2026-11-23T11")
        assert len(obj.lines) <= 40
    assert {o.hour for o in good} == {"2026-11-23T10", "2026-11-23T11"}
    assert stats.objects == len(objs)

    # a second run finds everything landed and writes nothing
    again = _sink(tmp_path, broker, topic, flush_size=40).run()
    assert again.records == 0 and again.objects == 0
    assert {p: s.resumed_from for p, s in again.partitions.items()} == {0: 121, 1: 76, 2: 90}


def test_rotation_by_size_and_by_time(tmp_path: Path, broker: str, topic: str) -> None:
    produce(broker, topic, numbered(0, 35, lambda i: T10 + i))
    _sink(tmp_path, broker, topic, flush_size=10).run()
    sizes = [len(o.lines) for o in local_objects(tmp_path, topic)]
    assert sizes == [10, 10, 10, 5]  # the last 5 are written when the sink stops

    # time: a running sink writes an object once it has been open for rotate_interval
    landing = tmp_path / "time"
    stop = threading.Event()
    sink = KafkaSink(
        LocalLandingStore(landing),
        SinkOptions(bootstrap=broker, topic=topic, flush_size=1_000, rotate_interval=0.5),
    )
    thread = threading.Thread(target=sink.run, kwargs={"should_stop": stop.is_set})
    thread.start()
    try:
        seen = _wait_for(lambda: len(local_objects(landing, topic)) >= 1)
        produce(broker, topic, numbered(0, 3, lambda i: T10 + 100 + i, first=35))
        seen = _wait_for(lambda: len(local_objects(landing, topic)) >= 2)
    finally:
        stop.set()
        thread.join(30)
    assert seen
    objs = local_objects(landing, topic)
    # [35, 3] unless a very busy machine split a fetch across a rotation
    assert len(objs) >= 2 and sum(len(o.lines) for o in objs) == 38
    assert_exactly_once(objs, {0: 38})


def _wait_for(check: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the sink to write an object")


def test_recovery_spans_hours(tmp_path: Path, broker: str, topic: str) -> None:
    """A crash between writing the 10:00 and the 11:00 object of one partition."""
    produce(broker, topic, numbered(0, 6, lambda i: T10 + (0 if i < 4 else HOUR_MS) + i))
    store = LocalLandingStore(tmp_path)
    # what a sink killed after its first write leaves: the 10:00 object (offsets 0-3) and a
    # half-written temp file of the 11:00 one
    hour10 = object_key(topic, _dt("2026-11-23T10"), 0, 0)
    store.put(hour10, _gz(b'{"p":0,"o":0}\n{"p":0,"o":1}\n{"p":0,"o":2}\n{"p":0,"o":3}\n'))
    tmp = tmp_path / object_key(topic, _dt("2026-11-23T11"), 0, 4)
    tmp.parent.mkdir(parents=True)
    (tmp.parent / f".{tmp.name}.tmp-999").write_bytes(b"\x1f\x8b partial")

    stats = _sink(tmp_path, broker, topic).run()

    assert stats.partitions[0].resumed_from == 4 and stats.records == 2
    assert not list(tmp_path.rglob(".*.tmp-*")), "the dead sink's temp file is removed"
    objs = local_objects(tmp_path, topic)
    assert [(o.hour, o.start, len(o.lines)) for o in objs] == [
        ("2026-11-23T10", 0, 4),
        ("2026-11-23T11", 4, 2),
    ]
    assert_exactly_once(objs, {0: 6})


def test_landing_ahead_of_the_topic_is_an_error(tmp_path: Path, broker: str, topic: str) -> None:
    produce(broker, topic, numbered(1, 2, lambda i: T10))
    LocalLandingStore(tmp_path).put(object_key(topic, _dt("2026-11-23T10"), 1, 5), _gz(b"{}\n{}\n"))
    with pytest.raises(DataError, match="was the topic recreated"):
        _sink(tmp_path, broker, topic).run()


def _sink_process(landing: Path, broker: str, topic: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "taxiway.cli.app", "ingest", "kafka", "--bootstrap", broker),
            *("--topic", topic, "--data-dir", str(landing.parent), "--format", "json", *extra),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TAXIWAY_CONFIG": ""},
    )


def test_sigkill_then_sigint_sigterm_then_drain_is_exactly_once(
    tmp_path: Path, broker: str, topic: str
) -> None:
    counts = {0: 4_000, 1: 3_000, 2: 3_500}
    records = []
    for p, n in counts.items():
        # 20 minutes of records per partition: objects in two hours
        records += numbered(p, n, lambda i, n=n: T10 + 3_000_000 + i * 1_200_000 // n)
    produce(broker, topic, records)
    landing = tmp_path / "data" / "landing"

    # 1. SIGKILL while it writes small objects
    proc = _sink_process(landing, broker, topic, "--flush-size", "25")
    try:
        _wait_for(lambda: _alive(proc) and len(local_objects(landing, topic)) >= 20, timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    landed = sum(len(o.lines) for o in local_objects(landing, topic))
    assert 0 < landed < sum(counts.values()), "the kill must land mid-stream"

    # 2. restart, then SIGINT (and once more, SIGTERM) with a buffer that was never flushed:
    # it is written and the sink exits 0. Each restart resumes right after what is landed
    # (counted before it starts: it writes the rest of hour 10 at once).
    for sig in (signal.SIGINT, signal.SIGTERM):
        per_partition = {p: _landed(landing, topic, p) for p in counts}
        proc = _sink_process(landing, broker, topic, "--flush-size", "1000000")
        try:
            started = _start_line(proc)  # printed once the partitions are assigned
            resumed = {int(p): int(o) for p, o in re.findall(r"(\d)@(\d+)", started)}
            assert resumed == per_partition, started
            time.sleep(1.0)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err
        summary = json.loads(out)
        assert summary["stopped_by"] == sig.name
        after = sum(len(o.lines) for o in local_objects(landing, topic))
        assert after == landed + summary["records"]
        landed = after

    # 3. drain: exactly every record once
    proc = _sink_process(landing, broker, topic, "--stop-at-end")
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert json.loads(out)["records"] == sum(counts.values()) - after
    objs = local_objects(landing, topic)
    assert sum(len(o.lines) for o in objs) == sum(counts.values())
    assert_exactly_once(objs, counts)
    assert {o.hour for o in objs} == {"2026-11-23T10", "2026-11-23T11"}


def _alive(proc: subprocess.Popen[str]) -> bool:
    """True while the sink runs; its stderr in the failure when it died on its own."""
    if proc.poll() is not None:
        _out, err = proc.communicate()
        raise AssertionError(f"the sink exited with {proc.returncode}: {err}")
    return True


def _start_line(proc: subprocess.Popen[str]) -> str:
    """The sink's stderr up to and including its (possibly wrapped) start line."""
    assert proc.stderr is not None
    text = ""
    while "into" not in text:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"the sink exited before it started: {text}")
        text += line
    return " ".join(text[text.index("consuming") :].split())


def _landed(landing: Path, topic: str, partition: int) -> int:
    return sum(len(o.lines) for o in local_objects(landing, topic) if o.partition == partition)


def _dt(hour: str):  # type: ignore[no-untyped-def]
    from taxiway.lake.layout import parse_hour

    return parse_hour(hour)


def _gz(body: bytes) -> bytes:
    import gzip

    return gzip.compress(body)
