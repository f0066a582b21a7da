# EventBridge rule that feeds ended executions to the reaper.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip_path = "tests/fixtures/lease-manager.zip"
}

run "reaper_all_state_machines" {
  command = plan

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.reaper[0].event_pattern) == {
      source        = ["aws.states"]
      "detail-type" = ["Step Functions Execution Status Change"]
      detail        = { status = ["ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"] }
    }
    error_message = "without a list, the rule must match every ended execution"
  }

  assert {
    condition     = aws_cloudwatch_event_target.reaper[0].rule == "asl-guard-reaper"
    error_message = "the target must hang on the reaper rule"
  }

  assert {
    condition = alltrue([
      aws_lambda_permission.reaper[0].principal == "events.amazonaws.com",
      aws_lambda_permission.reaper[0].action == "lambda:InvokeFunction",
      aws_lambda_permission.reaper[0].function_name == "asl-guard-lease-manager",
      aws_lambda_permission.reaper[0].source_account == "123456789012",
    ])
    error_message = "only EventBridge, from this account, may invoke the function"
  }
}

run "reaper_permission_scoped_to_rule" {
  command = apply

  assert {
    condition     = aws_lambda_permission.reaper[0].source_arn == aws_cloudwatch_event_rule.reaper[0].arn
    error_message = "the permission must be limited to the reaper rule"
  }
}

run "reaper_filtered" {
  command = plan

  variables {
    reaper_state_machine_arns = [
      "arn:aws:states:eu-west-1:123456789012:stateMachine:orders",
      "arn:aws:states:eu-west-1:123456789012:stateMachine:refunds",
    ]
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.reaper[0].event_pattern).detail == {
      status = ["ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"]
      stateMachineArn = [
        "arn:aws:states:eu-west-1:123456789012:stateMachine:orders",
        "arn:aws:states:eu-west-1:123456789012:stateMachine:refunds",
      ]
    }
    error_message = "with a list, the rule must match those state machines only"
  }
}

run "reaper_disabled" {
  command = plan

  variables {
    reaper_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.reaper) == 0 && length(aws_cloudwatch_event_target.reaper) == 0 && length(aws_lambda_permission.reaper) == 0
    error_message = "reaper_enabled = false must create no rule, target or permission"
  }

  assert {
    condition     = length(aws_lambda_function.this) == 1 && output.reaper_event_rule_arn == null
    error_message = "the function stays without the reaper"
  }
}
