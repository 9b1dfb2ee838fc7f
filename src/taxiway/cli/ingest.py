"""``taxiway ingest kafka``: the Kafka -> landing sink on the terminal."""

from __future__ import annotations

import json
import signal
import sys
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from taxiway.cli import render

app = typer.Typer(help="Bring events into the landing store.", no_args_is_help=True)


class Fmt(StrEnum):
    text = "text"
    json = "json"


def _table(stats: Any, now: str = "") -> Any:
    rows = [
        (p, s.resumed_from, s.next_offset, s.high_watermark, s.lag, s.records, s.objects)
        for p, s in sorted(stats.partitions.items())
    ]
    seconds = stats.seconds or stats.elapsed()
    rate = stats.records / seconds if seconds else 0.0
    return render.table(
        f"{stats.topic} -> {stats.landing}: {stats.records:,} records "
        f"({now}{rate:,.0f}/s on average), {stats.objects:,} objects, "
        f"{stats.invalid_json:,} not JSON",
        ("partition", "resumed from", "next offset", "high watermark", "lag", "records", "objects"),
        rows,
    )


@app.command("kafka")
def kafka(
    env: str = typer.Option("local", "--env", "-e", help="Environment from taxiway.yaml."),
    bootstrap: str = typer.Option(..., "--bootstrap", help="Kafka bootstrap servers, HOST:PORT."),
    topic: str = typer.Option(None, "--topic", help="Topic (default: pipeline.topic, `events`)."),
    flush_size: int = typer.Option(
        10_000, "--flush-size", min=1, help="Records per object before it is written."
    ),
    rotate_interval: float = typer.Option(
        60.0, "--rotate-interval", help="Seconds an object may stay open before it is written."
    ),
    stop_at_end: bool = typer.Option(
        False, "--stop-at-end", help="Exit once every partition is drained (else run until ^C)."
    ),
    fmt: Fmt = typer.Option(Fmt.text, "--format", help="text, or json for a final summary."),
    data_dir: str | None = typer.Option(
        None, "--data-dir", envvar="TAXIWAY_DATA_DIR", help="Storage root (default ./data)."
    ),
    config: Path | None = typer.Option(None, "--config", help="Settings file."),
) -> None:
    """Consume a topic into the landing layout, exactly once; SIGINT/SIGTERM flush and exit 0.

    Local environment: DATA_DIR/landing; AWS: its landing bucket. See docs/ingest.md.
    """
    from taxiway.extras import need

    need("kafka")
    from taxiway import config as cfg
    from taxiway.ingest.sink import KafkaSink, SinkOptions
    from taxiway.ingest.store import open_store

    settings = cfg.load(config)
    store = open_store(settings, env, data_dir)
    opts = SinkOptions(
        bootstrap=bootstrap,
        topic=topic or settings.pipeline.topic,
        flush_size=flush_size,
        rotate_interval=rotate_interval,
        stop_at_end=stop_at_end,
    )
    stop = {"signal": ""}

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop["signal"] = signal.Signals(signum).name

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)
    sink = KafkaSink(store, opts)

    def _started(s: Any) -> None:
        offsets = ", ".join(f"{p}@{v.resumed_from}" for p, v in sorted(s.partitions.items()))
        render.info(f"consuming `{s.topic}` (partition@offset {offsets}) into {s.landing}")

    if fmt is Fmt.json or not render.err_console.is_terminal:
        stats = sink.run(should_stop=lambda: bool(stop["signal"]), on_start=_started)
    else:
        from rich.live import Live

        last = [0.0, 0]  # elapsed seconds and records at the previous refresh

        def _refresh(s: Any) -> None:
            elapsed = s.elapsed()
            rate = (s.records - last[1]) / max(elapsed - last[0], 1e-9)
            last[:] = [elapsed, s.records]
            live.update(_table(s, now=f"{rate:,.0f}/s now, "))

        # transient: the final table below replaces the live one
        with Live(console=render.err_console, refresh_per_second=2, transient=True) as live:
            stats = sink.run(
                should_stop=lambda: bool(stop["signal"]), on_progress=_refresh, on_start=_started
            )
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps({**stats.to_dict(), "stopped_by": stop["signal"]}) + "\n")
    else:
        render.show(_table(stats))
        if stop["signal"]:
            render.info(f"stopped by {stop['signal']}: every buffered record was written")
