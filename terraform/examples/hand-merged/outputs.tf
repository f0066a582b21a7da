output "state_machine_arn" {
  description = "ARN of the guarded workflow."
  value       = aws_sfn_state_machine.invoices.arn
}

output "definition" {
  description = "The merged definition."
  value       = local.definition
}

output "disabled_lease_states" {
  description = "Always null: the disabled instance creates nothing."
  value       = module.lease_manager_disabled.sfn_lease_states
}
