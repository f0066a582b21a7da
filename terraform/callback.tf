################################################################################
# Callback mode: the scheduled sweep
#
# A release, a reaped execution or an expiry frees units; the first two hand
# them to waiters at once, but nothing calls the function when a lease simply
# expires. The sweep does: it grants the slots of expired leases to the
# waiters of every semaphore that has a queue (docs/lease-protocol.md).
# The task-token grant is in iam.tf.
################################################################################

locals {
  create_callback_sweep = var.create && var.callback_enabled
}

resource "aws_cloudwatch_event_rule" "callback_sweep" {
  count = local.create_callback_sweep ? 1 : 0

  name                = "${var.name_prefix}-callback-sweep"
  description         = "Invokes the asl-guard lease manager with the sweep action, which hands the slots of expired leases to callback waiters."
  schedule_expression = var.callback_sweep_schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "callback_sweep" {
  count = local.create_callback_sweep ? 1 : 0

  rule      = aws_cloudwatch_event_rule.callback_sweep[0].name
  target_id = "lease-manager"
  arn       = aws_lambda_function.this[0].arn
  input     = jsonencode({ action = "sweep" })

  # A sweep that is not delivered is replaced by the next one on the schedule;
  # retrying an old one for long would only pile sweeps up.
  retry_policy {
    maximum_event_age_in_seconds = 60
    maximum_retry_attempts       = 2
  }
}

resource "aws_lambda_permission" "callback_sweep" {
  count = local.create_callback_sweep ? 1 : 0

  statement_id   = "AllowCallbackSweepRule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[0].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.callback_sweep[0].arn
  source_account = local.account_id
}
