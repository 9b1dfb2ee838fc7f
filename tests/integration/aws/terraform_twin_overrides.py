"""The one list of what `terraform apply` of the sandbox root changes to run on the twin.

Each entry is a Terraform override file (``<folder>/twin_override.tf`` in a copy of the
tree, merged by Terraform itself) and the reason: a gap of moto or of a twin on
127.0.0.1, never a change of what the platform is. Everything else is applied as written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Override:
    folder: str  # relative to infra/terraform
    reason: str
    hcl: str


_TWIN_PROVIDER = """
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  max_retries                 = 1
"""

OVERRIDES = (
    Override(
        "envs/sandbox",
        "State stays in the test's folder: the S3 backend's state bucket is the bootstrap "
        "root's, in the real account.",
        'terraform {\n  backend "local" {}\n}\n',
    ),
    Override(
        "envs/sandbox",
        "The twin on 127.0.0.1 (AWS_ENDPOINT_URL): no instance metadata, path-style S3, and a "
        "twin gap fails at once instead of being retried for minutes.",
        f'provider "aws" {{{_TWIN_PROVIDER}}}\n\nprovider "aws" {{\n  alias = "identity_center"'
        f"{_TWIN_PROVIDER}}}\n",
    ),
    Override(
        "envs/sandbox",
        "moto has no Client VPN endpoints: sandbox's row with the VPN off (nothing else differs).",
        "locals {\n  by_environment = {\n    sandbox = { webserver_access_mode = "
        '"PUBLIC_ONLY", client_vpn_enabled = false, vpc_cidr = "10.10.0.0/16" }\n  }\n}\n',
    ),
    Override(
        "envs/sandbox",
        "moto's sso-admin has no ListTagsForResource, which the provider reads for every "
        "permission set: the access module is replaced by one with its inputs and outputs.",
        'module "access" {\n  source = "./twin_access"\n}\n',
    ),
    Override(
        "modules/storage",
        "moto matches the S3 server access logging grant's resource exactly (`bucket/*` or "
        "`bucket/<prefix>*`), so PutBucketLogging refuses `s3-access/*`, and it stops at the "
        "first statement it cannot read (the Deny's `*` principal): the grant, widened, first.",
        """data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "S3ServerAccessLogsFromThisAccount"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
""",
    ),
    Override(
        "modules/emr",
        "moto loads AWS managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES (slow on "
        "every reset): the test creates AmazonEMRServicePolicy_v2 as a customer policy.",
        'resource "aws_iam_role_policy_attachment" "service" {\n  policy_arn = '
        '"arn:aws:iam::123456789012:policy/twin/AmazonEMRServicePolicy_v2"\n}\n',
    ),
    Override(
        "modules/mwaa",
        "The MWAA bucket's TLS-only Deny: moto applies it without its condition (and the twin "
        "is plain HTTP), so Terraform's first startup.sh cannot be put; and the provider "
        "sends MWAA to `api.<endpoint host>`, which 127.0.0.1 is not. The environment and "
        "its script are left out (tests/integration/deploy creates environments on the twin).",
        """resource "aws_s3_object" "startup" {
  count = 0
}

resource "aws_mwaa_environment" "this" {
  count                            = 0
  startup_script_s3_path           = null
  startup_script_s3_object_version = null
}

output "environment_name" {
  value = local.name
}

output "environment_arn" {
  value = local.env_arn
}

output "webserver_url" {
  value = null
}
""",
    ),
)

#: resources the overrides leave out, with the override that does
LEFT_OUT = {
    "module.mwaa.aws_s3_object.startup": "modules/mwaa",
    "module.mwaa.aws_mwaa_environment.this": "modules/mwaa",
}
