output "team_a_function_arn" {
  description = "ARN of team A's lease manager."
  value       = module.lease_manager_team_a.lambda_function_arn
}

output "team_a_state_machine_policy_json" {
  description = "Policy for the roles of team A's state machines."
  value       = module.lease_manager_team_a.state_machine_policy_json
}

output "team_b_function_arn" {
  description = "ARN of team B's lease manager."
  value       = module.lease_manager_team_b.lambda_function_arn
}

output "lease_table_arn" {
  description = "ARN of the shared lease table, as both instances see it."
  value       = module.lease_manager_team_a.dynamodb_table_arn
}
