terraform {
  # 1.5: check blocks and import blocks; output preconditions need 1.2.
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested offline with 5.100.0. Only attributes present in both 5.x and
      # 6.x are used (e.g. data.aws_region.id rather than .name or .region).
      version = ">= 5.0, < 7.0"
    }
  }
}
