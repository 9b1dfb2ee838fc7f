"""The install recipe for a target: requirement lists, constraints, rewrite, cache key."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxiway import mwaa
from taxiway.runner import target


def test_base_requirements_are_airflow_with_mwaa_extras_and_every_builtin_provider() -> None:
    release = mwaa.release("2.11.2")
    reqs = target.base_requirements(release)
    assert reqs[0] == "apache-airflow[celery,statsd]==2.11.2"
    assert "apache-airflow-providers-amazon==9.22.0" in reqs
    providers = [r for r in reqs if r.startswith("apache-airflow-providers-")]
    assert len(providers) == 12
    assert len(reqs) == 13


def test_airflow3_base_installs_providers_not_core_or_sdk_directly() -> None:
    reqs = target.base_requirements(mwaa.release("3.3.1"))
    assert "apache-airflow-providers-standard==1.17.0" in reqs
    assert not any(r.startswith(("apache-airflow-core", "apache-airflow-task-sdk")) for r in reqs)


def test_constraints_and_essentials_come_from_mwaa_data() -> None:
    release = mwaa.release("2.11.2")
    assert "constraints-2.11.2/constraints-3.12.txt" in target.constraints_text(release)
    essentials = target.essentials_text(release)
    assert "flask==2.3.3\n" in essentials
    assert "apache-airflow==2.11.2\n" in essentials
    assert "sqlalchemy==1.4.54\n" in essentials


def test_has_constraint_line_ignores_comments() -> None:
    assert target.has_constraint_line("pandas\n-c https://x/constraints.txt\n")
    assert target.has_constraint_line("--constraint=c.txt\n")
    assert not target.has_constraint_line("pandas\n# -c https://x/constraints.txt\n")


def test_rewrite_makes_includes_absolute_and_serves_known_constraints_offline(
    tmp_path: Path,
) -> None:
    url = mwaa.release("2.10.3").constraints_url
    text = f"-c {url}\n-r extra.txt\nboto3>=1.34  # comment\n"
    user = target.rewrite_requirements(text, tmp_path)
    lines = user.text.splitlines()
    assert lines[0] == "-c {constraints:2.10.3}"
    assert lines[1] == f"-r {tmp_path / 'extra.txt'}"
    assert lines[2] == "boto3>=1.34  # comment"
    assert user.add_mwaa_constraints is False
    assert user.local_constraints == {url: "2.10.3"}


def test_rewrite_without_constraint_line_asks_for_mwaa_constraints(tmp_path: Path) -> None:
    user = target.rewrite_requirements("toolz==1.0.0\n", tmp_path)
    assert user.add_mwaa_constraints is True
    assert user.text == "toolz==1.0.0\n"


def _spec(tmp_path: Path, text: str | None, version: str = "2.11.2") -> target.EnvSpec:
    req = None
    if text is not None:
        req = tmp_path / "requirements.txt"
        req.write_text(text)
    return target.env_spec(mwaa.release(version), "3.12.1", "/usr/bin/python3.12", req)


def test_cache_key_is_stable_and_tracks_every_input(tmp_path: Path) -> None:
    a = _spec(tmp_path, "toolz==1.0.0\n")
    assert a.key == _spec(tmp_path, "toolz==1.0.0\n").key
    assert a.key != _spec(tmp_path, "toolz==0.12.1\n").key
    assert a.key != _spec(tmp_path, "toolz==1.0.0\n", version="3.3.1").key
    assert a.key != _spec(tmp_path, None).key
    assert a.dirname.startswith("mwaa-2.11.2-py3.12-")
    assert len(a.key) == 16


def test_comment_only_requirements_install_nothing(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "# nothing yet\n\n")
    assert spec.user is None
    assert spec.key == _spec(tmp_path, None).key


def test_cache_root_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TAXIWAY_CACHE_DIR", str(tmp_path / "c"))
    assert target.cache_root() == tmp_path / "c"
    monkeypatch.delenv("TAXIWAY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert target.cache_root() == tmp_path / "x" / "taxiway" / "local"
