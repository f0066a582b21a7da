# One rejected input per validation block and per precondition. Plans only;
# nothing here reaches a provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip_path = "tests/fixtures/lease-manager.zip"
}

run "name_prefix_bad_characters" {
  command = plan

  variables {
    name_prefix = "bad prefix!"
  }

  expect_failures = [var.name_prefix]
}

run "name_prefix_too_long" {
  command = plan

  variables {
    name_prefix = "a234567890123456789012345678901234567890x"
  }

  expect_failures = [var.name_prefix]
}

run "lambda_zip_path_not_zip" {
  command = plan

  variables {
    lambda_zip_path = "tests/fixtures/lease-manager.tar.gz"
  }

  expect_failures = [var.lambda_zip_path]
}

run "lambda_memory_size_too_small" {
  command = plan

  variables {
    lambda_memory_size = 64
  }

  expect_failures = [var.lambda_memory_size]
}

run "lambda_timeout_not_under_task_timeout" {
  command = plan

  variables {
    lambda_timeout = 30
  }

  expect_failures = [var.lambda_timeout]
}

run "lambda_reserved_concurrency_zero" {
  command = plan

  variables {
    lambda_reserved_concurrent_executions = 0
  }

  expect_failures = [var.lambda_reserved_concurrent_executions]
}

run "max_concurrent_leases_zero" {
  command = plan

  variables {
    max_concurrent_leases = 0
  }

  expect_failures = [var.max_concurrent_leases]
}

run "max_concurrent_leases_over_lambda_cap" {
  command = plan

  variables {
    max_concurrent_leases = 5001
  }

  expect_failures = [var.max_concurrent_leases]
}

run "max_lease_duration_fraction" {
  command = plan

  variables {
    max_lease_duration_seconds = 1.5
  }

  expect_failures = [var.max_lease_duration_seconds]
}

run "max_lease_duration_over_a_year" {
  command = plan

  variables {
    max_lease_duration_seconds = 31536001
  }

  expect_failures = [var.max_lease_duration_seconds]
}

run "max_retry_after_over_an_hour" {
  command = plan

  variables {
    max_retry_after_seconds = 3601
  }

  expect_failures = [var.max_retry_after_seconds]
}

run "retention_not_allowed" {
  command = plan

  variables {
    cloudwatch_logs_retention_in_days = 10
  }

  expect_failures = [var.cloudwatch_logs_retention_in_days]
}

run "logs_kms_key_alias" {
  command = plan

  variables {
    cloudwatch_logs_kms_key_arn = "alias/logs"
  }

  expect_failures = [var.cloudwatch_logs_kms_key_arn]
}

run "kms_key_alias_arn" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:alias/leases"
  }

  expect_failures = [var.kms_key_arn]
}

run "ddb_table_name_too_short" {
  command = plan

  variables {
    ddb_table_name = "ab"
  }

  expect_failures = [var.ddb_table_name]
}

run "ddb_billing_mode_unknown" {
  command = plan

  variables {
    ddb_billing_mode = "ON_DEMAND"
  }

  expect_failures = [var.ddb_billing_mode]
}

run "ddb_read_capacity_zero" {
  command = plan

  variables {
    ddb_read_capacity = 0
  }

  expect_failures = [var.ddb_read_capacity]
}

run "ddb_write_capacity_fraction" {
  command = plan

  variables {
    ddb_write_capacity = 2.5
  }

  expect_failures = [var.ddb_write_capacity]
}

run "reaper_arn_not_state_machine" {
  command = plan

  variables {
    reaper_state_machine_arns = ["arn:aws:lambda:eu-west-1:123456789012:function:f"]
  }

  expect_failures = [var.reaper_state_machine_arns]
}

run "post_acquire_too_long" {
  command = plan

  variables {
    sfn_post_acquire_lease_state = join("", [for i in range(81) : "x"])
  }

  expect_failures = [var.sfn_post_acquire_lease_state]
}

run "post_release_empty" {
  command = plan

  variables {
    sfn_post_release_lease_state = ""
  }

  expect_failures = [var.sfn_post_release_lease_state]
}

run "semaphore_too_long" {
  command = plan

  variables {
    sfn_semaphore_name = join("", [for i in range(129) : "s"])
  }

  expect_failures = [var.sfn_semaphore_name]
}

run "lease_limit_zero" {
  command = plan

  variables {
    sfn_lease_limit = 0
  }

  expect_failures = [var.sfn_lease_limit]
}

run "lease_weight_over_cap" {
  command = plan

  variables {
    sfn_lease_weight = 5001
  }

  expect_failures = [var.sfn_lease_weight]
}

run "lease_seconds_zero" {
  command = plan

  variables {
    sfn_lease_seconds = 0
  }

  expect_failures = [var.sfn_lease_seconds]
}

run "max_wait_zero" {
  command = plan

  variables {
    sfn_max_wait_seconds = 0
  }

  expect_failures = [var.sfn_max_wait_seconds]
}

run "prepare_lease_name_empty" {
  command = plan

  variables {
    sfn_prepare_lease_state_name = ""
  }

  expect_failures = [var.sfn_prepare_lease_state_name]
}

run "acquire_lease_name_empty" {
  command = plan

  variables {
    sfn_acquire_lease_state_name = ""
  }

  expect_failures = [var.sfn_acquire_lease_state_name]
}

run "check_lease_name_empty" {
  command = plan

  variables {
    sfn_check_lease_state_name = ""
  }

  expect_failures = [var.sfn_check_lease_state_name]
}

run "wait_name_empty" {
  command = plan

  variables {
    sfn_wait_state_name = ""
  }

  expect_failures = [var.sfn_wait_state_name]
}

run "wait_timeout_name_empty" {
  command = plan

  variables {
    sfn_wait_timeout_state_name = ""
  }

  expect_failures = [var.sfn_wait_timeout_state_name]
}

run "not_granted_name_empty" {
  command = plan

  variables {
    sfn_not_granted_state_name = ""
  }

  expect_failures = [var.sfn_not_granted_state_name]
}

run "release_lease_name_empty" {
  command = plan

  variables {
    sfn_release_lease_state_name = ""
  }

  expect_failures = [var.sfn_release_lease_state_name]
}

run "release_lease_on_error_name_empty" {
  command = plan

  variables {
    sfn_release_lease_on_error_state_name = ""
  }

  expect_failures = [var.sfn_release_lease_on_error_state_name]
}

run "rethrow_lease_error_name_empty" {
  command = plan

  variables {
    sfn_rethrow_lease_error_state_name = ""
  }

  expect_failures = [var.sfn_rethrow_lease_error_state_name]
}

run "control_character_in_state_name" {
  command = plan

  variables {
    sfn_acquire_lease_state_name = "Acquire\nLease"
  }

  expect_failures = [var.sfn_acquire_lease_state_name]
}

run "package_missing" {
  command = plan

  variables {
    lambda_zip_path = "tests/fixtures/not-built-yet.zip"
  }

  expect_failures = [aws_lambda_function.this]
}

run "package_missing_is_fine_when_disabled" {
  command = plan

  variables {
    create          = false
    lambda_zip_path = "tests/fixtures/not-built-yet.zip"
  }

  assert {
    condition     = length(aws_lambda_function.this) == 0
    error_message = "a disabled instance must not need the package"
  }
}

run "reused_table_without_name" {
  command = plan

  variables {
    create_dynamodb_table = false
  }

  expect_failures = [aws_lambda_function.this]
}

run "table_settings_on_reused_table" {
  command = plan

  variables {
    create_dynamodb_table              = false
    ddb_table_name                     = "shared-leases"
    ddb_point_in_time_recovery_enabled = true
  }

  expect_failures = [aws_lambda_function.this]
}

run "capacity_on_reused_table" {
  command = plan

  variables {
    create_dynamodb_table = false
    ddb_table_name        = "shared-leases"
    ddb_billing_mode      = "PROVISIONED"
    ddb_read_capacity     = 5
    ddb_write_capacity    = 5
  }

  expect_failures = [aws_lambda_function.this]
}

run "permissions_boundary_not_a_policy" {
  command = plan

  variables {
    lambda_role_permissions_boundary_arn = "arn:aws:iam::123456789012:role/boundary"
  }

  expect_failures = [var.lambda_role_permissions_boundary_arn]
}

run "provisioned_without_capacity" {
  command = plan

  variables {
    ddb_billing_mode  = "PROVISIONED"
    ddb_read_capacity = 5
  }

  expect_failures = [aws_dynamodb_table.this]
}

run "capacity_with_pay_per_request" {
  command = plan

  variables {
    ddb_write_capacity = 5
  }

  expect_failures = [aws_dynamodb_table.this]
}

run "release_without_transition" {
  command = plan

  variables {
    sfn_post_acquire_lease_state = "CallApi"
  }

  expect_failures = [output.sfn_lease_states]
}

run "release_with_both_end_and_next" {
  command = plan

  variables {
    sfn_post_acquire_lease_state  = "CallApi"
    sfn_post_release_lease_state  = "Done"
    end_state_after_release_lease = true
  }

  expect_failures = [output.sfn_lease_states]
}

run "guard_name_clashes_with_entry" {
  command = plan

  variables {
    sfn_post_acquire_lease_state = "AcquireLease"
    sfn_post_release_lease_state = "Done"
  }

  expect_failures = [output.sfn_lease_states]
}

run "guard_names_clash" {
  command = plan

  variables {
    sfn_post_acquire_lease_state = "CallApi"
    sfn_post_release_lease_state = "Done"
    sfn_wait_state_name          = "ReleaseLease"
  }

  expect_failures = [output.sfn_lease_states]
}

run "weight_over_limit" {
  command = plan

  variables {
    sfn_post_acquire_lease_state = "CallApi"
    sfn_post_release_lease_state = "Done"
    sfn_lease_limit              = 2
    sfn_lease_weight             = 3
  }

  expect_failures = [output.sfn_lease_states]
}

run "sweep_schedule_not_a_schedule" {
  command = plan

  variables {
    callback_sweep_schedule_expression = "every minute"
  }

  expect_failures = [var.callback_sweep_schedule_expression]
}

run "sweep_schedule_plural_for_one" {
  command = plan

  variables {
    callback_sweep_schedule_expression = "rate(1 minutes)"
  }

  expect_failures = [var.callback_sweep_schedule_expression]
}

run "sweep_schedule_zero_rate" {
  command = plan

  variables {
    callback_sweep_schedule_expression = "rate(0 minutes)"
  }

  expect_failures = [var.callback_sweep_schedule_expression]
}

run "sweep_schedule_cron_five_fields" {
  command = plan

  variables {
    callback_sweep_schedule_expression = "cron(* * * * *)"
  }

  expect_failures = [var.callback_sweep_schedule_expression]
}

run "sweep_schedule_accepted_forms" {
  command = plan

  variables {
    callback_enabled                   = true
    callback_sweep_schedule_expression = "rate(5 minutes)"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.callback_sweep[0].schedule_expression == "rate(5 minutes)"
    error_message = "rate(5 minutes) must be accepted"
  }
}

run "wait_mode_unknown" {
  command = plan

  variables {
    sfn_wait_mode = "push"
  }

  expect_failures = [var.sfn_wait_mode]
}
