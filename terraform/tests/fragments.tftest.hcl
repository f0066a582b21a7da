# State fragments: valid JSON, the names and transitions of docs/guard-states.md,
# End versus Next, optional payload fields.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip_path              = "tests/fixtures/lease-manager.zip"
  sfn_post_acquire_lease_state = "CallPaymentsApi"
  sfn_post_release_lease_state = "RecordResult"
}

run "acquire_state_exact" {
  command = plan

  variables {
    sfn_semaphore_name = "payments-api"
    sfn_lease_limit    = 5
    sfn_lease_weight   = 1
    sfn_lease_seconds  = 900
  }

  assert {
    condition = jsondecode(output.sfn_acquire_lease_state) == {
      AcquireLease = {
        Type     = "Task"
        Comment  = "asl-guard/acquire lease: ask for a lease on semaphore payments-api"
        Resource = "arn:aws:states:::lambda:invoke"
        Parameters = {
          FunctionName = "arn:aws:lambda:eu-west-1:123456789012:function:asl-guard-lease-manager"
          Payload = {
            action        = "acquire"
            semaphore     = "payments-api"
            "holder.$"    = "$leaseHolder"
            "execution.$" = "$$.Execution.Id"
            limit         = 5
            weight        = 1
            leaseSeconds  = 900
          }
        }
        TimeoutSeconds = 30
        ResultPath     = null
        Assign         = { "lease.$" = "$.Payload" }
        Retry = [{
          ErrorEquals = [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
            "Lambda.Unknown",
            "States.Timeout",
            "Lease.Unavailable",
          ]
          IntervalSeconds = 1
          MaxAttempts     = 6
          BackoffRate     = 2
          MaxDelaySeconds = 20
          JitterStrategy  = "FULL"
        }]
        Next = "CheckLeaseStatus"
      }
    }
    error_message = "AcquireLease must match docs/guard-states.md"
  }

  assert {
    condition     = strcontains(output.sfn_acquire_lease_state, "\"ResultPath\":null")
    error_message = "ResultPath must be an explicit null, so business data passes through"
  }
}

run "optional_payload_fields_left_out" {
  command = plan

  assert {
    condition     = keys(jsondecode(output.sfn_acquire_lease_state).AcquireLease.Parameters.Payload) == ["action", "execution.$", "holder.$", "semaphore"]
    error_message = "limit, weight and leaseSeconds appear only when given"
  }

  assert {
    condition     = jsondecode(output.sfn_acquire_lease_state).AcquireLease.Parameters.Payload.semaphore == "CallPaymentsApi"
    error_message = "the semaphore defaults to the region's entry state, as in the CLI"
  }
}

run "prepare_state_exact" {
  command = plan

  assert {
    condition = jsondecode(output.sfn_prepare_lease_state) == {
      PrepareLease = {
        Type    = "Pass"
        Comment = "asl-guard/prepare lease: new holder id for this entry into the region, waiting counter to 0"
        Assign = {
          "leaseHolder.$" = "States.Format('{}/{}', $$.Execution.Name, States.UUID())"
          leaseWaited     = 0
        }
        Next = "AcquireLease"
      }
    }
    error_message = "PrepareLease must match docs/guard-states.md"
  }
}

run "check_state_transitions" {
  command = plan

  variables {
    sfn_max_wait_seconds = 600
  }

  assert {
    condition = jsondecode(output.sfn_check_lease_status_state).CheckLeaseStatus.Choices == [
      { Variable = "$lease.status", StringEquals = "acquired", Next = "CallPaymentsApi" },
      {
        And = [
          { Variable = "$lease.status", StringEquals = "wait" },
          { Variable = "$leaseWaited", NumericLessThan = 600 },
        ]
        Next = "WaitForLease"
      },
      { Variable = "$lease.status", StringEquals = "wait", Next = "LeaseWaitTimeout" },
    ]
    error_message = "CheckLeaseStatus must go acquired -> entry, wait under the bound -> wait, wait past it -> timeout"
  }

  assert {
    condition     = jsondecode(output.sfn_check_lease_status_state).CheckLeaseStatus.Default == "LeaseNotGranted" && jsondecode(output.sfn_check_lease_status_state).CheckLeaseStatus.Type == "Choice"
    error_message = "anything else must fail closed"
  }
}

run "wait_and_fail_states" {
  command = plan

  assert {
    condition = jsondecode(output.sfn_wait_for_lease_state).WaitForLease == {
      Type        = "Wait"
      Comment     = "asl-guard/wait lease: pause as long as the lease manager asks, then ask again"
      SecondsPath = "$lease.retryAfterSeconds"
      Assign      = { "leaseWaited.$" = "States.MathAdd($leaseWaited, $lease.retryAfterSeconds)" }
      Next        = "AcquireLease"
    }
    error_message = "WaitForLease must wait retryAfterSeconds, count it and loop to the acquire"
  }

  assert {
    condition     = jsondecode(output.sfn_lease_wait_timeout_state).LeaseWaitTimeout.Type == "Fail" && jsondecode(output.sfn_lease_wait_timeout_state).LeaseWaitTimeout.Error == "Lease.WaitTimeout"
    error_message = "LeaseWaitTimeout must fail with Lease.WaitTimeout"
  }

  assert {
    condition     = jsondecode(output.sfn_lease_not_granted_state).LeaseNotGranted.Type == "Fail" && jsondecode(output.sfn_lease_not_granted_state).LeaseNotGranted.Error == "Lease.NotGranted"
    error_message = "LeaseNotGranted must fail with Lease.NotGranted"
  }

  assert {
    condition = jsondecode(output.sfn_rethrow_lease_error_state).RethrowLeaseError == {
      Type      = "Fail"
      Comment   = "asl-guard/rethrow lease: re-raise the region's original error"
      ErrorPath = "$leaseError.Error"
      CausePath = "$leaseError.Cause"
    }
    error_message = "RethrowLeaseError must re-raise leaseError"
  }
}

run "release_with_next" {
  command = plan

  assert {
    condition = jsondecode(output.sfn_release_lease_state).ReleaseLease == {
      Type     = "Task"
      Comment  = "asl-guard/release lease: free the lease on semaphore CallPaymentsApi"
      Resource = "arn:aws:states:::lambda:invoke"
      Parameters = {
        FunctionName = "arn:aws:lambda:eu-west-1:123456789012:function:asl-guard-lease-manager"
        Payload = {
          action      = "release"
          semaphore   = "CallPaymentsApi"
          "holder.$"  = "$leaseHolder"
          "leaseId.$" = "$lease.leaseId"
        }
      }
      TimeoutSeconds = 30
      ResultPath     = null
      Retry          = jsondecode(output.sfn_acquire_lease_state).AcquireLease.Retry
      Next           = "RecordResult"
    }
    error_message = "ReleaseLease must release the holder's lease, then go to sfn_post_release_lease_state"
  }
}

run "release_with_end" {
  command = plan

  variables {
    sfn_post_release_lease_state  = null
    end_state_after_release_lease = true
  }

  assert {
    condition     = jsondecode(output.sfn_release_lease_state).ReleaseLease.End == true && !contains(keys(jsondecode(output.sfn_release_lease_state).ReleaseLease), "Next")
    error_message = "with end_state_after_release_lease, ReleaseLease must end and have no Next"
  }
}

run "release_on_error_path" {
  command = plan

  assert {
    condition = jsondecode(output.sfn_lease_error_catcher) == {
      ErrorEquals = ["States.ALL"]
      Assign      = { "leaseError.$" = "$" }
      Next        = "ReleaseLeaseOnError"
    }
    error_message = "the catcher must keep the error in leaseError and go to ReleaseLeaseOnError"
  }

  assert {
    condition = (
      jsondecode(output.sfn_release_lease_on_error_state).ReleaseLeaseOnError.Next == "RethrowLeaseError" &&
      jsondecode(output.sfn_release_lease_on_error_state).ReleaseLeaseOnError.Catch == [{ ErrorEquals = ["States.ALL"], Next = "RethrowLeaseError" }] &&
      jsondecode(output.sfn_release_lease_on_error_state).ReleaseLeaseOnError.Parameters == jsondecode(output.sfn_release_lease_state).ReleaseLease.Parameters
    )
    error_message = "ReleaseLeaseOnError must release like ReleaseLease and reach RethrowLeaseError even when the release fails"
  }
}

run "merged_states" {
  command = plan

  assert {
    condition = sort(keys(jsondecode(output.sfn_lease_states))) == sort([
      "PrepareLease", "AcquireLease", "CheckLeaseStatus", "WaitForLease", "LeaseWaitTimeout",
      "LeaseNotGranted", "ReleaseLease", "ReleaseLeaseOnError", "RethrowLeaseError",
    ])
    error_message = "the merged map must hold all nine guard states"
  }

  assert {
    condition = jsondecode(output.sfn_lease_states) == merge(
      jsondecode(output.sfn_prepare_lease_state),
      jsondecode(output.sfn_acquire_lease_state),
      jsondecode(output.sfn_check_lease_status_state),
      jsondecode(output.sfn_wait_for_lease_state),
      jsondecode(output.sfn_lease_wait_timeout_state),
      jsondecode(output.sfn_lease_not_granted_state),
      jsondecode(output.sfn_release_lease_state),
      jsondecode(output.sfn_release_lease_on_error_state),
      jsondecode(output.sfn_rethrow_lease_error_state),
    )
    error_message = "the merged map must equal the single fragments"
  }

  assert {
    # Every transition inside the guard points at a guard state or at one of
    # the two user states given.
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
    # The CLI's marker, `asl-guard/<role> <guard>:`, read by wrap, check and unwrap.
    condition = { for name, state in jsondecode(output.sfn_lease_states) : name => split(":", state.Comment)[0] } == {
      PrepareLease        = "asl-guard/prepare lease"
      AcquireLease        = "asl-guard/acquire lease"
      CheckLeaseStatus    = "asl-guard/check lease"
      WaitForLease        = "asl-guard/wait lease"
      LeaseWaitTimeout    = "asl-guard/timeout lease"
      LeaseNotGranted     = "asl-guard/not-granted lease"
      ReleaseLease        = "asl-guard/release lease"
      ReleaseLeaseOnError = "asl-guard/release-on-error lease"
      RethrowLeaseError   = "asl-guard/rethrow lease"
    }
    error_message = "every guard state must carry the CLI's asl-guard/<role> lease: marker"
  }
}

run "custom_names" {
  command = plan

  variables {
    sfn_prepare_lease_state_name          = "P"
    sfn_acquire_lease_state_name          = "A"
    sfn_check_lease_state_name            = "C"
    sfn_wait_state_name                   = "W"
    sfn_wait_timeout_state_name           = "WT"
    sfn_not_granted_state_name            = "NG"
    sfn_release_lease_state_name          = "R"
    sfn_release_lease_on_error_state_name = "RE"
    sfn_rethrow_lease_error_state_name    = "RT"
  }

  assert {
    condition     = sort(keys(jsondecode(output.sfn_lease_states))) == sort(["P", "A", "C", "W", "WT", "NG", "R", "RE", "RT"])
    error_message = "state names must follow the inputs"
  }

  assert {
    condition = alltrue([
      jsondecode(output.sfn_lease_states).P.Next == "A",
      jsondecode(output.sfn_lease_states).A.Next == "C",
      jsondecode(output.sfn_lease_states).C.Choices[1].Next == "W",
      jsondecode(output.sfn_lease_states).C.Choices[2].Next == "WT",
      jsondecode(output.sfn_lease_states).C.Default == "NG",
      jsondecode(output.sfn_lease_states).W.Next == "A",
      jsondecode(output.sfn_lease_states).RE.Next == "RT",
      jsondecode(output.sfn_lease_error_catcher).Next == "RE",
    ])
    error_message = "transitions must follow the custom names"
  }

  assert {
    condition     = output.sfn_lease_state_names.prepare == "P" && output.sfn_lease_state_names.release_on_error == "RE"
    error_message = "the name map must follow the inputs"
  }
}

run "fragments_follow_function" {
  command = plan

  variables {
    name_prefix = "orders"
  }

  assert {
    condition = alltrue([
      for name in ["AcquireLease", "ReleaseLease", "ReleaseLeaseOnError"] :
      jsondecode(output.sfn_lease_states)[name].Parameters.FunctionName == output.lambda_function_arn
    ])
    error_message = "every lease Task must call this module's function"
  }

  assert {
    condition     = output.lambda_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:orders-lease-manager"
    error_message = "unexpected function ARN"
  }
}

run "fragments_null_when_disabled" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = output.sfn_lease_states == null && output.sfn_release_lease_state == null && output.sfn_lease_error_catcher == null
    error_message = "a disabled instance has no function to call, so no fragments"
  }
}
