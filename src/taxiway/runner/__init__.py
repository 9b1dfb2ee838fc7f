"""The Docker-free local runner: MWAA's install, DagBag import and startup script, with uv.

Public entry points (import them from their modules; this package imports nothing heavy):

- :func:`taxiway.runner.check.local_test` - build or reuse the environment, import DAGs
  and plugins, run the startup script; returns findings and timings.
- :func:`taxiway.runner.server.start` - ``airflow standalone`` on the project.
- :func:`taxiway.runner.package.package_requirements` - wheels for MWAA's platform in a zip.
"""

from __future__ import annotations
