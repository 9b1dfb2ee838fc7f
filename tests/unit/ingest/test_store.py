"""Object names and offset recovery of the Kafka sink, on a local folder (no broker)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from taxiway.errors import DataError
from taxiway.ingest.store import (
    LocalLandingStore,
    count_lines,
    object_key,
    parse_object_name,
    recover,
)
from taxiway.lake.layout import Lake, parse_hour

H10, H11 = parse_hour("2026-11-23T10"), parse_hour("2026-11-23T11")


def test_object_key_is_the_lake_layout_under_the_landing_root(tmp_path: Path) -> None:
    key = object_key("events", H10, 2, 1234)
    assert key == "topics/events/year=2026/month=11/day=23/hour=10/events+2+0000001234.json.gz"
    assert tmp_path / "landing" / key == Lake(tmp_path).landing_file(H10, 2, 1234)
    assert parse_object_name("events", key.rsplit("/", 1)[-1]) == (2, 1234)
    assert parse_object_name("events", "events+2+0000001234.json") == (2, 1234)
    for other in ("clicks+2+0000001234.json.gz", ".events+2+0000001234.json.gz.tmp-7", "x.txt"):
        assert parse_object_name("events", other) is None


def _lines(*offsets: int) -> bytes:
    return gzip.compress(b"".join(b'{"o":%d}\n' % o for o in offsets))


def test_recover_takes_each_partitions_last_object_over_all_hours(tmp_path: Path) -> None:
    store = LocalLandingStore(tmp_path)
    store.put(object_key("events", H10, 0, 0), _lines(0, 1, 2))
    store.put(object_key("events", H11, 0, 3), _lines(3, 4))  # later hour, later offsets
    store.put(object_key("events", H11, 1, 0), _lines(0))
    store.put(object_key("events", H10, 1, 1), _lines(1, 2, 3, 4))  # earlier hour, later offsets
    store.put(object_key("other", H10, 0, 0), _lines(*range(50)))  # another topic
    last = recover(store, "events")
    assert {p: o.next_offset for p, o in last.items()} == {0: 5, 1: 5}
    assert last[1].key.endswith("hour=10/events+1+0000000001.json.gz")


def test_recover_removes_temp_files_and_rejects_unreadable_objects(tmp_path: Path) -> None:
    store = LocalLandingStore(tmp_path)
    store.put(object_key("events", H10, 0, 0), _lines(0, 1))
    tmp = tmp_path / object_key("events", H10, 0, 2)
    (tmp.parent / f".{tmp.name}.tmp-42").write_bytes(b"half an obj")
    assert recover(store, "events")[0].next_offset == 2
    assert [p.name for p in tmp.parent.iterdir()] == ["events+0+0000000000.json.gz"]

    store.put(object_key("events", H11, 0, 2), b"\x1f\x8bnot gzip")
    with pytest.raises(DataError, match=re.escape("events+0+0000000002.json.gz")):
        recover(store, "events")
    assert count_lines("x.json", b"a\nb\n") == 2
