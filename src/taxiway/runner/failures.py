"""Why an install failed: the resolver (MWAA fails too) or this machine (MWAA would not).

uv's message decides. A resolver conflict means MWAA's own ``pip install`` under the same
constraints fails the same way. A network error (DNS, TLS, a proxy) or a missing system
header while building an sdist (``mysqlclient`` needs MySQL/MariaDB headers, which MWAA's
image has) is a fact about this machine: the finding says what to install locally instead
of blaming the requirements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from taxiway.findings import Finding, Severity

_NETWORK = re.compile(
    r"dns error|failed to lookup address|name or service not known|temporary failure in "
    r"name resolution|could not connect|connection refused|connection reset|tcp connect error|"
    r"error sending request|operation timed out|network is unreachable|certificate verify "
    r"failed|invalid peer certificate|proxy",
    re.I,
)
# (pattern in the build log, what is missing, Debian/Ubuntu packages, Amazon Linux packages)
_SYSTEM: tuple[tuple[str, str, str, str], ...] = (
    (r"mysql_config|mysqlclient|mariadb_config|mysql\.h", "MySQL/MariaDB client headers",
     "default-libmysqlclient-dev pkg-config build-essential",
     "mariadb-connector-c-devel pkgconf gcc"),
    (r"pg_config|libpq-fe\.h", "PostgreSQL client headers", "libpq-dev", "libpq-devel"),
    (r"krb5-config|gssapi|krb5\.h", "Kerberos headers", "libkrb5-dev", "krb5-devel"),
    (r"sasl/sasl\.h|sasl\.h", "SASL headers", "libsasl2-dev", "cyrus-sasl-devel"),
    (r"lber\.h|ldap\.h", "OpenLDAP headers", "libldap2-dev", "openldap-devel"),
    (r"libxml|libxslt|xmlversion\.h", "libxml2/libxslt headers", "libxml2-dev libxslt1-dev",
     "libxml2-devel libxslt-devel"),
    (r"ffi\.h", "libffi headers", "libffi-dev", "libffi-devel"),
    (r"sql\.h|unixodbc|odbc", "unixODBC headers", "unixodbc-dev", "unixODBC-devel"),
    (r"Python\.h", "the Python development headers", "python3-dev", "python3-devel"),
    (r"command '(gcc|cc|x86_64-linux-gnu-gcc)' failed|gcc: not found|unable to execute 'gcc'",
     "a C compiler", "build-essential", "gcc"),
)  # fmt: skip


@dataclass(frozen=True)
class Cause:
    """What made uv fail: ``kind`` is "resolver", "network", "system" or "unknown"."""

    kind: str
    detail: str = ""
    debian: str = ""
    amazon_linux: str = ""


def classify(message: str) -> Cause:
    """The cause of an install failure from uv's output."""
    for pattern, what, debian, amazon in _SYSTEM:
        if re.search(pattern, message, re.I):
            return Cause("system", what, debian, amazon)
    if _NETWORK.search(message):
        return Cause("network")
    if re.search(r"no solution found|unsatisfiable|conflict|requirements are unsatisfiable|"
                 r"because .* depends on|no version of|not found in the package registry",
                 message, re.I):  # fmt: skip
        return Cause("resolver")
    return Cause("unknown")


def failure_finding(cause: Cause, what: str, subject: str, file: str | None, uv: str) -> Finding:
    """The finding for an install failure of ``what`` (``requirements.txt`` ...)."""
    if cause.kind == "network":
        return Finding(
            "install-failed-locally",
            Severity.ERROR,
            subject,
            f"{what} could not be installed here: uv could not reach the package index "
            "(a network problem on this machine, not something MWAA would hit).\n" + uv,
            "Check the network, proxy and index settings (`UV_INDEX_URL`, `HTTPS_PROXY`); "
            "constraints URLs of MWAA versions are served from taxiway's shipped copies.",
            file,
        )
    if cause.kind == "system":
        return Finding(
            "install-failed-locally",
            Severity.ERROR,
            subject,
            f"{what} could not be built here: {cause.detail} are missing on this machine. "
            "MWAA's image has them, so this is not a failure MWAA would hit.\n" + uv,
            f"Install them locally (Debian/Ubuntu: `apt-get install {cause.debian}`; Amazon "
            f"Linux: `dnf install {cause.amazon_linux}`) and run again.",
            file,
        )
    certain = cause.kind == "resolver"
    return Finding(
        "install-failed",
        Severity.ERROR,
        subject,
        f"{what} cannot be installed under MWAA's constraints; "
        + ("MWAA would fail the same way.\n" if certain else "MWAA would most likely fail too.\n")
        + uv,
        "Drop or relax the pin the resolver names; MWAA's essential pins "
        "(Airflow, Flask, Celery, SQLAlchemy...) cannot be overridden.",
        file,
    )
