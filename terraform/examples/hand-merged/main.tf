provider "aws" {
  region = var.region
}

data "aws_partition" "current" {}

locals {
  name = "asl-guard-hand-merged"
}

# The guard's states come out of the module as JSON; the workflow below
# merges them with its own states. No asl-guard binary is needed.
module "lease_manager" {
  source = "../.."

  name_prefix     = local.name
  lambda_zip_path = var.lambda_zip_path
  tags            = var.tags

  # The guarded region is the single state SendInvoice.
  sfn_post_acquire_lease_state = "SendInvoice"
  sfn_post_release_lease_state = "Done"
  sfn_semaphore_name           = "invoice-api"
  sfn_lease_limit              = 3
  sfn_max_wait_seconds         = 900

  # Callback mode needs the lease manager's side too: the grant to answer
  # task tokens and the scheduled sweep.
  sfn_wait_mode    = var.lease_wait_mode
  callback_enabled = var.lease_wait_mode == "callback"
}

# Disabled instance: creates nothing, every output is null.
module "lease_manager_disabled" {
  source = "../.."

  create          = false
  name_prefix     = "${local.name}-off"
  lambda_zip_path = var.lambda_zip_path
}

locals {
  guard = module.lease_manager.sfn_lease_state_names

  definition = jsonencode({
    Comment = "Sends an invoice; at most 3 executions call the invoice API at once."
    # Every edge into the region goes to the guard's entry, never straight to
    # SendInvoice.
    StartAt = local.guard.prepare
    States = merge(
      jsondecode(module.lease_manager.sfn_lease_states),
      {
        SendInvoice = {
          Type     = "Task"
          Resource = "arn:${data.aws_partition.current.partition}:states:::sqs:sendMessage"
          Parameters = {
            QueueUrl        = aws_sqs_queue.invoices.url
            "MessageBody.$" = "$"
          }
          ResultPath = null
          # Your own catchers first, then the guard's: any error releases the
          # lease and is raised again.
          Catch = [jsondecode(module.lease_manager.sfn_lease_error_catcher)]
          Next  = local.guard.release
        }
        Done = { Type = "Succeed" }
      },
    )
  })
}

resource "aws_sqs_queue" "invoices" {
  name                    = "${local.name}-invoices"
  sqs_managed_sse_enabled = true
  tags                    = var.tags
}

resource "aws_sfn_state_machine" "invoices" {
  #checkov:skip=CKV_AWS_284:Example kept small; turn on X-Ray tracing (and its IAM actions) in production.
  #checkov:skip=CKV_AWS_285:Example kept small; send execution history to CloudWatch Logs in production.
  name     = "${local.name}-invoices"
  role_arn = aws_iam_role.state_machine.arn
  # Callback mode (.waitForTaskToken) works in Standard workflows only.
  type       = "STANDARD"
  definition = local.definition
  tags       = var.tags
}

resource "aws_iam_role" "state_machine" {
  name = "${local.name}-invoices"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "states.amazonaws.com" }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "lease" {
  name   = "asl-guard-lease"
  role   = aws_iam_role.state_machine.id
  policy = module.lease_manager.state_machine_policy_json
}

resource "aws_iam_role_policy" "invoices" {
  name = "invoice-queue"
  role = aws_iam_role.state_machine.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "sqs:SendMessage"
      Resource = aws_sqs_queue.invoices.arn
    }]
  })
}
