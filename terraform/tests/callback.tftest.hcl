# Callback mode: the task-token grant, the scheduled sweep, and the fragments
# of `asl-guard wrap --wait callback`.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip_path = "tests/fixtures/lease-manager.zip"
}

run "off_by_default" {
  command = plan

  assert {
    condition     = !strcontains(aws_iam_role_policy.lambda[0].policy, "states:")
    error_message = "without callback_enabled the function may not touch Step Functions"
  }

  assert {
    condition = (
      length(aws_cloudwatch_event_rule.callback_sweep) == 0 &&
      length(aws_cloudwatch_event_target.callback_sweep) == 0 &&
      length(aws_lambda_permission.callback_sweep) == 0 &&
      output.callback_sweep_rule_arn == null
    )
    error_message = "without callback_enabled there is no sweep rule, target or permission"
  }
}

run "task_token_grant" {
  command = plan

  variables {
    callback_enabled = true
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.lambda[0].policy).Statement[2] == {
      Sid      = "AnswerTaskTokens"
      Effect   = "Allow"
      Action   = ["states:SendTaskFailure", "states:SendTaskSuccess"]
      Resource = "*"
    }
    error_message = "callback mode adds SendTaskSuccess and SendTaskFailure, on *, and nothing else"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.lambda[0].policy).Statement) == 3
    error_message = "callback mode adds exactly one statement"
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.lambda[0].policy, "SendTaskHeartbeat") && !strcontains(aws_iam_role_policy.lambda[0].policy, "states:*")
    error_message = "the function never heartbeats and needs no other Step Functions action"
  }

  assert {
    condition     = jsondecode(output.state_machine_policy_json).Statement[0].Action == "lambda:InvokeFunction"
    error_message = "the state machine's policy stays the same in callback mode"
  }
}

run "task_token_grant_after_optional_statements" {
  command = plan

  variables {
    callback_enabled       = true
    lambda_tracing_enabled = true
    kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.lambda[0].policy).Statement : s.Sid] == ["LeaseTable", "OwnLogGroup", "LeaseKey", "XRayWrite", "AnswerTaskTokens"]
    error_message = "the grant must add to the other statements, not replace any"
  }
}

run "sweep_schedule" {
  command = plan

  variables {
    callback_enabled = true
  }

  assert {
    condition = alltrue([
      aws_cloudwatch_event_rule.callback_sweep[0].name == "asl-guard-callback-sweep",
      aws_cloudwatch_event_rule.callback_sweep[0].schedule_expression == "rate(1 minute)",
      aws_cloudwatch_event_rule.callback_sweep[0].event_pattern == null,
    ])
    error_message = "the sweep rule must be a schedule, every minute by default"
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_target.callback_sweep[0].input) == { action = "sweep" }
    error_message = "the target must send exactly {\"action\": \"sweep\"}"
  }

  assert {
    condition     = aws_cloudwatch_event_target.callback_sweep[0].rule == "asl-guard-callback-sweep"
    error_message = "the target must hang on the sweep rule"
  }

  assert {
    condition = alltrue([
      aws_lambda_permission.callback_sweep[0].principal == "events.amazonaws.com",
      aws_lambda_permission.callback_sweep[0].action == "lambda:InvokeFunction",
      aws_lambda_permission.callback_sweep[0].function_name == "asl-guard-lease-manager",
      aws_lambda_permission.callback_sweep[0].source_account == "123456789012",
      aws_lambda_permission.callback_sweep[0].statement_id != aws_lambda_permission.reaper[0].statement_id,
    ])
    error_message = "only EventBridge, from this account, may invoke the function for the sweep"
  }
}

run "sweep_custom_schedule" {
  command = plan

  variables {
    callback_enabled                   = true
    callback_sweep_schedule_expression = "cron(0/5 * * * ? *)"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.callback_sweep[0].schedule_expression == "cron(0/5 * * * ? *)"
    error_message = "the schedule must follow callback_sweep_schedule_expression"
  }
}

run "sweep_permission_scoped_to_rule" {
  command = apply

  variables {
    callback_enabled = true
  }

  assert {
    condition     = aws_lambda_permission.callback_sweep[0].source_arn == aws_cloudwatch_event_rule.callback_sweep[0].arn
    error_message = "the permission must be limited to the sweep rule"
  }

  assert {
    condition     = output.callback_sweep_rule_arn == aws_cloudwatch_event_rule.callback_sweep[0].arn
    error_message = "the output must give the sweep rule's ARN"
  }
}

run "sweep_independent_of_reaper" {
  command = plan

  variables {
    callback_enabled = true
    reaper_enabled   = false
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.callback_sweep) == 1 && length(aws_cloudwatch_event_rule.reaper) == 0
    error_message = "the sweep must not depend on the reaper"
  }
}

run "nothing_when_disabled" {
  command = plan

  variables {
    create           = false
    callback_enabled = true
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.callback_sweep) == 0 && length(aws_iam_role_policy.lambda) == 0 && output.callback_sweep_rule_arn == null
    error_message = "a disabled instance creates no sweep and no grant"
  }
}

run "callback_fragments" {
  command = plan

  variables {
    callback_enabled             = true
    sfn_wait_mode                = "callback"
    sfn_post_acquire_lease_state = "CallPaymentsApi"
    sfn_post_release_lease_state = "RecordResult"
    sfn_semaphore_name           = "payments-api"
    sfn_lease_limit              = 5
    sfn_max_wait_seconds         = 900
  }

  assert {
    condition = jsondecode(output.sfn_acquire_lease_state) == {
      AcquireLease = {
        Type     = "Task"
        Comment  = "asl-guard/acquire lease: ask for a lease on semaphore payments-api; the lease manager answers the task token once the lease is granted"
        Resource = "arn:aws:states:::lambda:invoke.waitForTaskToken"
        Parameters = {
          FunctionName = "arn:aws:lambda:eu-west-1:123456789012:function:asl-guard-lease-manager"
          Payload = {
            action        = "acquire"
            semaphore     = "payments-api"
            "holder.$"    = "$leaseHolder"
            "execution.$" = "$$.Execution.Id"
            limit         = 5
            "taskToken.$" = "$$.Task.Token"
            waitSeconds   = 900
          }
        }
        TimeoutSeconds = 900
        ResultPath     = null
        Assign         = { "lease.$" = "$" }
        Retry = [{
          ErrorEquals = [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
            "Lambda.Unknown",
            "Lease.Unavailable",
          ]
          IntervalSeconds = 1
          MaxAttempts     = 6
          BackoffRate     = 2
          MaxDelaySeconds = 20
          JitterStrategy  = "FULL"
        }]
        Catch = [{ ErrorEquals = ["States.Timeout"], Next = "LeaseWaitTimeout" }]
        Next  = "CheckLeaseStatus"
      }
    }
    error_message = "AcquireLease must be the waitForTaskToken Task of `asl-guard wrap --wait callback`"
  }

  assert {
    condition     = !contains(keys(jsondecode(output.sfn_acquire_lease_state).AcquireLease), "HeartbeatSeconds")
    error_message = "the lease manager never heartbeats, so the acquire must set no HeartbeatSeconds"
  }

  assert {
    condition     = strcontains(output.sfn_acquire_lease_state, "\"ResultPath\":null")
    error_message = "ResultPath must be an explicit null, so business data passes through"
  }

  assert {
    condition = jsondecode(output.sfn_check_lease_status_state).CheckLeaseStatus == {
      Type    = "Choice"
      Comment = "asl-guard/check lease: acquired enters the region, anything else fails closed"
      Choices = [{ Variable = "$lease.status", StringEquals = "acquired", Next = "CallPaymentsApi" }]
      Default = "LeaseNotGranted"
    }
    error_message = "CheckLeaseStatus must only let acquired in and fail closed otherwise"
  }

  assert {
    condition     = output.sfn_wait_for_lease_state == null && output.sfn_lease_state_names.wait == null
    error_message = "callback mode has no Wait state"
  }

  assert {
    condition = sort(keys(jsondecode(output.sfn_lease_states))) == sort([
      "PrepareLease", "AcquireLease", "CheckLeaseStatus", "LeaseWaitTimeout",
      "LeaseNotGranted", "ReleaseLease", "ReleaseLeaseOnError", "RethrowLeaseError",
    ])
    error_message = "the merged map must hold the eight callback guard states"
  }

  assert {
    condition = alltrue(flatten([
      for name, state in jsondecode(output.sfn_lease_states) : [
        for target in concat(
          try([state.Next], []),
          try([state.Default], []),
          try([for c in state.Choices : c.Next], []),
          try([for c in state.Catch : c.Next], []),
        ) : contains(concat(keys(jsondecode(output.sfn_lease_states)), ["CallPaymentsApi", "RecordResult"]), target)
      ]
    ]))
    error_message = "a transition points at an unknown state"
  }

  assert {
    condition = jsondecode(output.sfn_lease_wait_timeout_state).LeaseWaitTimeout.Error == "Lease.WaitTimeout" && (
      jsondecode(output.sfn_release_lease_state).ReleaseLease.Resource == "arn:aws:states:::lambda:invoke"
    )
    error_message = "the timeout state and the release stay as in poll mode"
  }
}

run "callback_fragments_follow_names_and_partition" {
  command = plan

  variables {
    callback_enabled              = true
    sfn_wait_mode                 = "callback"
    sfn_post_acquire_lease_state  = "CallPaymentsApi"
    end_state_after_release_lease = true
    sfn_wait_timeout_state_name   = "TooLong"
    # Unused in callback mode, so it may name a state of the region.
    sfn_wait_state_name = "CallPaymentsApi"
  }

  override_data {
    target = data.aws_partition.current[0]
    values = { partition = "aws-us-gov", id = "aws-us-gov", dns_suffix = "amazonaws.com" }
  }

  assert {
    condition     = jsondecode(output.sfn_acquire_lease_state).AcquireLease.Resource == "arn:aws-us-gov:states:::lambda:invoke.waitForTaskToken"
    error_message = "the waitForTaskToken resource must follow the partition"
  }

  assert {
    condition     = jsondecode(output.sfn_acquire_lease_state).AcquireLease.Catch[0].Next == "TooLong" && jsondecode(output.sfn_acquire_lease_state).AcquireLease.TimeoutSeconds == 3600
    error_message = "the timeout goes to the wait-timeout state after sfn_max_wait_seconds (3600 by default)"
  }
}

run "callback_mode_without_callback_enabled" {
  command = plan

  variables {
    sfn_wait_mode                = "callback"
    sfn_post_acquire_lease_state = "CallPaymentsApi"
    sfn_post_release_lease_state = "RecordResult"
  }

  expect_failures = [output.sfn_lease_states]
}

run "callback_mode_without_callback_enabled_or_fragments" {
  command = plan

  variables {
    sfn_wait_mode = "callback"
  }

  expect_failures = [output.sfn_lease_states]
}

run "callback_enabled_keeps_poll_fragments" {
  command = plan

  variables {
    callback_enabled             = true
    sfn_post_acquire_lease_state = "CallPaymentsApi"
    sfn_post_release_lease_state = "RecordResult"
  }

  assert {
    condition = (
      jsondecode(output.sfn_acquire_lease_state).AcquireLease.Resource == "arn:aws:states:::lambda:invoke" &&
      output.sfn_wait_for_lease_state != null
    )
    error_message = "callback_enabled alone must not change the fragments: poll guards keep working next to callback ones"
  }
}
