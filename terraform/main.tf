data "aws_partition" "current" {
  count = var.create ? 1 : 0
}

data "aws_region" "current" {
  count = var.create ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = var.create ? 1 : 0
}

locals {
  # Every ARN the module hands out or grants on is built here from the data
  # sources, so no partition, region or account is ever written as a literal.
  partition  = try(data.aws_partition.current[0].partition, "")
  region     = try(data.aws_region.current[0].id, "")
  account_id = try(data.aws_caller_identity.current[0].account_id, "")

  function_name  = "${var.name_prefix}-lease-manager"
  role_name      = "${var.name_prefix}-lease-manager"
  log_group_name = "/aws/lambda/${local.function_name}"
  table_name     = coalesce(var.ddb_table_name, "${var.name_prefix}-leases")

  function_arn  = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  table_arn     = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.table_name}"
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
}

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_338:Retention is the cloudwatch_logs_retention_in_days input; lease logs are operational, so the default is 30 days rather than a year.
  name              = local.log_group_name
  retention_in_days = var.cloudwatch_logs_retention_in_days
  kms_key_id        = var.cloudwatch_logs_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_116:Step Functions invokes synchronously and retries; the reaper's asynchronous events are a fast path only, lease expiry frees the slot if one is lost, so a dead-letter queue would hold nothing worth replaying.
  #checkov:skip=CKV_AWS_117:The function only calls DynamoDB and CloudWatch Logs through public AWS endpoints; a VPC would add NAT or endpoint cost without protecting any private resource.
  #checkov:skip=CKV_AWS_272:The package is built from this repository by lambda/scripts/package.sh; code signing needs a signer profile the module cannot assume exists.
  function_name = local.function_name
  description   = "asl-guard lease manager: grants, releases and reaps Step Functions concurrency leases."
  role          = aws_iam_role.lambda[0].arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = ["x86_64"]
  # Guarded so a missing package fails on the precondition below, which says
  # how to build it, rather than inside filebase64sha256.
  filename                       = var.lambda_zip_path
  source_code_hash               = fileexists(var.lambda_zip_path) ? filebase64sha256(var.lambda_zip_path) : null
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = coalesce(var.lambda_reserved_concurrent_executions, -1)
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      ASL_GUARD_TABLE_NAME              = local.table_name
      ASL_GUARD_DEFAULT_LIMIT           = tostring(var.max_concurrent_leases)
      ASL_GUARD_DEFAULT_LEASE_SECONDS   = tostring(var.max_lease_duration_seconds)
      ASL_GUARD_MAX_RETRY_AFTER_SECONDS = tostring(var.max_retry_after_seconds)
      AWS_LAMBDA_LOG_FORMAT             = "JSON"
    }
  }

  tracing_config {
    mode = var.lambda_tracing_enabled ? "Active" : "PassThrough"
  }

  tags = var.tags

  # The log group first, or Lambda makes one without retention; the role's
  # policy before the first invocation.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.lambda,
  ]

  lifecycle {
    precondition {
      condition     = fileexists(var.lambda_zip_path)
      error_message = "lambda_zip_path: no file at ${var.lambda_zip_path}; build it with `bash lambda/scripts/package.sh`, which prints the zip's path."
    }

    precondition {
      condition     = var.create_dynamodb_table || var.ddb_table_name != null
      error_message = "ddb_table_name must name the existing table when create_dynamodb_table is false."
    }

    # Settings of a created table would silently do nothing on a reused one.
    precondition {
      condition = var.create_dynamodb_table || (
        var.ddb_billing_mode == "PAY_PER_REQUEST" && var.ddb_read_capacity == null && var.ddb_write_capacity == null &&
        !var.ddb_point_in_time_recovery_enabled && !var.ddb_deletion_protection_enabled
      )
      error_message = "ddb_billing_mode, ddb_read_capacity, ddb_write_capacity, ddb_point_in_time_recovery_enabled and ddb_deletion_protection_enabled apply to a created table only; leave them unset when create_dynamodb_table is false and change the existing table where it is managed."
    }
  }
}
