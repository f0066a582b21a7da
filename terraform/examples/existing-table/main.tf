provider "aws" {
  region = var.region
}

# The shared lease table, owned by another stack in real life (a platform
# team's, say). Any table works if it has a string hash key `pk` and TTL on
# `ttl`; the module then only grants its function access to it.
resource "aws_dynamodb_table" "shared_leases" {
  #checkov:skip=CKV_AWS_119:Lease items hold names and counters only; an AWS owned key encrypts them at rest.
  name                        = "shared-asl-guard-leases"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = true

  attribute {
    name = "pk"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = var.tags
}

# Two lease managers, one per team, on the one table. A semaphore is one item
# keyed by its name, so the teams share a limit wherever they use the same
# semaphore name (a partner API both call, for instance) and never otherwise.
module "lease_manager_team_a" {
  source = "../.."

  name_prefix           = "team-a"
  lambda_zip_path       = var.lambda_zip_path
  create_dynamodb_table = false
  ddb_table_name        = aws_dynamodb_table.shared_leases.name
  max_concurrent_leases = 4
  tags                  = var.tags
}

module "lease_manager_team_b" {
  source = "../.."

  name_prefix           = "team-b"
  lambda_zip_path       = var.lambda_zip_path
  create_dynamodb_table = false
  ddb_table_name        = aws_dynamodb_table.shared_leases.name
  max_concurrent_leases = 4
  # Team A's reaper already sees every ended execution of the account (its
  # rule has no filter) and frees that execution's leases in the shared table.
  reaper_enabled = false
  tags           = var.tags
}
