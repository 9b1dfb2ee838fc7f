"""What a project sends: the parts, the DAG files, and a plugins.zip that is the same bytes
for the same folder whatever the clock, the file times or the order the disk lists them."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from taxiway.deploy.files import collect, plugins_zip, tree
from taxiway.errors import UsageError
from taxiway.runner.project import find_layout

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "deploy_projects"


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(PROJECTS / name, dest)
    return dest


def test_local_runner_layout_sends_its_three_parts_and_dags(tmp_path: Path) -> None:
    project = _copy("local_runner", tmp_path)
    files = collect(find_layout(project))
    req = files.part("requirements")
    startup = files.part("startup")
    plugins = files.part("plugins")
    assert req is not None and req.name == "requirements/requirements.txt"
    assert req.body() == (project / "requirements" / "requirements.txt").read_bytes()
    assert req.sha256 == hashlib.sha256(req.body()).hexdigest()
    assert startup is not None and startup.name == "startup_script/startup.sh"
    assert plugins is not None and plugins.name == "plugins/ (zipped)"
    with zipfile.ZipFile(BytesIO(plugins.body())) as zf:
        assert zf.namelist() == [
            "marketing/__init__.py",
            "marketing/operators.py",
            "marketing_plugin.py",
        ]
    assert list(files.dags) == ["marketing_report.py"]


def test_plain_layout_has_no_plugins_or_startup_and_keeps_airflowignore(tmp_path: Path) -> None:
    project = _copy("plain", tmp_path)
    # bytecode, editor and VCS droppings are never sent; the DAG folder's dotfiles are
    (project / "dags" / "__pycache__").mkdir()
    (project / "dags" / "__pycache__" / "orders_daily.cpython-312.pyc").write_bytes(b"\0")
    (project / "dags" / ".git").mkdir()
    (project / "dags" / ".git" / "HEAD").write_text("ref: main\n")
    (project / "dags" / ".DS_Store").write_bytes(b"\0")
    files = collect(find_layout(project))
    assert files.part("plugins") is None and files.part("startup") is None
    assert sorted(files.dags) == [
        ".airflowignore",
        "lib/__init__.py",
        "lib/totals.py",
        "orders_daily.py",
        "orders_hourly.py",
    ]


def test_plugins_zip_is_the_same_bytes_for_the_same_folder(tmp_path: Path) -> None:
    project = _copy("local_runner", tmp_path)
    first = plugins_zip(project / "plugins")
    # other file times, a bytecode cache, and the same files written in another order
    for path in (project / "plugins").rglob("*.py"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    cache = project / "plugins" / "marketing" / "__pycache__"
    cache.mkdir()
    (cache / "operators.cpython-312.pyc").write_bytes(b"bytecode")
    other = tmp_path / "other"
    for rel, path in reversed(tree(project / "plugins")):
        (other / rel).parent.mkdir(parents=True, exist_ok=True)
        (other / rel).write_bytes(path.read_bytes())
    assert plugins_zip(project / "plugins") == first
    assert plugins_zip(other) == first
    with zipfile.ZipFile(BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {(i.external_attr >> 16) & 0o777 for i in zf.infolist()} == {0o644}
    # a changed byte is a changed zip
    (other / "marketing_plugin.py").write_text("# changed\n")
    assert plugins_zip(other) != first


def test_plugins_zip_keeps_the_executable_bit(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tool.sh").write_text("#!/bin/sh\n")
    (tmp_path / "bin" / "tool.sh").chmod(0o755)
    (tmp_path / "plain.py").write_text("x = 1\n")
    with zipfile.ZipFile(BytesIO(plugins_zip(tmp_path))) as zf:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
    assert modes == {"bin/tool.sh": 0o755, "plain.py": 0o644}


def test_a_plugins_zip_is_sent_as_it_is(tmp_path: Path) -> None:
    project = _copy("plain", tmp_path)
    data = plugins_zip(PROJECTS / "local_runner" / "plugins")
    (project / "plugins.zip").write_bytes(data)
    plugins = collect(find_layout(project)).part("plugins")
    assert plugins is not None and plugins.name == "plugins.zip" and plugins.body() == data


def test_a_plugins_file_that_is_no_zip_is_refused(tmp_path: Path) -> None:
    project = _copy("plain", tmp_path)
    (project / "plugins.zip").write_text("not a zip")
    with pytest.raises(UsageError, match=r"`plugins.zip` is not a zip file"):
        collect(find_layout(project))


def test_a_project_without_dags_folder_is_refused(tmp_path: Path) -> None:
    """Without one, every DAG in the environment would look stale and be deleted."""
    (tmp_path / "requirements.txt").write_text("bidict==0.23.1\n")
    with pytest.raises(UsageError, match=r"has no dags/ folder"):
        collect(find_layout(tmp_path))
