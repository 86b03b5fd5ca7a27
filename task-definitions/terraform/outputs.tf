output "task_definition_arns" {
  description = "ARN of each created task definition, by variant."
  value = merge(
    { for td in aws_ecs_task_definition.fargate_sidecar : "fargate_sidecar" => td.arn },
    { for td in aws_ecs_task_definition.fargate_uds : "fargate_uds" => td.arn },
    { for td in aws_ecs_task_definition.fargate_firelens : "fargate_firelens" => td.arn },
    { for td in aws_ecs_task_definition.ec2_awsvpc : "ec2_awsvpc" => td.arn },
  )
}

output "families" {
  description = "Family of each created task definition, by variant."
  value = merge(
    { for td in aws_ecs_task_definition.fargate_sidecar : "fargate_sidecar" => td.family },
    { for td in aws_ecs_task_definition.fargate_uds : "fargate_uds" => td.family },
    { for td in aws_ecs_task_definition.fargate_firelens : "fargate_firelens" => td.family },
    { for td in aws_ecs_task_definition.ec2_awsvpc : "ec2_awsvpc" => td.family },
  )
}
