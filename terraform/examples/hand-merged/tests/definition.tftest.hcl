# The hand merged definition is a closed graph: every transition names a state
# of the definition, and the region is entered only through the guard; in
# both wait modes. scripts/check_fragments_against_cli.py reads the two runs'
# `definition` outputs by run name.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { id = "aws", partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { id = "eu-west-1", name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { id = "123456789012", account_id = "123456789012", arn = "arn:aws:iam::123456789012:root", user_id = "TEST" }
  }
  # Applied on mocks, resources need well formed ARNs where the provider
  # validates them.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:mocked" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/mocked" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:mocked"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mocked"
    }
  }
}

variables {
  lambda_zip_path = "../../tests/fixtures/lease-manager.zip"
}

run "merged_definition" {
  command = apply

  assert {
    condition     = jsondecode(local.definition).StartAt == "PrepareLease"
    error_message = "the workflow must start at the guard's entry"
  }

  assert {
    condition = alltrue(flatten([
      for name, state in jsondecode(local.definition).States : [
        for target in concat(
          try([state.Next], []),
          try([state.Default], []),
          try([for c in state.Choices : c.Next], []),
          try([for c in state.Catch : c.Next], []),
        ) : contains(keys(jsondecode(local.definition).States), target)
      ]
    ]))
    error_message = "a transition names a state that is not in the definition"
  }

  assert {
    condition = [
      for name, state in jsondecode(local.definition).States : name
      if contains(try([for c in state.Choices : c.Next], []), "SendInvoice") || try(state.Next, "") == "SendInvoice"
    ] == ["CheckLeaseStatus"]
    error_message = "only the guard's Choice may enter SendInvoice"
  }

  assert {
    condition     = jsondecode(local.definition).States.SendInvoice.Catch[0].Next == "ReleaseLeaseOnError" && jsondecode(local.definition).States.ReleaseLease.Next == "Done"
    error_message = "errors must release, and the release must lead to Done"
  }

  assert {
    condition     = jsondecode(local.definition).States.AcquireLease.Parameters.Payload.limit == 3 && jsondecode(local.definition).States.AcquireLease.Parameters.Payload.semaphore == "invoice-api"
    error_message = "acquire must carry the example's semaphore and limit"
  }

  assert {
    condition     = output.disabled_lease_states == null
    error_message = "the disabled instance must have no fragments"
  }
}

run "merged_definition_callback" {
  command = apply

  variables {
    lease_wait_mode = "callback"
  }

  assert {
    condition     = jsondecode(local.definition).StartAt == "PrepareLease"
    error_message = "the workflow must start at the guard's entry"
  }

  assert {
    condition = alltrue(flatten([
      for name, state in jsondecode(local.definition).States : [
        for target in concat(
          try([state.Next], []),
          try([state.Default], []),
          try([for c in state.Choices : c.Next], []),
          try([for c in state.Catch : c.Next], []),
        ) : contains(keys(jsondecode(local.definition).States), target)
      ]
    ]))
    error_message = "a transition names a state that is not in the definition"
  }

  assert {
    condition = [
      for name, state in jsondecode(local.definition).States : name
      if contains(try([for c in state.Choices : c.Next], []), "SendInvoice") || try(state.Next, "") == "SendInvoice"
    ] == ["CheckLeaseStatus"]
    error_message = "only the guard's Choice may enter SendInvoice"
  }

  assert {
    condition = (
      !contains(keys(jsondecode(local.definition).States), "WaitForLease") &&
      jsondecode(local.definition).States.AcquireLease.Resource == "arn:aws:states:::lambda:invoke.waitForTaskToken" &&
      jsondecode(local.definition).States.AcquireLease.TimeoutSeconds == 900 &&
      jsondecode(local.definition).States.AcquireLease.Catch == [{ ErrorEquals = ["States.Timeout"], Next = "LeaseWaitTimeout" }]
    )
    error_message = "the callback guard must wait in AcquireLease for up to 900 seconds, with no Wait state"
  }

  assert {
    condition     = module.lease_manager.callback_sweep_rule_arn != null && module.lease_manager_disabled.callback_sweep_rule_arn == null
    error_message = "callback mode must schedule the sweep"
  }
}
