################################################################################
# Reaper: ended executions free their leases at once, not at expiry
################################################################################

locals {
  create_reaper = var.create && var.reaper_enabled

  reaper_event_pattern = jsonencode({
    source        = ["aws.states"]
    "detail-type" = ["Step Functions Execution Status Change"]
    detail = merge(
      { status = ["ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"] },
      length(var.reaper_state_machine_arns) == 0 ? {} : { stateMachineArn = var.reaper_state_machine_arns },
    )
  })
}

resource "aws_cloudwatch_event_rule" "reaper" {
  count = local.create_reaper ? 1 : 0

  name          = "${var.name_prefix}-reaper"
  description   = "Sends ended Step Functions executions to the asl-guard lease manager, which frees their leases."
  event_pattern = local.reaper_event_pattern
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "reaper" {
  count = local.create_reaper ? 1 : 0

  rule      = aws_cloudwatch_event_rule.reaper[0].name
  target_id = "lease-manager"
  arn       = aws_lambda_function.this[0].arn

  # A lost event is not fatal (the lease expires), but retry for a while.
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 20
  }
}

resource "aws_lambda_permission" "reaper" {
  count = local.create_reaper ? 1 : 0

  statement_id   = "AllowReaperRule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[0].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.reaper[0].arn
  source_account = local.account_id
}
