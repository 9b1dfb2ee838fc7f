"""The uv commands of a build: Airflow under MWAA constraints, then requirements on top."""

from __future__ import annotations

from pathlib import Path

from taxiway import mwaa
from taxiway.runner import environment, target


def test_user_requirements_get_essentials_always_and_constraints_when_missing(
    tmp_path: Path,
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("toolz==1.0.0\n")
    spec = target.env_spec(mwaa.release("2.11.2"), "3.12.1", "/py", req)
    steps = environment.install_commands(spec, tmp_path / "env", tmp_path / "py")
    assert [s for s, _ in steps] == ["airflow", "image", "requirements"]
    airflow = steps[0][1]
    assert "apache-airflow[celery,statsd]==2.11.2" in airflow
    assert airflow[airflow.index("-c") + 1] == str(tmp_path / "env" / "constraints.txt")
    user = steps[2][1]
    constraint_files = [user[i + 1] for i, a in enumerate(user) if a == "-c"]
    assert constraint_files == [
        str(tmp_path / "env" / "essentials.txt"),
        str(tmp_path / "env" / "constraints.txt"),
    ]
    assert (tmp_path / "env" / "requirements.txt").read_text() == "toolz==1.0.0\n"


def test_own_constraint_line_replaces_mwaa_constraints_but_not_essentials(tmp_path: Path) -> None:
    url = mwaa.release("2.11.2").constraints_url
    req = tmp_path / "requirements.txt"
    req.write_text(f"-c {url}\ntoolz==1.0.0\n")
    spec = target.env_spec(mwaa.release("2.11.2"), "3.12.1", "/py", req)
    steps = environment.install_commands(spec, tmp_path / "env", tmp_path / "py")
    user = steps[2][1]
    assert [user[i + 1] for i, a in enumerate(user) if a == "-c"] == [
        str(tmp_path / "env" / "essentials.txt")
    ]
    written = (tmp_path / "env" / "requirements.txt").read_text()
    local = tmp_path / "env" / "constraints-2.11.2.txt"
    assert written.splitlines()[0] == f"-c {local}"
    assert "\nFlask==2.3.3\n" in local.read_text()


def test_no_requirements_means_the_image_only(tmp_path: Path) -> None:
    release = mwaa.release("3.3.1")
    spec = target.env_spec(release, "3.12.1", "/py", None)
    steps = environment.install_commands(spec, tmp_path / "env", tmp_path / "py")
    assert [s for s, _ in steps] == ["airflow", "image"]
    # every built-in of MWAA's image, each in one step at MWAA's version
    image = (tmp_path / "env" / environment.IMAGE_FILE).read_text().split()
    in_steps = set(image) | set(steps[0][1])
    for name, version in release.builtins.items():
        assert f"{name}=={version}" in in_steps or name == "apache-airflow", name
    assert "filelock==" + release.builtins["filelock"] in image


def test_resolver_message_starts_at_the_error() -> None:
    stderr = (
        "Resolved 10 packages\n"
        "  \u00d7 No solution found when resolving dependencies:\n"
        "  ╰─▶ Because you require flask==0.12.5 and flask==2.3.3, we can conclude that "
        "your requirements are unsatisfiable.\n"
    )
    message = environment.resolver_message(stderr)
    assert message.lstrip().startswith("\u00d7 No solution found")
    assert "flask==0.12.5" in message
    assert "Resolved" not in message
