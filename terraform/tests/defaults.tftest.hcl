# Default inputs: everything is created, least privilege, no fragments yet.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip_path = "tests/fixtures/lease-manager.zip"
}

run "lambda_defaults" {
  command = plan

  assert {
    condition     = aws_lambda_function.this[0].function_name == "asl-guard-lease-manager"
    error_message = "function name must be <name_prefix>-lease-manager"
  }

  assert {
    condition     = aws_lambda_function.this[0].runtime == "provided.al2023" && aws_lambda_function.this[0].handler == "bootstrap"
    error_message = "function must run the bootstrap binary on provided.al2023"
  }

  assert {
    condition     = aws_lambda_function.this[0].architectures == tolist(["x86_64"])
    error_message = "function must be built for x86_64"
  }

  assert {
    condition     = aws_lambda_function.this[0].source_code_hash == filebase64sha256("tests/fixtures/lease-manager.zip")
    error_message = "source_code_hash must follow the zip"
  }

  assert {
    condition = aws_lambda_function.this[0].environment[0].variables == tomap({
      ASL_GUARD_TABLE_NAME              = "asl-guard-leases"
      ASL_GUARD_DEFAULT_LIMIT           = "10"
      ASL_GUARD_DEFAULT_LEASE_SECONDS   = "900"
      ASL_GUARD_MAX_RETRY_AFTER_SECONDS = "30"
      AWS_LAMBDA_LOG_FORMAT             = "JSON"
    })
    error_message = "unexpected environment"
  }

  assert {
    condition     = aws_lambda_function.this[0].tracing_config[0].mode == "PassThrough"
    error_message = "tracing must be off by default"
  }

  assert {
    condition     = aws_lambda_function.this[0].reserved_concurrent_executions == -1
    error_message = "no concurrency must be reserved by default"
  }

  assert {
    condition     = aws_lambda_function.this[0].kms_key_arn == null
    error_message = "no KMS key by default"
  }

  assert {
    condition     = aws_iam_role.lambda[0].permissions_boundary == null
    error_message = "no permissions boundary by default"
  }

  assert {
    condition     = aws_lambda_function.this[0].timeout == 10 && aws_lambda_function.this[0].memory_size == 128
    error_message = "unexpected timeout or memory"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].name == "/aws/lambda/asl-guard-lease-manager" && aws_cloudwatch_log_group.this[0].retention_in_days == 30
    error_message = "log group must be the function's, with 30 days of retention"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].kms_key_id == null
    error_message = "log group must not name a key by default"
  }
}

run "table_defaults" {
  command = plan

  assert {
    condition     = length(aws_dynamodb_table.this) == 1 && aws_dynamodb_table.this[0].name == "asl-guard-leases"
    error_message = "table must be created as <name_prefix>-leases"
  }

  assert {
    condition     = aws_dynamodb_table.this[0].hash_key == "pk" && aws_dynamodb_table.this[0].range_key == null
    error_message = "table must have hash key pk and no range key"
  }

  assert {
    condition     = [for a in aws_dynamodb_table.this[0].attribute : { name = a.name, type = a.type }] == [{ name = "pk", type = "S" }]
    error_message = "only pk (string) may be declared"
  }

  assert {
    condition     = aws_dynamodb_table.this[0].ttl[0].attribute_name == "ttl" && aws_dynamodb_table.this[0].ttl[0].enabled
    error_message = "TTL must be on attribute ttl"
  }

  assert {
    condition     = aws_dynamodb_table.this[0].billing_mode == "PAY_PER_REQUEST"
    error_message = "table must be on demand by default"
  }

  assert {
    condition     = !aws_dynamodb_table.this[0].point_in_time_recovery[0].enabled && !aws_dynamodb_table.this[0].deletion_protection_enabled
    error_message = "PITR and deletion protection must be off by default"
  }

  assert {
    condition     = !aws_dynamodb_table.this[0].server_side_encryption[0].enabled
    error_message = "no customer managed key by default"
  }
}

run "outputs_defaults" {
  command = plan

  assert {
    condition     = output.lambda_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:asl-guard-lease-manager"
    error_message = "function ARN must be built from partition, region and account"
  }

  assert {
    condition     = output.dynamodb_table_name == "asl-guard-leases"
    error_message = "unexpected table name output"
  }

  assert {
    condition     = output.dynamodb_table_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/asl-guard-leases"
    error_message = "unexpected table ARN output"
  }

  assert {
    condition     = output.lambda_function_name == "asl-guard-lease-manager"
    error_message = "unexpected function name output"
  }

  assert {
    condition     = output.lambda_log_group_name == "/aws/lambda/asl-guard-lease-manager"
    error_message = "unexpected log group output"
  }

  assert {
    condition     = output.sfn_lease_states == null && output.sfn_acquire_lease_state == null && output.sfn_lease_error_catcher == null
    error_message = "fragments must be null until sfn_post_acquire_lease_state is set"
  }

  assert {
    condition     = output.sfn_lease_state_names.prepare == "PrepareLease" && output.sfn_lease_state_names.rethrow == "RethrowLeaseError"
    error_message = "state names must be available without fragments"
  }
}

run "name_prefix_and_tags" {
  command = plan

  variables {
    name_prefix = "payments"
    tags        = { team = "core" }
  }

  assert {
    condition     = aws_lambda_function.this[0].function_name == "payments-lease-manager" && aws_iam_role.lambda[0].name == "payments-lease-manager"
    error_message = "function and role must follow name_prefix"
  }

  assert {
    condition     = aws_dynamodb_table.this[0].name == "payments-leases" && aws_cloudwatch_event_rule.reaper[0].name == "payments-reaper"
    error_message = "table and rule must follow name_prefix"
  }

  assert {
    condition = alltrue([
      aws_lambda_function.this[0].tags == tomap({ team = "core" }),
      aws_iam_role.lambda[0].tags == tomap({ team = "core" }),
      aws_dynamodb_table.this[0].tags == tomap({ team = "core" }),
      aws_cloudwatch_log_group.this[0].tags == tomap({ team = "core" }),
      aws_cloudwatch_event_rule.reaper[0].tags == tomap({ team = "core" }),
    ])
    error_message = "tags must reach every taggable resource"
  }
}

run "lambda_settings" {
  command = plan

  variables {
    lambda_memory_size                    = 256
    lambda_timeout                        = 20
    lambda_reserved_concurrent_executions = 50
    max_concurrent_leases                 = 3
    max_lease_duration_seconds            = 120
    cloudwatch_logs_retention_in_days     = 0
    max_retry_after_seconds               = 120
  }

  assert {
    condition     = aws_lambda_function.this[0].memory_size == 256 && aws_lambda_function.this[0].timeout == 20
    error_message = "memory and timeout must follow the inputs"
  }

  assert {
    condition     = aws_lambda_function.this[0].reserved_concurrent_executions == 50
    error_message = "reserved concurrency must follow the input"
  }

  assert {
    condition     = aws_lambda_function.this[0].environment[0].variables["ASL_GUARD_DEFAULT_LIMIT"] == "3" && aws_lambda_function.this[0].environment[0].variables["ASL_GUARD_DEFAULT_LEASE_SECONDS"] == "120"
    error_message = "limit and lease seconds must reach the environment"
  }

  assert {
    condition     = aws_lambda_function.this[0].environment[0].variables["ASL_GUARD_MAX_RETRY_AFTER_SECONDS"] == "120"
    error_message = "the wait cap must reach the environment"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].retention_in_days == 0
    error_message = "retention 0 must keep logs forever"
  }
}

run "tracing_enabled" {
  command = plan

  variables {
    lambda_tracing_enabled = true
  }

  assert {
    condition     = aws_lambda_function.this[0].tracing_config[0].mode == "Active"
    error_message = "tracing must be Active"
  }
}

run "log_group_kms" {
  command = plan

  variables {
    cloudwatch_logs_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    error_message = "log group must be encrypted with the given key"
  }

  assert {
    condition     = aws_lambda_function.this[0].kms_key_arn == null && !aws_dynamodb_table.this[0].server_side_encryption[0].enabled
    error_message = "the log key must not be used for anything else"
  }
}

run "permissions_boundary" {
  command = plan

  variables {
    lambda_role_permissions_boundary_arn = "arn:aws:iam::123456789012:policy/boundary"
  }

  assert {
    condition     = aws_iam_role.lambda[0].permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"
    error_message = "the boundary must be set on the role"
  }
}

run "disabled_instance" {
  command = apply

  variables {
    create = false
  }

  assert {
    condition = alltrue([
      length(aws_lambda_function.this) == 0,
      length(aws_cloudwatch_log_group.this) == 0,
      length(aws_iam_role.lambda) == 0,
      length(aws_iam_role_policy.lambda) == 0,
      length(aws_dynamodb_table.this) == 0,
      length(aws_cloudwatch_event_rule.reaper) == 0,
      length(aws_cloudwatch_event_target.reaper) == 0,
      length(aws_lambda_permission.reaper) == 0,
      length(data.aws_partition.current) == 0,
    ])
    error_message = "create = false must create nothing"
  }

  assert {
    condition = alltrue([
      output.lambda_function_arn == null,
      output.lambda_function_name == null,
      output.lambda_role_arn == null,
      output.dynamodb_table_name == null,
      output.dynamodb_table_arn == null,
      output.state_machine_policy_json == null,
      output.reaper_event_rule_arn == null,
      output.sfn_lease_states == null,
      output.sfn_lease_state_names == null,
    ])
    error_message = "create = false must give null outputs"
  }
}

run "full_apply_on_mocks" {
  command = apply

  variables {
    sfn_post_acquire_lease_state = "CallPartner"
    sfn_post_release_lease_state = "Done"
  }

  assert {
    condition     = output.lambda_role_arn == "arn:aws:iam::123456789012:role/mocked" && output.reaper_event_rule_arn == "arn:aws:events:eu-west-1:123456789012:rule/mocked"
    error_message = "apply on mocks must wire resource outputs"
  }

  assert {
    condition     = aws_cloudwatch_event_target.reaper[0].arn == aws_lambda_function.this[0].arn
    error_message = "the rule must target the function"
  }
}
