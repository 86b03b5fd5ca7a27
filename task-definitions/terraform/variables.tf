variable "variants" {
  description = "Task definitions to create: any of fargate_sidecar (UDP/TCP over localhost), fargate_uds (Unix sockets on a shared volume), fargate_firelens (the sidecar is also the FireLens log router), ec2_awsvpc (EC2 launch type, awsvpc)."
  type        = set(string)
  default     = ["fargate_sidecar"]

  validation {
    condition = alltrue([
      for v in var.variants : contains(["fargate_sidecar", "fargate_uds", "fargate_firelens", "ec2_awsvpc"], v)
    ])
    error_message = "Each variant must be one of fargate_sidecar, fargate_uds, fargate_firelens, ec2_awsvpc."
  }
}

variable "sidecar_image" {
  description = "sidecar-agent image URI, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/sidecar-agent:0.1.0."
  type        = string
}

variable "app_image" {
  description = "Image of the application container."
  type        = string
}

variable "api_key_secret_arn" {
  description = "ARN of the Secrets Manager secret or SSM parameter holding the Datadog API key. It reaches the sidecar through `secrets`, never `environment`; the execution role must be allowed to read it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(secretsmanager|ssm):", var.api_key_secret_arn))
    error_message = "api_key_secret_arn must be a Secrets Manager secret ARN or an SSM parameter ARN."
  }
}

variable "execution_role_arn" {
  description = "Task execution role: pulls the images, reads the API key secret, writes the sidecar's awslogs stream."
  type        = string
}

variable "env" {
  description = "Unified service tag env (DD_ENV and the com.datadoghq.tags.env label)."
  type        = string
}

variable "service" {
  description = "Unified service tag service; also the prefix of every task family."
  type        = string
}

variable "app_version" {
  description = "Unified service tag version (DD_VERSION). Named app_version because Terraform reserves `version` in module blocks."
  type        = string
}

variable "site" {
  description = "Datadog site (DD_SITE)."
  type        = string
  default     = "datadoghq.com"
}

variable "dd_tags" {
  description = "DD_TAGS of the sidecar: tags added to every metric, trace and log."
  type        = string
  default     = ""
}

variable "app_log_source" {
  description = "fargate_firelens only: dd_source of the application's logs."
  type        = string
  default     = "nodejs"
}

variable "app_log_tags" {
  description = "fargate_firelens only: dd_tags of the application's logs."
  type        = string
  default     = ""
}

variable "sidecar_log_group" {
  description = "Existing CloudWatch log group for the sidecar's own logs (awslogs driver)."
  type        = string
  default     = "/ecs/sidecar-agent"
}
