# IAM Identity Center: three permission sets per environment, each assigned to an
# Identity Center group of that environment in the environment's account:
#
#   <Project>-<env>-DataEngineer   group <project>-<env>-data-engineers
#   <Project>-<env>-BIUser         group <project>-<env>-bi-users
#   <Project>-<env>-PlatformAdmin  group <project>-<env>-platform-admins
#
# The groups themselves live in the identity source (IdP/SCIM) and are looked up by name.
# This module runs with the provider that can administer Identity Center (the management
# or delegated-administrator account): the env roots pass `aws.identity_center`.

data "aws_ssoadmin_instances" "this" {}

locals {
  instance_arn      = tolist(data.aws_ssoadmin_instances.this.arns)[0]
  identity_store_id = tolist(data.aws_ssoadmin_instances.this.identity_store_ids)[0]
  prefix            = "${var.project}-${var.environment}"

  roles = {
    DataEngineer = {
      group       = "${local.prefix}-data-engineers"
      description = "Build and run the ${local.prefix} pipeline: lake, catalog, Athena, EMR steps, Airflow Op"
    }
    BIUser = {
      group       = "${local.prefix}-bi-users"
      description = "Query ${local.prefix} reports through Athena; Airflow Viewer"
    }
    PlatformAdmin = {
      group       = "${local.prefix}-platform-admins"
      description = "Apply ${local.prefix} Terraform and operate the account"
    }
  }

  # Inline policies per permission set; PlatformAdmin uses AdministratorAccess instead
  # because applying this Terraform creates IAM roles, VPCs and KMS keys.
  inline_policies = {
    DataEngineer = data.aws_iam_policy_document.data_engineer.json
    BIUser       = data.aws_iam_policy_document.bi_user.json
  }
}

data "aws_identitystore_group" "this" {
  for_each = local.roles

  identity_store_id = local.identity_store_id
  alternate_identifier {
    unique_attribute {
      attribute_path  = "DisplayName"
      attribute_value = each.value.group
    }
  }
}

resource "aws_ssoadmin_permission_set" "this" {
  for_each = local.roles

  # Permission set names are at most 32 characters: "taxiway-production-PlatformAdmin" fits.
  name             = "${local.prefix}-${each.key}"
  description      = each.value.description
  instance_arn     = local.instance_arn
  session_duration = var.session_duration[each.key]
}

resource "aws_ssoadmin_permission_set_inline_policy" "this" {
  for_each = local.inline_policies

  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.this[each.key].arn
  inline_policy      = each.value
}

resource "aws_ssoadmin_managed_policy_attachment" "platform_admin" {
  #checkov:skip=CKV_AWS_274:Platform admins apply this Terraform (IAM roles, KMS keys, VPCs, Identity Center); the set has a 1-hour session and is assigned to one small group.
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.this["PlatformAdmin"].arn
  managed_policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_ssoadmin_account_assignment" "this" {
  for_each = local.roles

  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.this[each.key].arn
  principal_type     = "GROUP"
  principal_id       = data.aws_identitystore_group.this[each.key].group_id
  target_type        = "AWS_ACCOUNT"
  target_id          = var.account_id
}
