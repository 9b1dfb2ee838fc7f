"""Two curate runs on one lake at the same time give the tables of the two runs in a row.

The bad interleaving of issue 15 is forced, not hoped for: the first run to finish staging
waits (briefly) for the other to stage before it publishes. With the lake lock the other
cannot get that far, so the first times out and publishes; without the lock (the ablation
below) both stage against the same published state and the table holds duplicated ids.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lake_helpers import HOURS, lake_tables, tiny_options

from taxiway.engines.duckdb import DuckDBEngine
from taxiway.events.generator import GroundTruth, generate
from taxiway.lake.layout import Lake, format_hour
from taxiway.lake.lock import FileLock
from taxiway.lake.publish import Publisher
from taxiway.pipeline import curate as curate_mod

SCENARIOS = {
    "disjoint": (HOURS[:2], HOURS[2:]),
    "overlapping": (HOURS[:3], HOURS[1:]),
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    root = tmp_path_factory.mktemp("concurrent") / "landing-only"
    truth = generate(root, tiny_options(seed=8))
    return root, truth


def _fresh(landing_root: Path, dest: Path) -> Path:
    shutil.copytree(landing_root, dest)
    return dest


def _counts(root: Path) -> tuple[int, int]:
    row = (
        duckdb.connect()
        .execute(
            f"SELECT count(*), count(DISTINCT event_id) "
            f"FROM read_parquet('{root}/curated/events/*/*.parquet')"
        )
        .fetchone()
    )
    assert row is not None
    return int(row[0]), int(row[1])


def _race(
    runs: list[Callable[[Callable[[Publisher], None]], object]], hold: float
) -> list[BaseException]:
    """Start the runs together; each, once staged, waits up to ``hold`` s for the others."""
    barrier = threading.Barrier(len(runs))
    staged = [threading.Event() for _ in runs]
    errors: list[BaseException] = []

    def body(i: int) -> None:
        def before_publish(_: Publisher) -> None:
            staged[i].set()
            for j, other in enumerate(staged):
                if j != i:
                    other.wait(timeout=hold)

        barrier.wait()
        try:
            runs[i](before_publish)
        except BaseException as exc:  # surfaced by the caller
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(len(runs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_two_runs_at_once_equal_the_ground_truth(
    landing: tuple[Path, GroundTruth], tmp_path: Path, scenario: str
) -> None:
    landing_root, truth = landing
    first, second = SCENARIOS[scenario]
    in_a_row = {}  # the tables of the two runs one after the other, in either order
    for name, order in (("ab", (first, second)), ("ba", (second, first))):
        ref = _fresh(landing_root, tmp_path / f"ref-{name}")
        for hours in order:
            curate_mod.curate(ref, hours, DuckDBEngine(threads=1))
        in_a_row[name] = lake_tables(ref)
    for trial in range(3):
        root = _fresh(landing_root, tmp_path / f"lake-{trial}")
        told: list[dict[str, Any]] = []

        def run(
            hours: list[datetime], root: Path = root, told: list[dict[str, Any]] = told
        ) -> Callable[[Callable[[Publisher], None]], object]:
            return lambda hook: curate_mod.curate(
                root, hours, DuckDBEngine(threads=1), before_publish=hook, on_wait=told.append
            )

        errors = _race([run(h) for h in SCENARIOS[scenario]], hold=0.3)
        assert errors == []
        assert _counts(root) == (truth.curated, truth.curated), f"trial {trial}"
        assert len(told) == 1, "exactly one run queued behind the other"
        runs = list(Lake(root).runs_dir.glob("*.json"))
        assert len(runs) == 2
        # the run that did not wait went first; the tables are those of the two in a row
        went_first = json.loads((Lake(root).runs_dir / f"{told[0]['run_id']}.json").read_text())
        order = "ab" if sorted(went_first["hours"]) == [format_hour(h) for h in first] else "ba"
        assert lake_tables(root) == in_a_row[order], f"trial {trial}"
        assert len(lake_tables(root)["quarantine"]) == sum(truth.quarantined.values())


def test_without_the_lock_the_same_race_duplicates_ids(
    landing: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    """Ablation: the race above is real. Bypassing the lock reproduces issue 15's bug."""
    landing_root, truth = landing
    root = _fresh(landing_root, tmp_path / "lake")
    lake = Lake(root)

    def run(hours: list[datetime]) -> Callable[[Callable[[Publisher], None]], object]:
        def go(hook: Callable[[Publisher], None]) -> object:
            run_id = curate_mod.new_run_id()
            return curate_mod._curate_locked(  # the lock-free path: what curate() was before
                lake, run_id, datetime.now(UTC), hours, DuckDBEngine(threads=1), 7, hook, []
            )

        return go

    errors = _race([run(h) for h in SCENARIOS["disjoint"]], hold=30)
    assert errors == []
    rows, distinct = _counts(root)
    assert distinct == truth.curated
    assert rows > distinct, "each run deduplicated against what the other had not published"


def taxiway(*args: str, data: Path) -> list[str]:
    return [sys.executable, "-m", "taxiway.cli.app", *args, "--data-dir", str(data)]


def test_cli_waits_or_fails_with_no_wait_and_skip_reports_still_catalogs(
    landing: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    landing_root, truth = landing
    data = _fresh(landing_root, tmp_path / "data")
    first, last = format_hour(HOURS[0]), format_hour(HOURS[-1])
    holder = FileLock(Lake(data).lock_file, run_id="20261123T0600-other", owner="ops@box:42")
    holder.acquire(wait=False)
    try:
        busy = subprocess.run(
            taxiway("run", "--from", first, "--to", last, "--no-wait", data=data),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert busy.returncode == 2, busy.stderr
        assert "20261123T0600-other" in busy.stderr and "ops@box:42" in busy.stderr
        assert not (data / "curated").exists(), "nothing was curated"

        waiting = subprocess.Popen(
            taxiway("run", "--from", first, "--to", last, "--skip-reports", data=data),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        said = ""
        while "--no-wait" not in said:  # blocks until the run reports that it waits
            line = waiting.stderr.readline()
            assert line, f"the run ended without saying it waits: {said}"
            said += line
        said = " ".join(said.split())  # rich wraps long lines
        assert said.startswith("waiting: the lake") and "run `20261123T0600-other`" in said
    finally:
        holder.release()
    _out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err

    # --skip-reports, yet the catalog's views exist and are current
    query = subprocess.run(
        taxiway(
            "query",
            "SELECT (SELECT count(*) FROM events) AS n, "
            "(SELECT count(DISTINCT event_id) FROM events) AS ids, "
            "(SELECT count(*) FROM quarantine) AS q, (SELECT count(*) FROM runs) AS runs",
            "--format",
            "json",
            data=data,
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert query.returncode == 0, query.stderr
    (row,) = json.loads(query.stdout)
    assert row == {
        "n": truth.curated,
        "ids": truth.curated,
        "q": sum(truth.quarantined.values()),
        "runs": 1,
    }
