"""The exception tree of taxiway.

::

    TaxiwayError                    root: the CLI turns any of these into one red line, exit 2
    ├── ConfigError                 taxiway.yaml (or another settings file) is invalid
    ├── MissingDependencyError      an optional heavy dependency is absent; message = install command
    ├── UsageError                  bad arguments, unreadable input
    ├── DataError                   a pipeline input or output is unusable
    │   └── InvariantError          input != curated + duplicates + quarantined
    └── ToolchainError              uv, bash, ruff or another external tool failed to run

Findings (doctor, preflight, local, migrate) are data, not exceptions: see
:mod:`taxiway.findings`.
"""

from __future__ import annotations


class TaxiwayError(Exception):
    """Root of every error taxiway raises on purpose."""


class ConfigError(TaxiwayError):
    """A settings file is invalid; the message names the file and the key."""


class MissingDependencyError(TaxiwayError):
    """An optional dependency is not installed; the message is the install command."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"`{module}` is not installed (it comes with taxiway's `{extra}` extra); "
            f"install it: pip install 'taxiway[{extra}]' (in a checkout: uv sync --extra {extra})"
        )
        self.module = module
        self.extra = extra


class UsageError(TaxiwayError):
    """Bad command-line usage or unreadable input."""


class DataError(TaxiwayError):
    """Pipeline data is unusable or inconsistent."""


class InvariantError(DataError):
    """A run's counts do not add up: input != curated new + duplicates + quarantined."""


class ToolchainError(TaxiwayError):
    """An external tool (uv, bash, ruff, a JVM) could not run."""
