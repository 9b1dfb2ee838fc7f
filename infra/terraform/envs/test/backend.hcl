# terraform init -backend-config=backend.hcl  (the state bucket comes from infra/terraform/bootstrap)
bucket       = "taxiway-test-tfstate"
key          = "infra/test.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
