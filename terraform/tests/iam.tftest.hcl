# Exact IAM statements: the function touches its table and log group only; the
# state machine may invoke this one function and nothing else.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip_path = "tests/fixtures/lease-manager.zip"
}

run "lambda_policy_default" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.lambda[0].policy) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "LeaseTable"
          Effect   = "Allow"
          Action   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]
          Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/asl-guard-leases"
        },
        {
          Sid      = "OwnLogGroup"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/asl-guard-lease-manager:*"
        },
      ]
    }
    error_message = "the function's policy must grant its table and log group only"
  }

  assert {
    condition = jsondecode(aws_iam_role.lambda[0].assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "LambdaAssumeRole"
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = "lambda.amazonaws.com" }
      }]
    }
    error_message = "only Lambda may assume the role"
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.lambda[0].policy, "dynamodb:Query") && !strcontains(aws_iam_role_policy.lambda[0].policy, "dynamodb:Scan")
    error_message = "the function reads by key only"
  }
}

run "state_machine_policy" {
  command = plan

  assert {
    condition = jsondecode(output.state_machine_policy_json) == {
      Version = "2012-10-17"
      Statement = [{
        Sid    = "InvokeLeaseManager"
        Effect = "Allow"
        Action = "lambda:InvokeFunction"
        Resource = [
          "arn:aws:lambda:eu-west-1:123456789012:function:asl-guard-lease-manager",
          "arn:aws:lambda:eu-west-1:123456789012:function:asl-guard-lease-manager:*",
        ]
      }]
    }
    error_message = "the state machine may invoke the function, unqualified and :*, and nothing else"
  }
}

run "kms_key_grant" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.lambda[0].policy).Statement[2] == {
      Sid      = "LeaseKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
    error_message = "with a key, the function may decrypt and make data keys with it only"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.lambda[0].policy).Statement) == 3
    error_message = "a key adds exactly one statement"
  }

  assert {
    condition     = aws_lambda_function.this[0].kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "the key must encrypt the environment"
  }

  assert {
    condition     = aws_dynamodb_table.this[0].server_side_encryption[0].enabled && aws_dynamodb_table.this[0].server_side_encryption[0].kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "the key must encrypt the table"
  }
}

run "tracing_grant" {
  command = plan

  variables {
    lambda_tracing_enabled = true
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.lambda[0].policy).Statement[2] == {
      Sid      = "XRayWrite"
      Effect   = "Allow"
      Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      Resource = "*"
    }
    error_message = "tracing adds the X-Ray write actions only"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.lambda[0].policy).Statement) == 3
    error_message = "tracing adds exactly one statement"
  }
}

run "other_partition_and_region" {
  command = plan

  override_data {
    target = data.aws_partition.current[0]
    values = { partition = "aws-cn", id = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }

  override_data {
    target = data.aws_region.current[0]
    values = { id = "cn-north-1", name = "cn-north-1" }
  }

  assert {
    condition     = output.lambda_function_arn == "arn:aws-cn:lambda:cn-north-1:123456789012:function:asl-guard-lease-manager"
    error_message = "the function ARN must follow partition and region"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.lambda[0].policy).Statement[0].Resource == "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/asl-guard-leases"
    error_message = "the table grant must follow partition and region"
  }

  assert {
    condition     = jsondecode(output.state_machine_policy_json).Statement[0].Resource[1] == "arn:aws-cn:lambda:cn-north-1:123456789012:function:asl-guard-lease-manager:*"
    error_message = "the invoke grant must follow partition and region"
  }
}
