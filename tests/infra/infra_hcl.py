"""Helpers for tests/infra: run python-hcl2 in its own tool environment, walk the parsed
HCL, and the pure structural checks (each returns a list of problems, empty when fine).

The checks are plain functions over the parsed tree so the tests can run them both on the
real Terraform and on deliberately broken copies (proving that each check can fail).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TF_ROOT = REPO / "infra" / "terraform"
ENVS = ("sandbox", "test", "production")
PARSER = Path(__file__).with_name("infra_parse_hcl.py")
# Pinned so a new parser release cannot change the tree shape under the tests.
PYTHON_HCL2 = "python-hcl2==8.1.4"

Parsed = dict[str, dict[str, Any]]  # relative .tf path -> parsed document


def uv_bin() -> str:
    """The uv binary of the project venv (the `uv` Python package ships it)."""
    try:
        import uv
    except ImportError as exc:  # pragma: no cover - the project depends on uv
        raise AssertionError("tests/infra need the `uv` package: run `uv sync`.") from exc
    return str(uv.find_uv_bin())


def parse_tree(root: Path = TF_ROOT) -> tuple[Parsed, dict[str, str]]:
    """Parse every .tf under ``root`` with python-hcl2 -> (parsed files, parse errors)."""
    cmd = [uv_bin(), "run", "--isolated", "--no-project", "--with", PYTHON_HCL2]
    cmd += ["python", str(PARSER), str(root)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise AssertionError(
            f"`{' '.join(cmd)}` failed ({proc.returncode}); python-hcl2 must install from "
            f"PyPI into uv's tool cache:\n{proc.stderr[-2000:]}"
        )
    out = json.loads(proc.stdout)
    return out["files"], out["errors"]


# ---------------------------------------------------------------------------- tree walking


@dataclass(frozen=True)
class Block:
    """A `resource`, `data` or `module` block with its folder (module or env root)."""

    folder: str
    kind: str
    type: str
    name: str
    body: dict[str, Any]

    @property
    def address(self) -> str:
        prefix = "data." if self.kind == "data" else ""
        return f"{self.folder}: {prefix}{self.type}.{self.name}"


def blocks(parsed: Parsed, kind: str, type_: str | None = None) -> Iterator[Block]:
    """Every block of ``kind`` (resource, data) and optionally one type, in every file."""
    for rel, doc in parsed.items():
        folder = str(Path(rel).parent)
        for entry in doc.get(kind, []):
            for btype, named in entry.items():
                if type_ is not None and btype != type_:
                    continue
                for name, body in named.items():
                    yield Block(folder, kind, btype, name, body)


def modules(parsed: Parsed, folder: str) -> dict[str, dict[str, Any]]:
    """`module` blocks of one folder: name -> arguments."""
    found: dict[str, dict[str, Any]] = {}
    for rel, doc in parsed.items():
        if str(Path(rel).parent) == folder:
            for entry in doc.get("module", []):
                found.update(entry)
    return found


def locals_of(parsed: Parsed, folder: str) -> dict[str, Any]:
    """All `locals` of one folder merged."""
    merged: dict[str, Any] = {}
    for rel, doc in parsed.items():
        if str(Path(rel).parent) == folder:
            for entry in doc.get("locals", []):
                merged.update(entry)
    return merged


def outputs_of(parsed: Parsed, folder: str) -> dict[str, Any]:
    """`output` blocks of one folder: name -> body."""
    found: dict[str, Any] = {}
    for rel, doc in parsed.items():
        if str(Path(rel).parent) == folder:
            for entry in doc.get("output", []):
                found.update(entry)
    return found


def first(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The first nested block ``key`` of a body ({} when absent)."""
    value = body.get(key) or [{}]
    return value[0] if isinstance(value, list) else value


def _find(parsed: Parsed, folder: str, kind: str, type_: str, name: str) -> Block | None:
    for b in blocks(parsed, kind, type_):
        if b.folder == folder and b.name == name:
            return b
    return None


# ---------------------------------------------------------------------------- buckets

_BUCKET_REF = re.compile(r"^\$\{aws_s3_bucket\.(\w+)(\[each\.key\])?\.(id|bucket)\}$")
_DOC_REF = re.compile(r"^\$\{data\.aws_iam_policy_document\.(\w+)(\[each\.key\])?\.json\}$")
_BUCKET_COMPANIONS = (
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_lifecycle_configuration",
)


def _companions(parsed: Parsed, bucket: Block) -> dict[str, list[Block]]:
    """Companion resources (encryption, versioning, ...) that configure ``bucket``.

    A companion counts only if it covers every instance of the bucket: the same
    ``for_each`` and an ``[each.key]`` reference for a for_each bucket, no for_each/count
    and a plain reference otherwise.
    """
    found: dict[str, list[Block]] = {t: [] for t in _BUCKET_COMPANIONS}
    bucket_each = bucket.body.get("for_each")
    for type_ in _BUCKET_COMPANIONS:
        for b in blocks(parsed, "resource", type_):
            m = _BUCKET_REF.match(str(b.body.get("bucket", "")))
            if b.folder != bucket.folder or not m or m.group(1) != bucket.name:
                continue
            if bucket_each is None:
                covers = "for_each" not in b.body and "count" not in b.body and not m.group(2)
            else:
                covers = b.body.get("for_each") in (
                    bucket_each,
                    f"${{aws_s3_bucket.{bucket.name}}}",
                ) and bool(m.group(2))
            if covers:
                found[type_].append(b)
    return found


def _is_tls_only(doc: Block, bucket: Block) -> bool:
    arn = f"aws_s3_bucket.{bucket.name}"
    for st in doc.body.get("statement", []):
        principals = st.get("principals", [])
        conditions = st.get("condition", [])
        resources = " ".join(st.get("resources", []))
        if (
            st.get("effect") == "Deny"
            and "s3:*" in st.get("actions", [])
            and any(p.get("type") == "*" and "*" in p.get("identifiers", []) for p in principals)
            and any(
                c.get("test") == "Bool"
                and c.get("variable") == "aws:SecureTransport"
                and c.get("values") == ["false"]
                for c in conditions
            )
            and arn in resources
            and "/*" in resources
        ):
            return True
    return False


def bucket_problems(parsed: Parsed) -> list[str]:
    """Every aws_s3_bucket: encryption, versioning, public access block, TLS-only policy,
    lifecycle rules; each covering all of the bucket's instances."""
    problems: list[str] = []
    for bucket in blocks(parsed, "resource", "aws_s3_bucket"):
        comp = _companions(parsed, bucket)
        where = bucket.address
        for enc in comp["aws_s3_bucket_server_side_encryption_configuration"] or [None]:
            if enc is None:
                problems.append(f"{where}: no server-side encryption configuration")
                continue
            default = first(first(enc.body, "rule"), "apply_server_side_encryption_by_default")
            algo = default.get("sse_algorithm")
            if algo not in ("aws:kms", "aws:kms:dsse", "AES256"):
                problems.append(f"{where}: encryption algorithm is {algo!r}")
            if algo and algo.startswith("aws:kms") and not default.get("kms_master_key_id"):
                problems.append(f"{where}: KMS encryption without a customer-managed key")
        versioning = comp["aws_s3_bucket_versioning"]
        if not any(
            first(v.body, "versioning_configuration").get("status") == "Enabled" for v in versioning
        ):
            problems.append(f"{where}: versioning is not enabled")
        flags = (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
        if not any(
            all(p.body.get(f) is True for f in flags)
            for p in comp["aws_s3_bucket_public_access_block"]
        ):
            problems.append(f"{where}: no public access block with all four settings true")
        tls = False
        for pol in comp["aws_s3_bucket_policy"]:
            m = _DOC_REF.match(str(pol.body.get("policy", "")))
            doc = m and _find(parsed, bucket.folder, "data", "aws_iam_policy_document", m.group(1))
            tls = tls or bool(doc and _is_tls_only(doc, bucket))
        if not tls:
            problems.append(
                f"{where}: no bucket policy denying non-TLS (aws:SecureTransport=false)"
            )
        rules_ok = False
        for lc in comp["aws_s3_bucket_lifecycle_configuration"]:
            rules = lc.body.get("rule", [])
            rules_ok = rules_ok or any(r.get("status") == "Enabled" for r in rules)
        if not rules_ok:
            problems.append(f"{where}: no enabled lifecycle rule")
    return problems


# ---------------------------------------------------------------------------- IAM

#: Actions AWS does not scope to a resource; the only ones allowed on "*".
UNSCOPED_ACTIONS = frozenset(
    {
        "s3:GetAccountPublicAccessBlock",
        "logs:DescribeLogGroups",
        "cloudwatch:PutMetricData",
        "elasticmapreduce:ListClusters",
        # the DAG re-creating a terminated cluster: no resource exists yet (a request-tag
        # condition scopes it), and the lookups of its subnet, groups and configuration
        "elasticmapreduce:RunJobFlow",
        "elasticmapreduce:DescribeSecurityConfiguration",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
    }
)
_POLICY_ATTRS = ("policy", "assume_role_policy", "inline_policy")


def _key_policy_docs(parsed: Parsed) -> set[tuple[str, str]]:
    docs = set()
    for key in blocks(parsed, "resource", "aws_kms_key"):
        m = _DOC_REF.match(str(key.body.get("policy", "")))
        if m:
            docs.add((key.folder, m.group(1)))
    return docs


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def iam_problems(parsed: Parsed) -> list[str]:
    """No Allow of `*` actions on `*` resources anywhere; Allow statements outside KMS key
    policies use neither `*` nor `service:*` actions, and put only UNSCOPED_ACTIONS on
    `*`; every policy attribute is an aws_iam_policy_document (so nothing escapes this
    check as an inline JSON string)."""
    problems: list[str] = []
    key_docs = _key_policy_docs(parsed)
    for doc in blocks(parsed, "data", "aws_iam_policy_document"):
        is_key_policy = (doc.folder, doc.name) in key_docs
        for i, st in enumerate(doc.body.get("statement", [])):
            where = f"{doc.address} statement {st.get('sid', i)}"
            effect = st.get("effect", "Allow")
            # An expression (a `for` over ARNs) arrives as one string: one element.
            actions = _as_list(st.get("actions", []))
            resources = _as_list(st.get("resources", ["*"] if "not_resources" not in st else []))
            if effect != "Allow":
                continue
            if "not_actions" in st:
                problems.append(f"{where}: Allow with not_actions")
            if "*" in actions and "*" in resources:
                problems.append(f"{where}: allows `*` actions on `*` resources")
            if is_key_policy:
                continue
            wild = [a for a in actions if a == "*" or a.endswith(":*")]
            if wild:
                problems.append(f"{where}: wildcard actions {wild}")
            if "*" in resources and "principals" not in st:
                broad = sorted(set(actions) - UNSCOPED_ACTIONS)
                if broad:
                    problems.append(f"{where}: resource `*` for scopable actions {broad}")
    for kind in ("resource",):
        for b in blocks(parsed, kind):
            for attr in _POLICY_ATTRS:
                if attr not in b.body:
                    continue
                value = str(b.body[attr])
                if value == "${each.value}":
                    each = str(b.body.get("for_each", ""))
                    name = each.removeprefix("${local.").removesuffix("}")
                    values = locals_of(parsed, b.folder).get(name, {})
                    refs = list(values.values()) if isinstance(values, dict) else [None]
                else:
                    refs = [value]
                if not all(_DOC_REF.match(str(r)) for r in refs):
                    problems.append(f"{b.address}: `{attr}` is not an aws_iam_policy_document")
    return problems
