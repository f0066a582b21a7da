################################################################################
# Lease manager
################################################################################

output "lambda_function_arn" {
  description = "Unqualified ARN of the lease manager function: the FunctionName of every lease Task and the `--function` of `asl-guard wrap`."
  value       = var.create ? local.function_arn : null
  depends_on  = [aws_lambda_function.this]
}

output "lambda_function_name" {
  description = "Name of the lease manager function."
  value       = try(aws_lambda_function.this[0].function_name, null)
}

output "lambda_role_arn" {
  description = "ARN of the lease manager's execution role."
  value       = try(aws_iam_role.lambda[0].arn, null)
}

output "lambda_log_group_name" {
  description = "Name of the lease manager's CloudWatch log group."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "reaper_event_rule_arn" {
  description = "ARN of the EventBridge rule that feeds ended executions to the reaper, or null when reaper_enabled is false."
  value       = try(aws_cloudwatch_event_rule.reaper[0].arn, null)
}

output "callback_sweep_rule_arn" {
  description = "ARN of the EventBridge rule that invokes the lease manager with `{\"action\": \"sweep\"}` on callback_sweep_schedule_expression, or null when callback_enabled is false."
  value       = try(aws_cloudwatch_event_rule.callback_sweep[0].arn, null)
}

################################################################################
# Lease table
################################################################################

output "dynamodb_table_name" {
  description = "Name of the lease table, created or reused."
  value       = var.create ? local.table_name : null
  depends_on  = [aws_dynamodb_table.this]
}

output "dynamodb_table_arn" {
  description = "ARN of the lease table, created or reused."
  value       = var.create ? local.table_arn : null
  depends_on  = [aws_dynamodb_table.this]
}

################################################################################
# State machine side
################################################################################

output "state_machine_policy_json" {
  description = "IAM policy (JSON) for the role of each state machine that uses the guard: lambda:InvokeFunction on the lease manager, unqualified and `:*`, nothing else. Was `lambda_permissions` in the older module."
  value       = var.create ? local.state_machine_policy : null
}

output "sfn_lease_state_names" {
  description = "Names of the guard states by role (prepare, acquire, check, wait, wait_timeout, not_granted, release, release_on_error, rethrow); `wait` is null in callback mode, which has no Wait state. `prepare` is the guard's entry: point StartAt and every other in-edge of the region there."
  value       = var.create ? local.names : null
}

output "sfn_lease_states" {
  description = "All guard states in one JSON object (state name => state; nine in poll mode, eight in callback mode), to merge into a States map in one step. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(merge(values(local.state_fragments)...)) : null

  precondition {
    condition     = !local.fragments_enabled || (var.end_state_after_release_lease != (var.sfn_post_release_lease_state != null))
    error_message = "Set exactly one of sfn_post_release_lease_state and end_state_after_release_lease = true, so the release state has one transition."
  }

  precondition {
    condition     = !local.fragments_enabled || length(distinct(local.guard_state_names)) == length(local.guard_state_names)
    error_message = "The nine guard state names, sfn_post_acquire_lease_state and sfn_post_release_lease_state must all differ."
  }

  # Checked even without fragments: the combination is wrong either way.
  precondition {
    condition     = var.sfn_wait_mode != "callback" || var.callback_enabled
    error_message = "sfn_wait_mode = \"callback\" needs callback_enabled = true: without it the lease manager may not call states:SendTaskSuccess / SendTaskFailure, so no waiting acquire would ever be answered. Set callback_enabled = true, or sfn_wait_mode = \"poll\"."
  }

  precondition {
    condition     = var.sfn_lease_limit == null || var.sfn_lease_weight == null ? true : var.sfn_lease_weight <= var.sfn_lease_limit
    error_message = "sfn_lease_weight must not exceed sfn_lease_limit, or no holder could ever be granted a lease."
  }
}

output "sfn_lease_error_catcher" {
  description = "Catcher (JSON) to append, after your own, to the Catch list of every Task, Map and Parallel in the guarded region: it records the error in leaseError and goes to the release-on-error state. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.error_catcher) : null
}

output "sfn_prepare_lease_state" {
  description = "PrepareLease Pass state as JSON ({name: state}): makes the holder id and zeroes the waiting counter. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.prepare) : null
}

output "sfn_acquire_lease_state" {
  description = "AcquireLease Task state as JSON ({name: state}): invokes the lease manager with action acquire; in callback mode a `lambda:invoke.waitForTaskToken` Task that waits up to sfn_max_wait_seconds and catches States.Timeout into the wait-timeout state. Was `acquire_lease_state` in the older module. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.acquire) : null
}

output "sfn_check_lease_status_state" {
  description = "CheckLeaseStatus Choice state as JSON ({name: state}): acquired goes to sfn_post_acquire_lease_state, wait (poll mode only) to the Wait state until sfn_max_wait_seconds, anything else fails. Was `check_lease_status_state`. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.check) : null
}

output "sfn_wait_for_lease_state" {
  description = "WaitForLease Wait state as JSON ({name: state}): waits retryAfterSeconds from the answer, then back to the acquire. Was `wait_for_lease_state`. Null until sfn_post_acquire_lease_state is set, and in callback mode, which has no Wait state."
  value       = local.fragments_enabled && !local.callback ? jsonencode(local.state_fragments.wait) : null
}

output "sfn_lease_wait_timeout_state" {
  description = "LeaseWaitTimeout Fail state as JSON ({name: state}), error Lease.WaitTimeout. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.wait_timeout) : null
}

output "sfn_lease_not_granted_state" {
  description = "LeaseNotGranted Fail state as JSON ({name: state}), error Lease.NotGranted. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.not_granted) : null
}

output "sfn_release_lease_state" {
  description = "ReleaseLease Task state as JSON ({name: state}): invokes the lease manager with action release, then Next sfn_post_release_lease_state or End. Was `release_lease_state`. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.release) : null
}

output "sfn_release_lease_on_error_state" {
  description = "ReleaseLeaseOnError Task state as JSON ({name: state}): releases after an error in the region, then the rethrow state, even when the release itself fails. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.release_on_error) : null
}

output "sfn_rethrow_lease_error_state" {
  description = "RethrowLeaseError Fail state as JSON ({name: state}): re-raises the Error and Cause kept in leaseError. Null until sfn_post_acquire_lease_state is set."
  value       = local.fragments_enabled ? jsonencode(local.state_fragments.rethrow) : null
}
