"""The twin's server: moto's app behind one WSGI front that routes MWAA to taxiway's plane.

A request signed for the ``airflow`` service (SigV4's credential scope names it) goes to
:class:`~taxiway.twin.mwaa.ControlPlane`, one signed for ``airflow-serverless`` to
:class:`~taxiway.twin.serverless.ServerlessPlane`; everything else to moto, with the EMR step
emulator and the Athena emulator attached to moto's backends in this process.
``POST /moto-api/reset`` resets moto and the twin's MWAA together.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from taxiway.twin import _s3

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
DEFAULT_REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Twin:
    """moto's server plus taxiway's emulators, on 127.0.0.1.

    ``Twin(port=0).start()`` picks a free port; :attr:`endpoint` is the value for
    ``AWS_ENDPOINT_URL``. ``cache`` is where the MWAA plane's local-runner environments are
    kept (default: the local runner's cache, shared with ``taxiway local``).
    """

    def __init__(
        self,
        port: int = 0,
        data_dir: Path | None = None,
        cache: Path | None = None,
        region: str = DEFAULT_REGION,
    ) -> None:
        from taxiway import mwaa as versions
        from taxiway.twin.athena import AthenaEmulator
        from taxiway.twin.emr import EmrStepEmulator
        from taxiway.twin.install import RunnerInstaller
        from taxiway.twin.mwaa import ControlPlane
        from taxiway.twin.serverless import EngineRunner, ServerlessPlane

        self._tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="taxiway-twin-")
        self.data_dir = (data_dir or Path(self._tmp.name)).resolve()  # type: ignore[union-attr]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.region = region
        self.installer = RunnerInstaller(self.data_dir, region, cache)
        supported = [v for v in versions.versions() if versions.release(v).supported]
        self.mwaa = ControlPlane(
            self.data_dir,
            self.installer.install,
            self.installer.reimport,
            latest_version=versions.latest(),
            known_versions=supported,
        )
        self.serverless = ServerlessPlane(self.data_dir, EngineRunner(self.data_dir, cache))
        self.emr = EmrStepEmulator(region, self.data_dir / "emr")
        self.athena = AthenaEmulator(region, self.data_dir / "athena")
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Twin:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        # one line per request on stderr would bury the twin's own messages
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            "127.0.0.1", self.port, self._front(moto_app), True, request_handler=MotoRequestHandler
        )
        self.port = int(self._server.server_address[1])
        _s3.ENDPOINT = self.endpoint
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="twin-http"
        )
        self._thread.start()
        self.mwaa.start()
        self.emr.start()
        self.athena.start()
        return self

    def stop(self) -> None:
        self.athena.stop()
        self.emr.stop()
        self.mwaa.stop()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._tmp is not None:
            self._tmp.cleanup()

    def _front(self, moto_app: Wsgi) -> Wsgi:
        plane = self.mwaa

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            if scope and scope.group(2) == "airflow-serverless":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                status, payload = self.serverless.handle(
                    environ.get("HTTP_X_AMZ_TARGET", ""), body, scope.group(1), ACCOUNT
                )
                return _json(start_response, status, payload, "application/x-amz-json-1.0")
            if scope and scope.group(2) == "airflow":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                path = environ.get("PATH_INFO", "/")
                status, payload = plane.handle(
                    environ["REQUEST_METHOD"], path, body, scope.group(1), ACCOUNT
                )
                return _json(start_response, status, payload, "application/json")
            if environ.get("PATH_INFO") == "/moto-api/reset":
                plane.reset()
                self.serverless.reset()
                self.emr.seen.clear()
                return _reset(moto_app, environ, start_response)
            return moto_app(environ, start_response)

        return app


def _json(
    start_response: Callable[..., Any], status: int, payload: dict[str, Any], content_type: str
) -> Iterable[bytes]:
    data = json.dumps(payload, default=str).encode()
    headers = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
    if status >= 400:
        headers.append(("x-amzn-ErrorType", str(payload.get("__type"))))
    start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
    return [data]


def _reset(
    moto_app: Wsgi, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """moto's reset, tried again when it lost a race: it iterates its backend dicts while an
    emulator thread (EMR's step poller, Athena's) may be adding a region's backend to one,
    and then answers 500 "dictionary changed size during iteration"."""
    for attempt in range(5):
        seen: list[tuple[str, Any]] = []

        def record(status: str, headers: Any, *_: Any, seen: list[Any] = seen) -> None:
            seen.append((status, headers))

        body = b"".join(moto_app(environ, record))
        status, headers = seen[0]
        if not (status.startswith("500") and b"changed size" in body) or attempt == 4:
            start_response(status, headers)
            return [body]
        time.sleep(0.05)
    raise AssertionError("unreachable")
