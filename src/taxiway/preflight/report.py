"""The Markdown report: a key-findings summary like AWS's checker prints, then every finding."""

from __future__ import annotations

from taxiway.findings import Severity, counts, sort_findings, to_markdown
from taxiway.preflight.run import AWS_CODES, Report

_AREAS = (
    ("Network", ("vpc-", "subnet", "no-nat", "nacl-", "sg-")),
    ("S3", ("bucket-", "object-", "dags-folder-")),
    ("IAM and KMS", ("role-", "kms-", "secrets-")),
    ("EMR, Athena, Glue", ("emr-", "athena-", "glue-")),
    ("MWAA", ("mwaa-", "connectivity-", "airflow-option-", "plugins-lazy-")),
    ("AWS API reads", ("preflight-",)),
)
# An existing environment is not the reference pipeline: no EMR, Athena or Glue checks.
_PLANNED_ONLY = {"EMR, Athena, Glue"}


def markdown(report: Report, title: str) -> str:
    """Header (environment, method), one line per area, then the findings tables."""
    aws = [f for f in report.findings if f.code in AWS_CODES]
    project = [f for f in report.findings if f.code not in AWS_CODES]
    c = counts(report.findings)
    lines = [
        f"# {title}",
        "",
        f"- environment: `{report.target}` in `{report.region}`",
        f"- IAM permissions evaluated by: **{report.iam_method}**"
        + (
            " (IAM's policy simulator)"
            if report.iam_method == "simulator"
            else " (attached and inline policies evaluated locally; conditions not evaluated)"
        ),
        f"- doctor: {report.doctor}",
        f"- result: **{c['error']} error(s), {c['warning']} warning(s), {c['info']} info**",
        "",
        "## Key findings",
        "",
        "| area | result |",
        "|---|---|",
    ]
    for area, prefixes in _AREAS:
        if report.names is None and area in _PLANNED_ONLY:
            continue
        hits = [f for f in aws if f.code.startswith(prefixes) and f.severity is not Severity.INFO]
        result = (
            "passed"
            if not hits
            else "; ".join(
                sorted({f"`{f.code}` x{sum(g.code == f.code for g in hits)}" for f in hits})
            )
        )
        lines.append(f"| {area} | {result} |")
    doctor_errors = [f for f in project if f.severity is Severity.ERROR]
    lines.append(
        "| Project (doctor) | "
        + (
            "passed"
            if not doctor_errors
            else "; ".join(sorted({f"`{f.code}`" for f in sort_findings(doctor_errors)}))
        )
        + " |"
    )
    body = to_markdown(report.findings, "Findings").replace("\n## ", "\n### ")
    return "\n".join(lines) + "\n\n#" + body
