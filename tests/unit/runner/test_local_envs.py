"""`taxiway local envs` / `prune`: sizes by inode, superseded environments, locks."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taxiway.cli.app import app
from taxiway.errors import UsageError
from taxiway.runner import envs
from taxiway.runner.environment import BuiltEnv, in_use, locked, touch_used

MB = 1_000_000


def _env(cache: Path, name: str, mwaa: str, shared: Path, own: int) -> Path:
    """A fake cache entry: one file hard-linked from ``shared`` (uv's cache) and ``own``
    bytes of its own."""
    root = cache / name
    (root / "venv").mkdir(parents=True)
    os.link(shared, root / "venv" / "big.py")
    (root / "pycache").mkdir()
    (root / "pycache" / "x.pyc").write_bytes(os.urandom(own))
    (root / "taxiway-env.json").write_text(json.dumps({"mwaa": mwaa, "python": "3.12.1"}))
    return root


def _use(root: Path, project: Path, when: float) -> None:
    touch_used(root, project)
    records = [p for p in (root / "uses").iterdir() if p.read_text().strip() == str(project)]
    for path in [root / "last-used", *records]:
        os.utime(path, (when, when))


@pytest.fixture
def uv_file(tmp_path: Path) -> Path:
    path = tmp_path / "uv-cache" / "big.py"
    path.parent.mkdir()
    path.write_bytes(os.urandom(3 * MB))
    return path


def test_sizes_count_hard_links_once_and_own_is_what_removal_frees(
    tmp_path: Path, uv_file: Path
) -> None:
    cache = tmp_path / "cache"
    a = _env(cache, "mwaa-3.3.1-py3.12-aaaa", "3.3.1", uv_file, MB)
    os.link(a / "pycache" / "x.pyc", a / "venv" / "x-again.pyc")  # linked twice inside
    _env(cache, "mwaa-3.3.1-py3.12-bbbb", "3.3.1", uv_file, 2 * MB)
    listing = envs.list_envs(cache)
    first = next(e for e in listing.envs if e.name.endswith("aaaa"))
    assert 4 * MB <= first.bytes < 4.2 * MB  # 3 MB shared + 1 MB counted once
    assert MB <= first.own_bytes < 1.2 * MB  # the shared file belongs to uv's cache too
    assert 6 * MB <= listing.disk_bytes < 6.3 * MB  # 3 + 1 + 2, hard links once
    assert 3 * MB <= listing.own_bytes < 3.3 * MB
    assert {e.mwaa for e in listing.envs} == {"3.3.1"}


def test_prune_removes_superseded_incomplete_and_old_never_in_use(
    tmp_path: Path, uv_file: Path
) -> None:
    cache = tmp_path / "cache"
    project, other = tmp_path / "p", tmp_path / "q"
    now = time.time()
    old = _env(cache, "mwaa-3.3.1-py3.12-old1", "3.3.1", uv_file, 1000)
    new = _env(cache, "mwaa-3.3.1-py3.12-new1", "3.3.1", uv_file, 1000)
    shared = _env(cache, "mwaa-3.3.1-py3.12-shrd", "3.3.1", uv_file, 1000)
    v2 = _env(cache, "mwaa-2.11.2-py3.12-v2v2", "2.11.2", uv_file, 1000)
    stale = _env(cache, "mwaa-2.11.2-py3.12-stal", "2.11.2", uv_file, 1000)
    broken = cache / "mwaa-3.3.1-py3.12-half"
    (broken / "venv").mkdir(parents=True)  # a build that died: no marker
    _use(old, project, now - 3600)
    _use(new, project, now - 60)  # the same project moved on: `old` is superseded
    _use(shared, project, now - 7200)
    _use(shared, other, now - 10)  # still the newest for `other`: kept
    _use(v2, project, now - 7200)  # another MWAA version: not superseded by `new`
    _use(stale, other, now - 40 * 86400)
    (cache / "mwaa-3.3.1-py3.12-old1.lock").write_text("")  # an earlier taxiway's lock file

    dry = envs.prune(cache, dry_run=True)
    assert {e.name for e, _ in dry.removed} == {old.name, broken.name}
    assert old.exists()

    busy = BuiltEnv(broken, broken / "venv" / "bin" / "python", cached=True, seconds=0)
    with in_use(busy):
        result = envs.prune(cache, envs.parse_age("30d"))
    assert {(e.name, why) for e, why in result.removed} == {
        (old.name, "superseded"),
        (stale.name, "unused for 40d"),
    }
    assert [e.name for e in result.busy] == [broken.name]
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [new.name, shared.name, v2.name, broken.name]
    )  # and no .lock file left
    assert result.freed_bytes > 0


def test_the_lock_is_the_folder_and_survives_its_removal(tmp_path: Path) -> None:
    root = tmp_path / "env"
    order: list[str] = []
    with locked(root):

        def second() -> None:
            with locked(root):
                order.append("second got a live folder" if root.is_dir() else "dead")

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first removes it")
        os.rmdir(root)  # what a failed build does while holding the lock
    thread.join(10)
    assert order == ["first removes it", "second got a live folder"]
    assert list(tmp_path.iterdir()) == [root]  # no lock file beside it
    with locked(root, shared=True), locked(root, wait=False) as free:
        assert free is False  # a shared holder keeps prune's exclusive lock out


def test_ages() -> None:
    assert envs.parse_age("30d") == 30 * 86400
    assert envs.parse_age("12h") == 12 * 3600
    assert envs.parse_age("90m") == 90 * 60
    assert envs.parse_age("2") == 2 * 86400
    with pytest.raises(UsageError, match="30d"):
        envs.parse_age("soon")
    assert envs.age(0, 90) == "2m"


def test_cli_envs_and_prune(tmp_path: Path, uv_file: Path) -> None:
    cache = tmp_path / "cache"
    root = _env(cache, "mwaa-3.3.1-py3.12-aaaa", "3.3.1", uv_file, 1000)
    runner = CliRunner()
    listed = runner.invoke(app, ["local", "envs", "--cache-dir", str(cache), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    doc = json.loads(listed.output)
    assert [e["name"] for e in doc["environments"]] == [root.name]
    assert doc["environments"][0]["bytes"] >= 3 * MB
    pruned = runner.invoke(app, ["local", "prune", "--cache-dir", str(cache), "--older-than", "0m"])
    assert pruned.exit_code == 0, pruned.output
    assert not root.exists()
