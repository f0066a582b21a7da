################################################################################
# Lease manager role: its table, its log group, and (callback mode) task tokens
################################################################################

locals {
  lambda_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssumeRole"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })

  # Exactly the calls the function makes (lambda/src/store.rs): items by key
  # (hash key `pk`), written with conditional updates only, so no PutItem, and
  # never a query, a scan or another table. scripts/check_against_lambda.py
  # keeps this list equal to the calls in the source.
  lambda_table_actions = [
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
  ]

  # Callback mode: the function answers the acquire Task's token (lambda/src,
  # aws-sdk-sfn). No SendTaskHeartbeat: the acquire Task sets no
  # HeartbeatSeconds, so the function never heartbeats. Kept equal to the
  # calls in the source by scripts/check_against_lambda.py too.
  lambda_task_token_actions = [
    "states:SendTaskFailure",
    "states:SendTaskSuccess",
  ]

  lambda_policy_statements = concat(
    [
      {
        Sid      = "LeaseTable"
        Effect   = "Allow"
        Action   = local.lambda_table_actions
        Resource = local.table_arn
      },
      {
        Sid      = "OwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${local.log_group_arn}:*"
      },
    ],
    # Decrypt serves the environment and table reads, GenerateDataKey table
    # writes, both only for the one key given.
    var.kms_key_arn == null ? [] : [{
      Sid      = "LeaseKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = var.kms_key_arn
    }],
    # X-Ray has no resource-level permissions for writing traces.
    var.lambda_tracing_enabled ? [{
      Sid      = "XRayWrite"
      Effect   = "Allow"
      Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      Resource = "*"
    }] : [],
    # These two actions support no resource-level permission in IAM: a task
    # token names no state machine or execution, so "*" is the only resource
    # they accept. Only callback mode gets them.
    var.callback_enabled ? [{
      Sid      = "AnswerTaskTokens"
      Effect   = "Allow"
      Action   = local.lambda_task_token_actions
      Resource = "*"
    }] : [],
  )

  lambda_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.lambda_policy_statements
  })

  # For the role of every state machine that uses the guard: invoke this one
  # function, unqualified or by version/alias, and nothing else.
  state_machine_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeLeaseManager"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = [local.function_arn, "${local.function_arn}:*"]
    }]
  })
}

resource "aws_iam_role" "lambda" {
  count = var.create ? 1 : 0

  name                 = local.role_name
  description          = "Execution role of the asl-guard lease manager ${local.function_name}."
  assume_role_policy   = local.lambda_assume_role_policy
  permissions_boundary = var.lambda_role_permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "lambda" {
  count = var.create ? 1 : 0

  name   = "lease-manager"
  role   = aws_iam_role.lambda[0].id
  policy = local.lambda_policy
}
