output "state_machine_arn" {
  description = "ARN of the guarded workflow."
  value       = aws_sfn_state_machine.orders.arn
}

output "guarded_definition" {
  description = "The workflow definition as wrapped by asl-guard."
  value       = data.external.guarded_workflow.result.definition
}

output "lease_function_arn" {
  description = "ARN of the lease manager."
  value       = module.lease_manager.lambda_function_arn
}

output "lease_table_name" {
  description = "Name of the lease table."
  value       = module.lease_manager.dynamodb_table_name
}

output "disabled_lease_function_arn" {
  description = "Always null: the disabled instance creates nothing."
  value       = module.lease_manager_disabled.lambda_function_arn
}
