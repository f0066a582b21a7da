################################################################################
# Lease table, created here or reused (create_dynamodb_table = false)
################################################################################

resource "aws_dynamodb_table" "this" {
  count = var.create && var.create_dynamodb_table ? 1 : 0

  #checkov:skip=CKV_AWS_28:Point-in-time recovery is the ddb_point_in_time_recovery_enabled input; leases live minutes and are rebuilt by the next acquire, so backups are off by default.
  #checkov:skip=CKV_AWS_119:A customer managed key is optional (kms_key_arn); without it DynamoDB encrypts at rest with an AWS owned key.
  name                        = local.table_name
  billing_mode                = var.ddb_billing_mode
  read_capacity               = var.ddb_read_capacity
  write_capacity              = var.ddb_write_capacity
  hash_key                    = "pk"
  deletion_protection_enabled = var.ddb_deletion_protection_enabled

  attribute {
    name = "pk"
    type = "S"
  }

  # Absolute expiry in epoch seconds. The function stops counting an expired
  # lease at this time itself; TTL only removes the item later.
  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.ddb_point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.ddb_billing_mode == "PROVISIONED" ? (var.ddb_read_capacity != null && var.ddb_write_capacity != null) : (var.ddb_read_capacity == null && var.ddb_write_capacity == null)
      error_message = "ddb_read_capacity and ddb_write_capacity are required with ddb_billing_mode PROVISIONED and must be null with PAY_PER_REQUEST."
    }
  }
}
