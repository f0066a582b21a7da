variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "lambda_zip_path" {
  description = "Path of the lease manager package made by `bash lambda/scripts/package.sh` (run from the repository root)."
  type        = string
}

variable "lease_wait_mode" {
  description = "How the guard waits for a slot: \"poll\" (ask again after a Wait state) or \"callback\" (one .waitForTaskToken acquire that the lease manager answers)."
  type        = string
  default     = "poll"

  validation {
    condition     = contains(["poll", "callback"], var.lease_wait_mode)
    error_message = "lease_wait_mode must be \"poll\" or \"callback\"."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { example = "asl-guard-hand-merged" }
}
