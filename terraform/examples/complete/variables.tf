variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "lambda_zip_path" {
  description = "Path of the lease manager package made by `bash lambda/scripts/package.sh` (run from the repository root)."
  type        = string
}

variable "partner_api_limit" {
  description = "How many orders may be written at once, across every execution of the workflow."
  type        = number
  default     = 5

  validation {
    condition     = var.partner_api_limit >= 1 && var.partner_api_limit <= 1000 && floor(var.partner_api_limit) == var.partner_api_limit
    error_message = "partner_api_limit must be a whole number between 1 and 1000."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { example = "asl-guard-complete" }
}
