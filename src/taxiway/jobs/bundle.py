"""Package the Spark curate job for a cluster: a main script plus a small ``--py-files`` zip.

An EMR step then runs::

    spark-submit --deploy-mode cluster --py-files s3://<artifacts>/jobs/taxiway_jobs.zip \\
        s3://<artifacts>/jobs/curate_spark.py --root s3://<curated-bucket> --from ... --to ...

The zip holds ``taxiway/__init__.py`` (version only), ``taxiway/errors.py`` (the exception
tree), ``taxiway/events/contract.py`` (the one event contract: fields, reason codes),
``taxiway/lake/contract.py`` (the one curate contract: hours, run id, layout, counts check,
manifests, the redo journal), ``taxiway/lake/lock.py`` (the lake lock),
``taxiway/lake/s3api.py`` (the lock's S3 calls on the standard library: nothing guarantees
a boto3 on EMR 7's Python, let alone one with conditional writes) and
``taxiway/jobs/*.py``. They import nothing but the standard library, pyspark and each
other, so the cluster needs no extra installs (a test runs them on a Python without
site-packages).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

ZIP_NAME = "taxiway_jobs.zip"
MAIN_NAME = "curate_spark.py"
_JOBS = Path(__file__).resolve().parent
_MODULES = (
    "__init__.py",
    "event_rules.py",
    "native.py",
    "spark_core.py",
    "curate_spark.py",
    "bundle.py",
)


def build_bundle(dest: Path) -> tuple[Path, Path]:
    """Write ``dest/curate_spark.py`` and ``dest/taxiway_jobs.zip``; return (main, zip)."""
    dest.mkdir(parents=True, exist_ok=True)
    main, archive = dest / MAIN_NAME, dest / ZIP_NAME
    main.write_bytes((_JOBS / MAIN_NAME).read_bytes())
    # fixed timestamps: the same sources give the same zip bytes (cacheable uploads)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        shared = [
            ("taxiway/__init__.py", _JOBS.parent / "__init__.py"),
            ("taxiway/events/__init__.py", _JOBS.parent / "events" / "__init__.py"),
            ("taxiway/errors.py", _JOBS.parent / "errors.py"),
            ("taxiway/events/contract.py", _JOBS.parent / "events" / "contract.py"),
            ("taxiway/lake/__init__.py", _JOBS.parent / "lake" / "__init__.py"),
            ("taxiway/lake/contract.py", _JOBS.parent / "lake" / "contract.py"),
            ("taxiway/lake/lock.py", _JOBS.parent / "lake" / "lock.py"),
            ("taxiway/lake/s3api.py", _JOBS.parent / "lake" / "s3api.py"),
        ]
        for arcname, path in shared + [(f"taxiway/jobs/{name}", _JOBS / name) for name in _MODULES]:
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return main, archive
