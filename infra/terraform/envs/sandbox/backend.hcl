# terraform init -backend-config=backend.hcl  (the state bucket comes from infra/terraform/bootstrap)
bucket       = "taxiway-sandbox-tfstate"
key          = "infra/sandbox.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
