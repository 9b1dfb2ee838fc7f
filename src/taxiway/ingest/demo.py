"""``taxiway demo --kafka``: the day goes generator -> local broker -> sink -> landing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from taxiway.events.generator import GeneratorOptions, GroundTruth
from taxiway.ingest.store import TOPICS_DIR


def land_through_kafka(root: Path, opts: GeneratorOptions, bar: Any) -> GroundTruth:
    """Start tansu, produce the generated day, run the sink until the topic is drained.

    ``bar`` is a rich Progress; the landing files end up where ``taxiway generate`` would
    put them, so the rest of the demo is unchanged.
    """
    from taxiway.cli import render
    from taxiway.events.kafka import produce
    from taxiway.ingest.broker import local_broker
    from taxiway.ingest.sink import KafkaSink, SinkOptions
    from taxiway.ingest.store import LocalLandingStore

    landing = root / "landing"
    old = landing / TOPICS_DIR / opts.topic
    if old.exists():
        # the broker is new (memory storage, offsets from 0): objects of an earlier run
        # would tell the sink that those offsets are already landed
        render.info(f"demo --kafka: replacing the earlier landing objects under {old}")
        shutil.rmtree(old)
    with local_broker() as bootstrap:
        gen = bar.add_task(f"produce to Kafka ({bootstrap})", total=opts.hours)
        truth, sent = produce(bootstrap, root, opts, on_hour=lambda _h: bar.advance(gen))
        land = bar.add_task("sink Kafka -> landing", total=sent.records)
        sink = KafkaSink(
            LocalLandingStore(landing),
            SinkOptions(bootstrap=bootstrap, topic=opts.topic, flush_size=50_000, stop_at_end=True),
        )
        stats = sink.run(on_progress=lambda s: bar.update(land, completed=s.records))
        bar.update(land, completed=stats.records)
    render.info(
        f"Kafka: produced {sent.records:,} records ({sent.records_per_s:,.0f}/s); the sink "
        f"landed {stats.records:,} in {stats.objects:,} objects "
        f"({stats.records / max(stats.seconds, 1e-9):,.0f}/s)"
    )
    return truth
