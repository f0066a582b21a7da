################################################################################
# State fragments for definitions merged by hand
#
# The same states, in the JSONPath form, that `asl-guard wrap` injects (see
# docs/guard-states.md): lease data lives in the workflow variables
# leaseHolder, lease, leaseWaited and leaseError, and every lease Task has
# `ResultPath: null`, so business data passes through untouched.
#
# sfn_wait_mode picks the form of `asl-guard wrap --wait`: poll (the acquire
# answers wait, WaitForLease pauses, ask again) or callback (the acquire is a
# `.waitForTaskToken` Task the lease manager answers; no Wait state).
################################################################################

locals {
  fragments_enabled = var.create && var.sfn_post_acquire_lease_state != null
  callback          = var.sfn_wait_mode == "callback"

  # As in the CLI, the semaphore defaults to the region's entry state. The
  # empty fallback only matters while the fragments are disabled.
  semaphore = try(coalesce(var.sfn_semaphore_name, var.sfn_post_acquire_lease_state), "")

  names = {
    prepare          = var.sfn_prepare_lease_state_name
    acquire          = var.sfn_acquire_lease_state_name
    check            = var.sfn_check_lease_state_name
    wait             = local.callback ? null : var.sfn_wait_state_name
    wait_timeout     = var.sfn_wait_timeout_state_name
    not_granted      = var.sfn_not_granted_state_name
    release          = var.sfn_release_lease_state_name
    release_on_error = var.sfn_release_lease_on_error_state_name
    rethrow          = var.sfn_rethrow_lease_error_state_name
  }

  # Every state carries the CLI's marker, `asl-guard/<role> <guard>:`, with the
  # guard key `lease` (the variable prefix), so `asl-guard wrap` sees the
  # region as guarded and `asl-guard check` and `unwrap` know the states.
  marker = {
    prepare          = "asl-guard/prepare lease"
    acquire          = "asl-guard/acquire lease"
    check            = "asl-guard/check lease"
    wait             = "asl-guard/wait lease"
    timeout          = "asl-guard/timeout lease"
    not_granted      = "asl-guard/not-granted lease"
    release          = "asl-guard/release lease"
    release_on_error = "asl-guard/release-on-error lease"
    rethrow          = "asl-guard/rethrow lease"
  }

  # Both lease actions are idempotent per holder, so retrying is safe.
  lease_retry = [{
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

  # A callback acquire waits up to TimeoutSeconds for its token to be
  # answered; that timeout must reach the Catch (LeaseWaitTimeout), not the
  # Retry.
  callback_acquire_retry = [
    merge(local.lease_retry[0], {
      ErrorEquals = [for e in local.lease_retry[0].ErrorEquals : e if e != "States.Timeout"]
    })
  ]

  # limit, weight and leaseSeconds are sent only when set.
  acquire_payload = merge(
    {
      action        = "acquire"
      semaphore     = local.semaphore
      "holder.$"    = "$leaseHolder"
      "execution.$" = "$$.Execution.Id"
    },
    var.sfn_lease_limit == null ? {} : { limit = var.sfn_lease_limit },
    var.sfn_lease_weight == null ? {} : { weight = var.sfn_lease_weight },
    var.sfn_lease_seconds == null ? {} : { leaseSeconds = var.sfn_lease_seconds },
  )

  release_parameters = {
    FunctionName = local.function_arn
    Payload = {
      action      = "release"
      semaphore   = local.semaphore
      "holder.$"  = "$leaseHolder"
      "leaseId.$" = "$lease.leaseId"
    }
  }

  # The states that differ between the wait modes. Picked by indexing with
  # sfn_wait_mode, since the two sides have different shapes (a conditional
  # would need one type for both).
  wait_mode_bodies = {
    poll = {
      acquire = {
        Type           = "Task"
        Comment        = "${local.marker.acquire}: ask for a lease on semaphore ${local.semaphore}"
        Resource       = "arn:${local.partition}:states:::lambda:invoke"
        Parameters     = { FunctionName = local.function_arn, Payload = local.acquire_payload }
        TimeoutSeconds = 30
        ResultPath     = null
        Assign         = { "lease.$" = "$.Payload" }
        Retry          = local.lease_retry
        Next           = local.names.check
      }

      check = {
        Type    = "Choice"
        Comment = "${local.marker.check}: acquired enters the region, wait loops while under ${var.sfn_max_wait_seconds} seconds, anything else fails closed"
        Choices = [
          {
            Variable     = "$lease.status"
            StringEquals = "acquired"
            Next         = var.sfn_post_acquire_lease_state
          },
          {
            And = [
              { Variable = "$lease.status", StringEquals = "wait" },
              { Variable = "$leaseWaited", NumericLessThan = var.sfn_max_wait_seconds },
            ]
            Next = local.names.wait
          },
          {
            Variable     = "$lease.status"
            StringEquals = "wait"
            Next         = local.names.wait_timeout
          },
        ]
        Default = local.names.not_granted
      }

      wait = {
        Type        = "Wait"
        Comment     = "${local.marker.wait}: pause as long as the lease manager asks, then ask again"
        SecondsPath = "$lease.retryAfterSeconds"
        Assign      = { "leaseWaited.$" = "States.MathAdd($leaseWaited, $lease.retryAfterSeconds)" }
        Next        = local.names.acquire
      }
    }

    callback = {
      acquire = {
        Type     = "Task"
        Comment  = "${local.marker.acquire}: ask for a lease on semaphore ${local.semaphore}; the lease manager answers the task token once the lease is granted"
        Resource = "arn:${local.partition}:states:::lambda:invoke.waitForTaskToken"
        Parameters = {
          FunctionName = local.function_arn
          Payload = merge(local.acquire_payload, {
            "taskToken.$" = "$$.Task.Token"
            waitSeconds   = var.sfn_max_wait_seconds
          })
        }
        # Waiting ends here: the lease manager drops the waiter at the same
        # deadline (docs/lease-protocol.md).
        TimeoutSeconds = var.sfn_max_wait_seconds
        ResultPath     = null
        # SendTaskSuccess's output is the result itself, not under Payload.
        Assign = { "lease.$" = "$" }
        Retry  = local.callback_acquire_retry
        Catch  = [{ ErrorEquals = ["States.Timeout"], Next = local.names.wait_timeout }]
        Next   = local.names.check
      }

      check = {
        Type    = "Choice"
        Comment = "${local.marker.check}: acquired enters the region, anything else fails closed"
        Choices = [{
          Variable     = "$lease.status"
          StringEquals = "acquired"
          Next         = var.sfn_post_acquire_lease_state
        }]
        Default = local.names.not_granted
      }
    }
  }

  state_bodies = merge(local.wait_mode_bodies[var.sfn_wait_mode], {
    prepare = {
      Type    = "Pass"
      Comment = "${local.marker.prepare}: new holder id for this entry into the region, waiting counter to 0"
      Assign = {
        "leaseHolder.$" = "States.Format('{}/{}', $$.Execution.Name, States.UUID())"
        leaseWaited     = 0
      }
      Next = local.names.acquire
    }

    wait_timeout = {
      Type    = "Fail"
      Comment = "${local.marker.timeout}: waited too long for a lease"
      Error   = "Lease.WaitTimeout"
      Cause   = "no lease on semaphore ${local.semaphore} within ${var.sfn_max_wait_seconds} seconds"
    }

    not_granted = {
      Type    = "Fail"
      Comment = "${local.marker.not_granted}: the lease manager ${local.callback ? "did not grant a lease" : "neither granted a lease nor asked to wait"}"
      Error   = "Lease.NotGranted"
      Cause   = "the lease manager did not grant a lease on semaphore ${local.semaphore}"
    }

    release = merge(
      {
        Type           = "Task"
        Comment        = "${local.marker.release}: free the lease on semaphore ${local.semaphore}"
        Resource       = "arn:${local.partition}:states:::lambda:invoke"
        Parameters     = local.release_parameters
        TimeoutSeconds = 30
        ResultPath     = null
        Retry          = local.lease_retry
      },
      # Exactly one of End and Next (an output precondition enforces it).
      var.end_state_after_release_lease ? { End = true } : {},
      var.end_state_after_release_lease ? {} : { Next = var.sfn_post_release_lease_state },
    )

    # A failing release must not hide the region's error: its own catcher
    # goes to the rethrow state too.
    release_on_error = {
      Type           = "Task"
      Comment        = "${local.marker.release_on_error}: free the lease on semaphore ${local.semaphore} after an error in the region"
      Resource       = "arn:${local.partition}:states:::lambda:invoke"
      Parameters     = local.release_parameters
      TimeoutSeconds = 30
      ResultPath     = null
      Retry          = local.lease_retry
      Catch          = [{ ErrorEquals = ["States.ALL"], Next = local.names.rethrow }]
      Next           = local.names.rethrow
    }

    rethrow = {
      Type      = "Fail"
      Comment   = "${local.marker.rethrow}: re-raise the region's original error"
      ErrorPath = "$leaseError.Error"
      CausePath = "$leaseError.Cause"
    }
  })

  # role => { "<state name>" = state }, ready to merge into a States map.
  state_fragments = { for role, body in local.state_bodies : role => { (local.names[role]) = body } }

  # Appended (after the user's own catchers) to every Task, Map and Parallel in
  # the region, so an error releases the lease before it propagates.
  error_catcher = {
    ErrorEquals = ["States.ALL"]
    Assign      = { "leaseError.$" = "$" }
    Next        = local.names.release_on_error
  }

  guard_state_names = concat(compact(values(local.names)), compact([var.sfn_post_acquire_lease_state, var.sfn_post_release_lease_state]))
}
