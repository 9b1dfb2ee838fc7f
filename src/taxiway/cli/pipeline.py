"""Pipeline commands: generate, run, query, demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import typer

from taxiway.cli import render

DataDir = typer.Option(
    None, "--data-dir", envvar="TAXIWAY_DATA_DIR", help="Storage root (default ./data)."
)
ConfigFile = typer.Option(None, "--config", help="Settings file (default: nearest taxiway.yaml).")


class Fmt(StrEnum):
    text = "text"
    json = "json"


class QueryFmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _settings(config: Path | None):  # type: ignore[no-untyped-def]
    from taxiway import config as cfg

    return cfg.load(config)


def _root(settings, data_dir: str | None) -> Path:  # type: ignore[no-untyped-def]
    from taxiway import config as cfg

    return Path(cfg.data_dir(settings, "local", data_dir))


def generate(
    start: str = typer.Option(
        None, "--start", help="First landing hour, YYYY-MM-DDTHH (default: yesterday 00 UTC)."
    ),
    hours: int = typer.Option(24, "--hours", min=1, help="Number of landing hours."),
    events_per_hour: int = typer.Option(50_000, "--events-per-hour", min=1),
    seed: int = typer.Option(7, "--seed", help="Same seed, same files."),
    malformed_rate: float = typer.Option(0.004, "--malformed-rate", min=0, max=1),
    missing_field_rate: float = typer.Option(0.003, "--missing-field-rate", min=0, max=1),
    wrong_type_rate: float = typer.Option(0.003, "--wrong-type-rate", min=0, max=1),
    unknown_type_rate: float = typer.Option(0.002, "--unknown-type-rate", min=0, max=1),
    bad_timestamp_rate: float = typer.Option(0.003, "--bad-timestamp-rate", min=0, max=1),
    duplicate_rate: float = typer.Option(0.02, "--duplicate-rate", min=0, max=1),
    late_rate: float = typer.Option(0.01, "--late-rate", min=0, max=1),
    truncated_file_rate: float = typer.Option(0.01, "--truncated-file-rate", min=0, max=1),
    uncompressed: bool = typer.Option(False, "--uncompressed", help="Write .json, not .json.gz."),
    to_kafka: str | None = typer.Option(
        None,
        "--to-kafka",
        metavar="BOOTSTRAP",
        help="Produce the events to the topic on this broker (HOST:PORT) instead of files.",
    ),
    data_dir: str | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Write synthetic marketing events in the landing layout, plus a ground-truth summary."""
    from taxiway.events.generator import GeneratorOptions
    from taxiway.events.generator import generate as run_generator
    from taxiway.lake.layout import parse_hour

    settings = _settings(config)
    root = _root(settings, data_dir)
    first = parse_hour(start) if start else _yesterday()
    opts = GeneratorOptions(
        start=first,
        hours=hours,
        events_per_hour=events_per_hour,
        seed=seed,
        topic=settings.pipeline.topic,
        compress=not uncompressed,
        malformed_rate=malformed_rate,
        missing_field_rate=missing_field_rate,
        wrong_type_rate=wrong_type_rate,
        unknown_type_rate=unknown_type_rate,
        bad_timestamp_rate=bad_timestamp_rate,
        duplicate_rate=duplicate_rate,
        late_rate=late_rate,
        truncated_file_rate=truncated_file_rate,
    )
    if to_kafka:
        from taxiway.errors import UsageError
        from taxiway.events.kafka import produce

        if uncompressed:
            raise UsageError(
                "`--uncompressed` is about landing files; with `--to-kafka` the sink writes "
                "them (gzip). Drop one of the two options."
            )

        with render.progress() as bar:
            task = bar.add_task(f"producing to {opts.topic} on {to_kafka}", total=hours)
            truth, sent = produce(to_kafka, root, opts, on_hour=lambda _h: bar.advance(task))
        render.info(
            f"produced {sent.records:,} records to `{opts.topic}` on {to_kafka} "
            f"({sent.records_per_s:,.0f}/s); ground truth: {root / 'ground_truth.json'} "
            f"(land them with `taxiway ingest kafka --bootstrap {to_kafka}`)"
        )
        return
    with render.progress() as bar:
        task = bar.add_task("generating landing hours", total=hours)
        truth = run_generator(root, opts, on_hour=lambda _h: bar.advance(task))
    render.info(
        f"wrote {truth.input_records:,} input records in {truth.files} files under "
        f"{root / 'landing'}; ground truth: {root / 'ground_truth.json'}"
    )


def _yesterday() -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=1)


def run(
    env: str = typer.Option("local", "--env", "-e", help="Environment from taxiway.yaml."),
    start: str = typer.Option(..., "--from", help="First landing hour, YYYY-MM-DDTHH."),
    end: str = typer.Option(None, "--to", help="Last landing hour (default: --from)."),
    skip_reports: bool = typer.Option(
        False, "--skip-reports", help="Curate only (the catalog's lake views still refresh)."
    ),
    engine: str = typer.Option(
        None, "--engine", help="duckdb (default locally) or spark (Spark local mode)."
    ),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Fail (exit 2) if another run holds the lake, instead of waiting."
    ),
    fmt: Fmt = typer.Option(Fmt.text, "--format"),
    data_dir: str | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Curate landing hours (validate, dedupe, publish), then refresh the catalog and reports.

    One run at a time per lake: a second run waits for the first (or fails with --no-wait).
    """
    from taxiway.extras import need

    need("pipeline")
    from taxiway.lake.layout import hour_range, parse_hour
    from taxiway.lake.lock import describe
    from taxiway.pipeline.local import curate_hours, refresh_catalog

    settings = _settings(config)
    root = _root(settings, data_dir)
    hours = hour_range(parse_hour(start), parse_hour(end or start))

    def waiting(holder: dict[str, object]) -> None:
        render.info(
            ("waiting", "yellow"),
            f": the lake `{root}` is being curated by {describe(holder)}; "
            "this run starts when it finishes (Ctrl-C to stop, `--no-wait` to fail instead)",
        )

    manifest = curate_hours(settings, env, root, hours, engine, wait=not no_wait, on_wait=waiting)
    if not skip_reports:
        refresh_catalog(settings, root)
    render.run_summary(manifest, fmt.value)


def query(
    sql: str = typer.Argument(..., help="SQL in Athena/Trino dialect (transpiled for DuckDB)."),
    fmt: QueryFmt = typer.Option(QueryFmt.table, "--format"),
    dialect: str = typer.Option("athena", "--dialect", help="athena (default) or duckdb."),
    data_dir: str | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Run SQL against the local warehouse (events, quarantine, hourly_counts, runs, reports)."""
    from taxiway.extras import need

    need("pipeline")
    from taxiway.catalog.local import DuckDBCatalog
    from taxiway.errors import UsageError
    from taxiway.lake.layout import Lake

    settings = _settings(config)
    root = _root(settings, data_dir)
    catalog = DuckDBCatalog(Lake(root, settings.pipeline.topic))
    if not catalog.path.exists():
        raise UsageError(
            f"No warehouse at `{catalog.path}`; run `taxiway demo` or `taxiway run` first."
        )
    if dialect == "athena":
        from taxiway.sql.transpile import transpile

        text = transpile(sql, "duckdb")
    elif dialect == "duckdb":
        text = sql
    else:
        raise UsageError(f"`--dialect {dialect}`: choose athena or duckdb.")
    con = catalog.connect(read_only=True)
    try:
        try:
            cur = con.execute(text)
        except Exception as exc:  # duckdb.Error, without importing duckdb at CLI start
            raise UsageError(f"Query failed: {exc}") from exc
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall()
    finally:
        con.close()
    render.rows_as(fmt.value, columns, rows)


def demo(
    hours: int = typer.Option(24, "--hours", min=1),
    events_per_hour: int = typer.Option(50_000, "--events-per-hour", min=1),
    seed: int = typer.Option(7, "--seed"),
    kafka: bool = typer.Option(
        False,
        "--kafka",
        help="Go through Kafka: start a local broker, produce the day, land it with the sink.",
    ),
    data_dir: str | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Generate a day of events, curate it, build the reports and show the KPIs."""
    from taxiway.extras import need

    need("pipeline", "dashboard")
    import json

    from taxiway.events.generator import GeneratorOptions
    from taxiway.events.generator import generate as run_generator
    from taxiway.lake.layout import format_hour, hour_range
    from taxiway.pipeline.local import curate_hours, refresh_catalog

    settings = _settings(config)
    root = _root(settings, data_dir)
    first = _yesterday()
    opts = GeneratorOptions(
        start=first,
        hours=hours,
        events_per_hour=events_per_hour,
        seed=seed,
        topic=settings.pipeline.topic,
    )
    batches = [
        hour_range(first + timedelta(hours=h), first + timedelta(hours=min(h + 5, hours - 1)))
        for h in range(0, hours, 6)
    ]
    with render.progress() as bar:
        if kafka:
            from taxiway.ingest.demo import land_through_kafka

            truth = land_through_kafka(root, opts, bar)
        else:
            gen = bar.add_task("generate landing hours", total=hours)
            truth = run_generator(root, opts, on_hour=lambda _h: bar.advance(gen))
        cur = bar.add_task("curate (DuckDB)", total=hours)
        manifests = []
        for batch in batches:
            manifests.append(curate_hours(settings, "local", root, batch))
            bar.advance(cur, len(batch))
        rep = bar.add_task("catalog + reports", total=1)
        report_rows = refresh_catalog(settings, root)
        bar.advance(rep)
    from taxiway.lake.manifest import RunManifest

    merged = RunManifest(
        run_id=manifests[0].run_id + (f" +{len(manifests) - 1} more" if len(manifests) > 1 else ""),
        engine="duckdb",
        started_at=manifests[0].started_at,
        finished_at=manifests[-1].finished_at,
        hours={k: v for m in manifests for k, v in m.hours.items()},
        totals={k: sum(m.totals[k] for m in manifests) for k in manifests[0].totals},
        new_rows_per_date={},
    )
    render.run_summary(merged, "text")
    _show_kpis(root, settings)
    ok = merged.totals["curated_new"] == truth.curated
    render.info(
        f"ground truth: {truth.curated:,} unique valid events, {truth.duplicates:,} duplicates, "
        f"{sum(truth.quarantined.values()):,} quarantined -> ",
        ("pipeline matches", "green") if ok else ("MISMATCH", "red"),
    )
    render.info(
        f"hours {format_hour(first)}..{format_hour(first + timedelta(hours=hours - 1))}; "
        f"reports: {json.dumps(report_rows)}\n"
        f"warehouse: {root / 'warehouse.duckdb'} (open it with `duckdb` or a BI tool; "
        'or `taxiway query "SELECT * FROM campaign_daily_kpis LIMIT 5"`)'
    )
    _dashboard(root)
    if not ok:
        raise typer.Exit(1)


def _dashboard(root: Path) -> None:
    """Build the HTML dashboard beside the warehouse and say where it is."""
    from taxiway.dashboard import build
    from taxiway.errors import MissingDependencyError

    try:
        path = build(root / "warehouse.duckdb", root / "dashboard.html")
    except MissingDependencyError as exc:  # the demo's data is fine; only the page is missing
        render.info(("no dashboard:", "yellow"), f" {exc}")
        return
    render.info(
        f"dashboard: {path.resolve()} (open it in a browser; `taxiway airflow` runs the DAG "
        "in Airflow's UI)"
    )


def _show_kpis(root: Path, settings) -> None:  # type: ignore[no-untyped-def]
    from taxiway.catalog.local import DuckDBCatalog
    from taxiway.lake.layout import Lake

    con = DuckDBCatalog(Lake(root, settings.pipeline.topic)).connect(read_only=True)
    try:
        cur = con.execute(
            """SELECT campaign_id AS campaign, impressions, clicks, round(ctr, 4) AS ctr,
                      conversions, round(cvr, 4) AS cvr, CAST(revenue AS DOUBLE) AS revenue
               FROM campaign_daily_kpis
               WHERE event_date = (SELECT max(event_date) FROM campaign_daily_kpis)
               ORDER BY revenue DESC NULLS LAST LIMIT 10"""
        )
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    render.rows_as("table", columns, rows, title="campaign KPIs (top 10 by revenue, latest day)")


def register(app: typer.Typer) -> None:
    """Attach the pipeline commands to the root app."""
    app.command("generate")(generate)
    app.command("run")(run)
    app.command("query")(query)
    app.command("demo")(demo)
