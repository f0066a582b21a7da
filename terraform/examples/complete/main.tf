provider "aws" {
  region = var.region
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name               = "asl-guard-complete"
  state_machine_name = "${local.name}-orders"

  # Built from its name, so the reaper rule can be filtered to the workflow
  # before the workflow exists.
  state_machine_arn = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:stateMachine:${local.state_machine_name}"
}

################################################################################
# Lease manager
################################################################################

module "lease_manager" {
  source = "../.."

  name_prefix                = local.name
  lambda_zip_path            = var.lambda_zip_path
  max_concurrent_leases      = var.partner_api_limit
  max_lease_duration_seconds = 300
  reaper_state_machine_arns  = [local.state_machine_arn]
  tags                       = var.tags

  # The guard below waits in callback mode: the function may answer task
  # tokens, and a scheduled sweep hands it the slots of expired leases.
  callback_enabled = true
}

# A second instance with create = false: it creates nothing and its outputs
# are null, the way to switch the guard off per environment.
module "lease_manager_disabled" {
  source = "../.."

  create          = false
  name_prefix     = "${local.name}-off"
  lambda_zip_path = var.lambda_zip_path
}

################################################################################
# The workflow, wrapped by asl-guard at plan time
################################################################################

# `asl-guard external` reads this query (every value a string) on stdin and
# answers {"definition": "<wrapped definition>", "entry": ..., "guard": ...};
# errors go to stderr and fail the plan. The asl-guard binary must be on PATH.
data "external" "guarded_workflow" {
  program = ["asl-guard", "external"]

  query = {
    definition = templatefile("${path.module}/workflow.asl.json.tftpl", {
      partition    = data.aws_partition.current.partition
      orders_table = aws_dynamodb_table.orders.name
    })
    around    = "RecordOrder"
    semaphore = "orders-table-writes"
    function  = module.lease_manager.lambda_function_arn
    limit     = tostring(var.partner_api_limit)
    max_wait  = "1800"
    # Map iterations that wait for a slot ask once and are woken, instead of
    # polling: fewer state transitions for a large batch.
    wait   = "callback"
    format = "json"
  }
}

resource "aws_sfn_state_machine" "orders" {
  #checkov:skip=CKV_AWS_284:Example kept small; turn on X-Ray tracing (and its IAM actions) in production.
  #checkov:skip=CKV_AWS_285:Example kept small; send execution history to CloudWatch Logs in production.
  name     = local.state_machine_name
  role_arn = aws_iam_role.state_machine.arn
  # Callback mode (.waitForTaskToken) works in Standard workflows only.
  type       = "STANDARD"
  definition = data.external.guarded_workflow.result.definition
  tags       = var.tags
}

resource "aws_dynamodb_table" "orders" {
  #checkov:skip=CKV_AWS_119:Example data; an AWS owned key encrypts it at rest.
  name         = "${local.name}-orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = var.tags
}

################################################################################
# State machine role: the lease policy from the module, plus its own work
################################################################################

resource "aws_iam_role" "state_machine" {
  name = "${local.name}-orders"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "states.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "lease" {
  name   = "asl-guard-lease"
  role   = aws_iam_role.state_machine.id
  policy = module.lease_manager.state_machine_policy_json
}

resource "aws_iam_role_policy" "orders" {
  name = "orders-table"
  role = aws_iam_role.state_machine.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "dynamodb:PutItem"
      Resource = aws_dynamodb_table.orders.arn
    }]
  })
}
