variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "lambda_zip_path" {
  description = "Path of the lease manager package made by `bash lambda/scripts/package.sh` (run from the repository root)."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { example = "asl-guard-existing-table" }
}
