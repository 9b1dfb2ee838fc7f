terraform {
  # 1.10: S3 backend locking with use_lockfile (no DynamoDB table).
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }

  # Partial configuration: `terraform init -backend-config=backend.hcl` (see infra/README.md).
  backend "s3" {}
}
