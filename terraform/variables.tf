################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource at all. With false the module creates nothing and every output is null."
  type        = bool
  default     = true
  nullable    = false
}

variable "name_prefix" {
  description = "Prefix of every resource name: the function and its role are `<prefix>-lease-manager`, the table `<prefix>-leases`, the reaper rule `<prefix>-reaper`, the sweep rule `<prefix>-callback-sweep`."
  type        = string
  default     = "asl-guard"
  nullable    = false

  validation {
    # 40 leaves room for the longest suffix within the 64-character limit of
    # Lambda function, IAM role and EventBridge rule names.
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 characters of letters, digits, '-' and '_', starting with a letter or digit."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Lease manager Lambda
################################################################################

variable "lambda_zip_path" {
  description = "Path of the prebuilt deployment package of the lease manager (a zip holding the `bootstrap` binary for provided.al2023 on x86_64), as made by `lambda/scripts/package.sh`. Read at plan time for `source_code_hash`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("\\.zip$", var.lambda_zip_path))
    error_message = "lambda_zip_path must name a .zip file."
  }
}

variable "lambda_memory_size" {
  description = "Memory of the lease manager in MB. Each call is a few small DynamoDB requests; 128 is enough."
  type        = number
  default     = 128
  nullable    = false

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240 && floor(var.lambda_memory_size) == var.lambda_memory_size
    error_message = "lambda_memory_size must be a whole number between 128 and 10240."
  }
}

variable "lambda_timeout" {
  description = "Timeout of the lease manager in seconds. Kept under the 30-second TimeoutSeconds of the lease Task states, so the function gives up before the state retries it."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 29 && floor(var.lambda_timeout) == var.lambda_timeout
    error_message = "lambda_timeout must be a whole number between 1 and 29 (the lease Task states time out after 30 seconds)."
  }
}

variable "lambda_reserved_concurrent_executions" {
  description = "Concurrency reserved for the lease manager, or null to use the account's unreserved pool. Reserving some keeps acquires and releases running when other functions use up the account's concurrency; the state machine retries Lambda.TooManyRequestsException either way."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_reserved_concurrent_executions == null ? true : (var.lambda_reserved_concurrent_executions >= 1 && floor(var.lambda_reserved_concurrent_executions) == var.lambda_reserved_concurrent_executions)
    error_message = "lambda_reserved_concurrent_executions must be null or a whole number of at least 1 (0 would stop the function)."
  }
}

variable "lambda_role_permissions_boundary_arn" {
  description = "ARN of an IAM policy set as the permissions boundary of the lease manager's role, where the account requires one; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_role_permissions_boundary_arn == null ? true : can(regex("^arn:[a-z-]+:iam::([0-9]{12}|aws):policy/.+$", var.lambda_role_permissions_boundary_arn))
    error_message = "lambda_role_permissions_boundary_arn must be null or an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>)."
  }
}

variable "lambda_tracing_enabled" {
  description = "Whether to turn on active X-Ray tracing for the lease manager (and grant it the X-Ray write actions that tracing needs)."
  type        = bool
  default     = false
  nullable    = false
}

variable "max_concurrent_leases" {
  description = "Default limit of a semaphore: the weight held at once when an acquire request names no `limit` (ASL_GUARD_DEFAULT_LIMIT)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    # 5000 is the largest limit the lease manager (and the CLI) accepts.
    condition     = var.max_concurrent_leases >= 1 && var.max_concurrent_leases <= 5000 && floor(var.max_concurrent_leases) == var.max_concurrent_leases
    error_message = "max_concurrent_leases must be a whole number between 1 and 5000."
  }
}

variable "max_lease_duration_seconds" {
  description = "Lease duration when an acquire request names no `leaseSeconds` (ASL_GUARD_DEFAULT_LEASE_SECONDS): a holder that never releases, and is not reaped, stops counting after this long. Set it above the longest run of a guarded region."
  type        = number
  default     = 900
  nullable    = false

  validation {
    # One year: the longest a Standard workflow execution can run.
    condition     = var.max_lease_duration_seconds >= 1 && var.max_lease_duration_seconds <= 31536000 && floor(var.max_lease_duration_seconds) == var.max_lease_duration_seconds
    error_message = "max_lease_duration_seconds must be a whole number between 1 and 31536000 (one year)."
  }
}

variable "max_retry_after_seconds" {
  description = "Cap of the `retryAfterSeconds` the lease manager answers with while a holder waits (ASL_GUARD_MAX_RETRY_AFTER_SECONDS). The wait backs off up to this; a larger cap costs fewer history events per waiting minute, a smaller one lets waiters notice a free slot sooner."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.max_retry_after_seconds >= 1 && var.max_retry_after_seconds <= 3600 && floor(var.max_retry_after_seconds) == var.max_retry_after_seconds
    error_message = "max_retry_after_seconds must be a whole number between 1 and 3600."
  }
}

################################################################################
# Logs and encryption
################################################################################

variable "cloudwatch_logs_retention_in_days" {
  description = "Days to keep the lease manager's logs; 0 keeps them forever."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudwatch_logs_retention_in_days)
    error_message = "cloudwatch_logs_retention_in_days must be 0 or one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "cloudwatch_logs_kms_key_arn" {
  description = "ARN of a KMS key that encrypts the log group, or null for CloudWatch Logs' own encryption. The key policy must let the CloudWatch Logs service of this region use the key."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_logs_kms_key_arn == null ? true : can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.cloudwatch_logs_kms_key_arn))
    error_message = "cloudwatch_logs_kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key that encrypts the function's environment and the lease table (when the module creates it), or null for AWS owned keys. When set, the function may use the key for decrypt and data-key generation, which a reused table encrypted with it also needs."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>); aliases are not accepted."
  }
}

################################################################################
# DynamoDB table
################################################################################

variable "create_dynamodb_table" {
  description = "Whether to create the lease table. With false, ddb_table_name must name an existing table in the same account and region, with a string hash key `pk` and TTL on `ttl`."
  type        = bool
  default     = true
  nullable    = false
}

variable "ddb_table_name" {
  description = "Name of the lease table. Required when create_dynamodb_table is false; when creating, null means `<name_prefix>-leases`."
  type        = string
  default     = null

  validation {
    condition     = var.ddb_table_name == null ? true : can(regex("^[A-Za-z0-9_.-]{3,255}$", var.ddb_table_name))
    error_message = "ddb_table_name must be null or 3-255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "ddb_billing_mode" {
  description = "Billing mode of a created table: PAY_PER_REQUEST or PROVISIONED (then set ddb_read_capacity and ddb_write_capacity)."
  type        = string
  default     = "PAY_PER_REQUEST"
  nullable    = false

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.ddb_billing_mode)
    error_message = "ddb_billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "ddb_read_capacity" {
  description = "Read capacity units of a created PROVISIONED table; must be null with PAY_PER_REQUEST."
  type        = number
  default     = null

  validation {
    condition     = var.ddb_read_capacity == null ? true : (var.ddb_read_capacity >= 1 && floor(var.ddb_read_capacity) == var.ddb_read_capacity)
    error_message = "ddb_read_capacity must be null or a whole number of at least 1."
  }
}

variable "ddb_write_capacity" {
  description = "Write capacity units of a created PROVISIONED table; must be null with PAY_PER_REQUEST."
  type        = number
  default     = null

  validation {
    condition     = var.ddb_write_capacity == null ? true : (var.ddb_write_capacity >= 1 && floor(var.ddb_write_capacity) == var.ddb_write_capacity)
    error_message = "ddb_write_capacity must be null or a whole number of at least 1."
  }
}

variable "ddb_point_in_time_recovery_enabled" {
  description = "Whether a created table keeps point-in-time recovery backups."
  type        = bool
  default     = false
  nullable    = false
}

variable "ddb_deletion_protection_enabled" {
  description = "Whether a created table is protected from deletion (destroy then fails until this is turned off)."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Reaper
################################################################################

variable "reaper_enabled" {
  description = "Whether to create the EventBridge rule that sends Step Functions execution status changes to the lease manager, which then frees the leases of ended executions at once instead of at expiry."
  type        = bool
  default     = true
  nullable    = false
}

variable "reaper_state_machine_arns" {
  description = "ARNs of the state machines whose ended executions the reaper handles. Empty: every state machine of the account and region (the function ignores executions that hold no lease, but is invoked for each)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.reaper_state_machine_arns : can(regex("^arn:[a-z-]+:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$", arn))])
    error_message = "Every entry of reaper_state_machine_arns must be a state machine ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>)."
  }
}

################################################################################
# Callback mode
################################################################################

variable "callback_enabled" {
  description = "Whether the lease manager serves callback mode (`asl-guard wrap --wait callback`, or sfn_wait_mode = \"callback\"): grants it states:SendTaskSuccess and states:SendTaskFailure to answer the task tokens of waiting acquires, and schedules the sweep that hands the slots of expired leases to waiters."
  type        = bool
  default     = false
  nullable    = false
}

variable "callback_sweep_schedule_expression" {
  description = "EventBridge schedule of the `{\"action\": \"sweep\"}` invocation when callback_enabled is true: `rate(<n> <unit>)` or `cron(<six fields>)`. A waiter whose slot is freed by an expiry (not a release or a reaped execution) is woken at the next sweep."
  type        = string
  default     = "rate(1 minute)"
  nullable    = false

  validation {
    # EventBridge wants the singular unit for 1 and the plural otherwise, and
    # six cron fields (minutes, hours, day of month, month, day of week, year).
    condition = (
      can(regex("^rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)$", var.callback_sweep_schedule_expression)) ||
      can(regex("^cron\\([^ ()]+( [^ ()]+){5}\\)$", var.callback_sweep_schedule_expression))
    )
    error_message = "callback_sweep_schedule_expression must be an EventBridge schedule: rate(1 minute), rate(<n> minutes|hours|days) with n of 2 or more (rate(1 hour), rate(1 day) for one), or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)."
  }
}

################################################################################
# State fragments (JSONPath), for definitions merged by hand
################################################################################

variable "sfn_post_acquire_lease_state" {
  description = "State the guard enters once the lease is granted (the guarded region's entry). The fragment outputs are null until this is set."
  type        = string
  default     = null

  validation {
    condition     = var.sfn_post_acquire_lease_state == null ? true : can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_post_acquire_lease_state))
    error_message = "sfn_post_acquire_lease_state must be null or a state name of 1-80 characters without control characters."
  }
}

variable "sfn_post_release_lease_state" {
  description = "State that follows the release (the region's exit target). Set this or end_state_after_release_lease, not both."
  type        = string
  default     = null

  validation {
    condition     = var.sfn_post_release_lease_state == null ? true : can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_post_release_lease_state))
    error_message = "sfn_post_release_lease_state must be null or a state name of 1-80 characters without control characters."
  }
}

variable "end_state_after_release_lease" {
  description = "Whether the release state ends its scope (`End: true`) instead of going to sfn_post_release_lease_state."
  type        = bool
  default     = false
  nullable    = false
}

variable "sfn_semaphore_name" {
  description = "Semaphore the fragments acquire and release; null means the name of sfn_post_acquire_lease_state, as the CLI does. Guards that share a semaphore share its limit."
  type        = string
  default     = null

  validation {
    # The lease manager accepts semaphore names of up to 128 bytes.
    condition     = var.sfn_semaphore_name == null ? true : (can(regex("^[^\\x00-\\x1f]+$", var.sfn_semaphore_name)) && length(var.sfn_semaphore_name) <= 128)
    error_message = "sfn_semaphore_name must be null or 1-128 characters without control characters."
  }
}

variable "sfn_lease_limit" {
  description = "Limit sent with each acquire (`limit`); null leaves it out, so the function's default (max_concurrent_leases) or the limit stored for the semaphore applies."
  type        = number
  default     = null

  validation {
    condition     = var.sfn_lease_limit == null ? true : (var.sfn_lease_limit >= 1 && var.sfn_lease_limit <= 5000 && floor(var.sfn_lease_limit) == var.sfn_lease_limit)
    error_message = "sfn_lease_limit must be null or a whole number between 1 and 5000."
  }
}

variable "sfn_lease_weight" {
  description = "Weight of each holder (`weight`); null leaves it out (the function counts 1)."
  type        = number
  default     = null

  validation {
    condition     = var.sfn_lease_weight == null ? true : (var.sfn_lease_weight >= 1 && var.sfn_lease_weight <= 5000 && floor(var.sfn_lease_weight) == var.sfn_lease_weight)
    error_message = "sfn_lease_weight must be null or a whole number between 1 and 5000."
  }
}

variable "sfn_lease_seconds" {
  description = "Lease duration sent with each acquire (`leaseSeconds`); null leaves it out (the function uses max_lease_duration_seconds)."
  type        = number
  default     = null

  validation {
    condition     = var.sfn_lease_seconds == null ? true : (var.sfn_lease_seconds >= 1 && var.sfn_lease_seconds <= 31536000 && floor(var.sfn_lease_seconds) == var.sfn_lease_seconds)
    error_message = "sfn_lease_seconds must be null or a whole number between 1 and 31536000."
  }
}

variable "sfn_wait_mode" {
  description = "How the fragments wait for a slot: \"poll\" (AcquireLease answers wait, WaitForLease pauses, ask again) or \"callback\" (AcquireLease is a `lambda:invoke.waitForTaskToken` Task the lease manager answers once the slot is the holder's; no WaitForLease state; needs callback_enabled and a Standard workflow). The same choice as `asl-guard wrap --wait`."
  type        = string
  default     = "poll"
  nullable    = false

  validation {
    condition     = contains(["poll", "callback"], var.sfn_wait_mode)
    error_message = "sfn_wait_mode must be \"poll\" or \"callback\"."
  }
}

variable "sfn_max_wait_seconds" {
  description = "Bound on the total time one entry waits for a lease; once reached, the guard fails with Lease.WaitTimeout. In callback mode it is also the acquire Task's TimeoutSeconds and the `waitSeconds` sent to the lease manager."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.sfn_max_wait_seconds >= 1 && var.sfn_max_wait_seconds <= 31536000 && floor(var.sfn_max_wait_seconds) == var.sfn_max_wait_seconds
    error_message = "sfn_max_wait_seconds must be a whole number between 1 and 31536000."
  }
}

variable "sfn_prepare_lease_state_name" {
  description = "Name of the Pass state that makes the holder id; the guard's entry, where every in-edge of the region must point."
  type        = string
  default     = "PrepareLease"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_prepare_lease_state_name))
    error_message = "sfn_prepare_lease_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_acquire_lease_state_name" {
  description = "Name of the Task state that asks for the lease."
  type        = string
  default     = "AcquireLease"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_acquire_lease_state_name))
    error_message = "sfn_acquire_lease_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_check_lease_state_name" {
  description = "Name of the Choice state that reads the acquire answer."
  type        = string
  default     = "CheckLeaseStatus"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_check_lease_state_name))
    error_message = "sfn_check_lease_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_wait_state_name" {
  description = "Name of the Wait state that pauses for the time the function asks before the next acquire. Unused in callback mode, which has no Wait state."
  type        = string
  default     = "WaitForLease"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_wait_state_name))
    error_message = "sfn_wait_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_wait_timeout_state_name" {
  description = "Name of the Fail state reached when waiting passes sfn_max_wait_seconds (error Lease.WaitTimeout)."
  type        = string
  default     = "LeaseWaitTimeout"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_wait_timeout_state_name))
    error_message = "sfn_wait_timeout_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_not_granted_state_name" {
  description = "Name of the Fail state reached on any answer other than acquired or wait (error Lease.NotGranted)."
  type        = string
  default     = "LeaseNotGranted"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_not_granted_state_name))
    error_message = "sfn_not_granted_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_release_lease_state_name" {
  description = "Name of the Task state that releases the lease on the region's normal exit."
  type        = string
  default     = "ReleaseLease"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_release_lease_state_name))
    error_message = "sfn_release_lease_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_release_lease_on_error_state_name" {
  description = "Name of the Task state that releases the lease after an error in the region (the target of the sfn_lease_error_catcher output)."
  type        = string
  default     = "ReleaseLeaseOnError"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_release_lease_on_error_state_name))
    error_message = "sfn_release_lease_on_error_state_name must be 1-80 characters without control characters."
  }
}

variable "sfn_rethrow_lease_error_state_name" {
  description = "Name of the Fail state that re-raises the region's original error after the release."
  type        = string
  default     = "RethrowLeaseError"
  nullable    = false

  validation {
    condition     = can(regex("^[^\\x00-\\x1f]{1,80}$", var.sfn_rethrow_lease_error_state_name))
    error_message = "sfn_rethrow_lease_error_state_name must be 1-80 characters without control characters."
  }
}
