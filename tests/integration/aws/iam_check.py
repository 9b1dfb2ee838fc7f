"""Compare the AWS calls a role's code makes with the role's Terraform policy.

A recorded call is a botocore operation with its parameters; :func:`needs` turns it into
the IAM actions and resource ARNs AWS authorises for it (a few calls need more than one,
and a call on an SSE-KMS bucket needs the key through S3). Statements come from the parsed
HCL of one ``aws_iam_policy_document`` with the sandbox's values filled in. Two lists
come out: calls no Allow statement grants (missing grants) and (statement, action,
resource) triples no call used (over-grants).
"""

from __future__ import annotations

import fnmatch
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from aws_helpers import ACCOUNT, REGION, REPO

sys.path.insert(0, str(REPO / "tests" / "infra"))

import infra_hcl as h

P = "aws"
GLUE = f"arn:{P}:glue:{REGION}:{ACCOUNT}"
EMR = f"arn:{P}:elasticmapreduce:{REGION}:{ACCOUNT}"
#: the buckets whose default encryption is the environment key (modules/storage)
KMS_BUCKETS = ("landing", "curated", "reports", "artifacts", "mwaa")
#: calls AWS authorises without a policy
FREE = {"sts:GetCallerIdentity"}


@dataclass(frozen=True)
class Need:
    """One IAM authorisation: an action on a resource, with the request's context."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    why: str = ""


@dataclass
class Statement:
    sid: str
    actions: list[str]
    resources: list[str]
    conditions: list[dict[str, Any]] = field(default_factory=list)


def bucket_arn(role: str) -> str:
    return f"arn:{P}:s3:::taxiway-sandbox-{role}-{ACCOUNT}"


def values(kms_key_arn: str) -> dict[str, str]:
    """The sandbox's value of each expression the policies use."""
    out = {
        "local.partition": P,
        "data.aws_partition.current.partition": P,
        "local.region": REGION,
        "local.account_id": ACCOUNT,
        "local.name": "taxiway-sandbox",
        "var.project": "taxiway",
        "var.environment": "sandbox",
        "var.glue_database": "taxiway_sandbox",
        "var.kms_key_arn": kms_key_arn,
        "var.athena_workgroup_arn": f"arn:{P}:athena:{REGION}:{ACCOUNT}:workgroup/taxiway-sandbox",
        "var.emr_service_role_arn": f"arn:{P}:iam::{ACCOUNT}:role/taxiway-sandbox-emr-service",
        "var.emr_instance_role_arn": f"arn:{P}:iam::{ACCOUNT}:role/taxiway-sandbox-emr-instance",
    }
    for role in (*KMS_BUCKETS, "logs"):
        out[f'var.bucket_arns["{role}"]'] = bucket_arn(role)
    return out


def _fill(text: str, known: dict[str, str], local: dict[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        expr = m.group(1)
        if expr in known:
            return known[expr]
        if expr.startswith("local.") and expr[6:] in local:
            return _fill(str(local[expr[6:]]), known, local)
        raise AssertionError(f"no sandbox value for `${{{expr}}}` in {text!r}")

    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\$\{([^${}]+)\}", one, text)
    return text


#: list values of the sandbox (`for` expressions over them are expanded)
LISTS = {
    "var.report_tables": [
        "campaign_daily_kpis",
        "attribution_last_click",
        "daily_funnel",
        "data_quality_hourly",
    ]
}
_FOR = re.compile(r'\[for (\w+) in (var\.\w+) : "([^"]*)"\]')
_PLAIN = re.compile(r'\[((?:"[^"]*"(?:, )?)+)\]')


def _resources(value: Any, known: dict[str, str], local: dict[str, Any]) -> list[str]:
    """A statement's resources: a list, or ``concat()`` of lists and ``for`` expressions."""
    if isinstance(value, list):
        return [_fill(str(r), known, local) for r in value]
    text = str(value)
    if not text.startswith("${concat("):
        return [_fill(text, known, local)]
    out: list[str] = []
    for m in _FOR.finditer(text):
        out += [
            _fill(m.group(3).replace(f"${{{m.group(1)}}}", v), known, local)
            for v in LISTS[m.group(2)]
        ]
    for m in _PLAIN.finditer(_FOR.sub("", text)):
        out += [_fill(v, known, local) for v in re.findall(r'"([^"]*)"', m.group(1))]
    return out


def statements(parsed: h.Parsed, folder: str, doc: str, known: dict[str, str]) -> list[Statement]:
    """The Allow statements of ``data.aws_iam_policy_document.<doc>`` in ``folder``."""
    (block,) = [
        b
        for b in h.blocks(parsed, "data", "aws_iam_policy_document")
        if b.folder == folder and b.name == doc
    ]
    local = h.locals_of(parsed, folder)
    out = []
    for i, st in enumerate(block.body.get("statement", [])):
        if st.get("effect", "Allow") != "Allow":
            continue
        conditions = [
            {
                "test": c["test"],
                "variable": _fill(c["variable"], known, local),
                "values": [_fill(str(v), known, local) for v in c["values"]],
            }
            for c in st.get("condition", [])
        ]
        out.append(
            Statement(
                st.get("sid", str(i)),
                [str(a) for a in st["actions"]],
                _resources(st["resources"], known, local),
                conditions,
            )
        )
    return out


def _s3(action: str, role_or_bucket: str, key: str | None, why: str) -> list[Need]:
    bucket = role_or_bucket
    arn = f"arn:{P}:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    out = [Need(action, arn, why=why)]
    encrypted = any(bucket == f"taxiway-sandbox-{r}-{ACCOUNT}" for r in KMS_BUCKETS)
    via = (("kms:ViaService", f"s3.{REGION}.amazonaws.com"),)
    if encrypted and action == "s3:GetObject":
        out.append(Need("kms:Decrypt", "KEY", via, f"{why} (SSE-KMS)"))
    if encrypted and action == "s3:PutObject":
        out.append(Need("kms:GenerateDataKey", "KEY", via, f"{why} (SSE-KMS)"))
    return out


def _table(db: str, name: str) -> list[str]:
    return [f"{GLUE}:catalog", f"{GLUE}:database/{db}", f"{GLUE}:table/{db}/{name}"]


def needs(service: str, op: str, params: dict[str, Any]) -> list[Need]:
    """The IAM authorisations AWS checks for one API call (service authorization reference)."""
    why = f"{service}:{op}"
    if service == "s3":
        b, k = params.get("Bucket", ""), params.get("Key")
        if op in ("GetObject", "HeadObject"):
            return _s3("s3:GetObject", b, k, why)
        if op in ("PutObject", "DeleteObject"):
            return _s3(f"s3:{op}", b, k, why)
        if op == "DeleteObjects":
            return [
                n
                for o in params["Delete"]["Objects"]
                for n in _s3("s3:DeleteObject", b, o["Key"], why)
            ]
        if op in ("ListObjectsV2", "ListObjects"):
            return _s3("s3:ListBucket", b, None, why)
    if service == "glue":
        db = params.get("DatabaseName", "")
        name = params.get("Name") or params.get("TableName")
        arns = _table(db, name) if name else [f"{GLUE}:catalog", f"{GLUE}:database/{db}"]
        # the catalog is encrypted with the environment key (modules/analytics)
        via = (("kms:ViaService", f"glue.{REGION}.amazonaws.com"),)
        return [Need(f"glue:{op}", a, why=why) for a in arns] + [
            Need("kms:Decrypt", "KEY", via, f"{why} (encrypted catalog)")
        ]
    if service == "athena":
        wg = params.get("WorkGroup", "taxiway-sandbox")
        return [Need(f"athena:{op}", f"arn:{P}:athena:{REGION}:{ACCOUNT}:workgroup/{wg}", why=why)]
    if service in ("ec2",) or (service == "emr" and op in ("ListClusters",)):
        return [Need(f"{'ec2' if service == 'ec2' else 'elasticmapreduce'}:{op}", "*", why=why)]
    if service == "emr":
        if op == "DescribeSecurityConfiguration":
            return [Need("elasticmapreduce:DescribeSecurityConfiguration", "*", why=why)]
        if op == "RunJobFlow":
            tags = tuple((f"aws:RequestTag/{t['Key']}", t["Value"]) for t in params.get("Tags", []))
            role = f"arn:{P}:iam::{ACCOUNT}:role/"
            out = [
                Need("elasticmapreduce:RunJobFlow", "*", tags, why),
                # tag on create, and the auto-termination policy given in the request
                Need("elasticmapreduce:AddTags", f"{EMR}:cluster/NEW", tags, why),
                Need(
                    "iam:PassRole",
                    role + params["ServiceRole"],
                    (("iam:PassedToService", "elasticmapreduce.amazonaws.com"),),
                    why,
                ),
                Need(
                    "iam:PassRole",
                    role + params["JobFlowRole"],  # the instance profile has its role's name
                    (("iam:PassedToService", "ec2.amazonaws.com"),),
                    why,
                ),
            ]
            if "AutoTerminationPolicy" in params:
                resource_tags = tuple(
                    (f"aws:ResourceTag/{t['Key']}", t["Value"]) for t in params.get("Tags", [])
                )
                out.append(
                    Need(
                        "elasticmapreduce:PutAutoTerminationPolicy",
                        f"{EMR}:cluster/NEW",
                        resource_tags,
                        why,
                    )
                )
            return out
        cluster = params.get("ClusterId") or params.get("JobFlowId")
        ctx = (("aws:ResourceTag/taxiway:env", "sandbox"),)
        return [Need(f"elasticmapreduce:{op}", f"{EMR}:cluster/{cluster}", ctx, why)]
    if service == "kms" and op == "DescribeKey":
        return [Need("kms:DescribeKey", "KEY", why=why)]
    if service == "sts":
        return [Need(f"sts:{op}", "*", why=why)]
    raise AssertionError(f"no IAM mapping for {service}:{op}; add it to iam_check.needs")


def _condition_holds(cond: dict[str, Any], context: dict[str, str]) -> bool:
    got = context.get(cond["variable"])
    if got is None:
        return False
    if cond["test"] in ("StringEquals", "ArnEquals"):
        return got in cond["values"]
    if cond["test"] in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(got, v) for v in cond["values"])
    raise AssertionError(f"condition test {cond['test']} is not evaluated here")


def _matches(st: Statement, need: Need, key: str) -> bool:
    resource = key if need.resource == "KEY" else need.resource
    if not any(fnmatch.fnmatchcase(need.action, a) for a in st.actions):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in st.resources):
        return False
    context = dict(need.context)
    return all(_condition_holds(c, context) for c in st.conditions)


def compare(
    recorded: list[Need], policy: list[Statement], key: str, exempt: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(missing grants, over-grants). ``exempt``: sid -> why AWS, not the code, needs it."""
    missing = sorted(
        {
            f"{n.action} on {key if n.resource == 'KEY' else n.resource} ({n.why})"
            for n in recorded
            if n.action not in FREE and not any(_matches(st, n, key) for st in policy)
        }
    )
    over = []
    for st in policy:
        if st.sid in exempt:
            continue
        for action in st.actions:
            for resource in st.resources:
                one = Statement(st.sid, [action], [resource], st.conditions)
                if not any(
                    fnmatch.fnmatchcase(n.action, action) and _matches(one, n, key)
                    for n in recorded
                ):
                    over.append(f"{st.sid}: {action} on {resource}")
    return missing, over
