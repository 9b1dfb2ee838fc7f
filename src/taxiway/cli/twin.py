"""`taxiway twin`: a local AWS (moto plus taxiway's MWAA, EMR-step and Athena emulators).

The first line on stdout is ``AWS_ENDPOINT_URL=http://127.0.0.1:PORT`` (``eval`` it, or read
it from a script); then it serves until SIGINT or SIGTERM. Point boto3, the AWS CLI,
``taxiway deploy`` and ``taxiway preflight`` at it with that variable.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import typer


def twin(
    port: int = typer.Option(4566, "--port", help="Port on 127.0.0.1 (0: any free port)."),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="Where the emulators keep their files: MWAA installs and DAG import errors, EMR "
        "step runs, Athena work (default: a temporary folder removed at exit).",
    ),
    cache_dir: Path | None = typer.Option(
        None,
        "--cache-dir",
        envvar="TAXIWAY_CACHE_DIR",
        help="Where MWAA environments' virtualenvs are cached (default: `taxiway local`'s).",
    ),
    region: str = typer.Option(
        "us-east-1", "--region", help="Region the emulators' own AWS calls use."
    ),
) -> None:
    """Run a local AWS on 127.0.0.1 until Ctrl-C: S3, IAM, EC2, Glue, EMR, Athena and MWAA."""
    import logging

    from taxiway.extras import need

    need("twin")

    from taxiway.cli import render
    from taxiway.twin.server import Twin

    # the emulators' own lines (an environment's state changes, a failed statement)
    logging.basicConfig(level=logging.INFO, format="twin: %(message)s")

    server = Twin(port, data_dir, cache_dir, region).start()
    render.raw(f"AWS_ENDPOINT_URL={server.endpoint}\n")
    sys.stdout.flush()  # a script reading the first line must not wait for a buffer
    render.info(f"taxiway twin on {server.endpoint}; data in {server.data_dir}; Ctrl-C stops it")
    done = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not done.wait(0.5):
        pass
    server.stop()
    render.info("taxiway twin stopped")


def register(app: typer.Typer) -> None:
    """Add ``twin`` to the root app."""
    app.command("twin")(twin)
