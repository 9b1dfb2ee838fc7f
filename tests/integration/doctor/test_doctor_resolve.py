"""--resolve: the real uv resolver against PyPI (needs network access to pypi.org)."""

from __future__ import annotations

from taxiway import mwaa
from taxiway.doctor.requirements import parse_requirements_text
from taxiway.doctor.resolve import requirements_for_uv, resolve


def test_conflict_with_the_image_reports_uvs_message() -> None:
    parsed = parse_requirements_text("requests<2\n")
    findings = resolve(parsed, mwaa.release("3.3.1"))
    assert [f.code for f in findings] == ["resolve-failed"]
    assert "requests<2" in findings[0].message and "requests==2.34.2" in findings[0].message
    assert "unsatisfiable" in findings[0].message


def test_resolved_set_uses_mwaa_pins() -> None:
    parsed = parse_requirements_text("tqdm ; python_version >= '3.8'\nhumanize\n")
    findings = resolve(parsed, mwaa.release("3.3.1"))
    assert [f.code for f in findings] == ["resolved"], findings
    # tqdm is not built in: the constraints decide its version; humanize is built in
    assert "tqdm==4.70.0" in findings[0].message
    assert "humanize" not in findings[0].message


def test_requirements_for_uv_drops_hashes_and_constraints() -> None:
    parsed = parse_requirements_text(
        "-c https://example.com/c.txt\n--index-url https://pypi.org/simple\n"
        "pkg==1.0 --hash=sha256:abc\nother[x]>=2 ; python_version < '4'\n"
    )
    assert requirements_for_uv(parsed).splitlines() == [
        "--index-url https://pypi.org/simple",
        "pkg==1.0",
        'other[x]>=2 ; python_version < "4"',
    ]
