# Table created with options, or reused.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip_path = "tests/fixtures/lease-manager.zip"
}

run "reuse_existing_table" {
  command = plan

  variables {
    create_dynamodb_table = false
    ddb_table_name        = "shared-leases"
  }

  assert {
    condition     = length(aws_dynamodb_table.this) == 0
    error_message = "a reused table must not be created"
  }

  assert {
    condition     = aws_lambda_function.this[0].environment[0].variables["ASL_GUARD_TABLE_NAME"] == "shared-leases"
    error_message = "the function must use the reused table"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.lambda[0].policy).Statement[0].Resource == "arn:aws:dynamodb:eu-west-1:123456789012:table/shared-leases"
    error_message = "the grant must name the reused table"
  }

  assert {
    condition     = output.dynamodb_table_name == "shared-leases" && output.dynamodb_table_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/shared-leases"
    error_message = "outputs must describe the reused table"
  }
}

run "named_created_table" {
  command = plan

  variables {
    ddb_table_name = "my-leases"
  }

  assert {
    condition     = aws_dynamodb_table.this[0].name == "my-leases" && aws_lambda_function.this[0].environment[0].variables["ASL_GUARD_TABLE_NAME"] == "my-leases"
    error_message = "a created table takes ddb_table_name when given"
  }
}

run "provisioned_capacity" {
  command = plan

  variables {
    ddb_billing_mode   = "PROVISIONED"
    ddb_read_capacity  = 5
    ddb_write_capacity = 7
  }

  assert {
    condition     = aws_dynamodb_table.this[0].billing_mode == "PROVISIONED" && aws_dynamodb_table.this[0].read_capacity == 5 && aws_dynamodb_table.this[0].write_capacity == 7
    error_message = "provisioned capacity must follow the inputs"
  }
}

run "pitr_and_deletion_protection" {
  command = plan

  variables {
    ddb_point_in_time_recovery_enabled = true
    ddb_deletion_protection_enabled    = true
  }

  assert {
    condition     = aws_dynamodb_table.this[0].point_in_time_recovery[0].enabled
    error_message = "PITR must be on"
  }

  assert {
    condition     = aws_dynamodb_table.this[0].deletion_protection_enabled
    error_message = "deletion protection must be on"
  }
}
