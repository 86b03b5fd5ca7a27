# One aws_ecs_task_definition per shipped variant. The container definitions are the JSON documents in
# containers/, rendered by templatefile() with plain ${name} placeholders only, so that the tests can
# render them without Terraform and compare them with task-definitions/*.json.

data "aws_region" "current" {}

locals {
  template_vars = {
    sidecar_image      = var.sidecar_image
    app_image          = var.app_image
    api_key_secret_arn = var.api_key_secret_arn
    env                = var.env
    service            = var.service
    version            = var.app_version
    site               = var.site
    dd_tags            = var.dd_tags
    log_source         = var.app_log_source
    log_tags           = var.app_log_tags
    log_group          = var.sidecar_log_group
    region             = data.aws_region.current.name
  }
}

resource "aws_ecs_task_definition" "fargate_sidecar" {
  count = contains(var.variants, "fargate_sidecar") ? 1 : 0

  family                   = "${var.service}-fargate-sidecar"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = var.execution_role_arn
  container_definitions    = templatefile("${path.module}/containers/fargate-sidecar.json.tftpl", local.template_vars)
}

resource "aws_ecs_task_definition" "fargate_uds" {
  count = contains(var.variants, "fargate_uds") ? 1 : 0

  family                   = "${var.service}-fargate-uds"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "512"
  memory                   = "1024"
  # Unix-socket origin detection reads the sender's cgroup from /proc/<pid>.
  pid_mode              = "task"
  execution_role_arn    = var.execution_role_arn
  container_definitions = templatefile("${path.module}/containers/fargate-uds.json.tftpl", local.template_vars)

  # No host path: on Fargate this is a task-scoped bind mount shared by the sidecar and the app.
  volume {
    name = "dd-sockets"
  }
}

resource "aws_ecs_task_definition" "fargate_firelens" {
  count = contains(var.variants, "fargate_firelens") ? 1 : 0

  family                   = "${var.service}-fargate-firelens"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "512"
  memory                   = "1024"
  pid_mode                 = "task"
  execution_role_arn       = var.execution_role_arn
  container_definitions    = templatefile("${path.module}/containers/fargate-firelens.json.tftpl", local.template_vars)
}

resource "aws_ecs_task_definition" "ec2_awsvpc" {
  count = contains(var.variants, "ec2_awsvpc") ? 1 : 0

  # No task-level cpu/memory: on EC2 the container reservations are what the scheduler packs.
  family                   = "${var.service}-ec2-awsvpc"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  execution_role_arn       = var.execution_role_arn
  container_definitions    = templatefile("${path.module}/containers/ec2-awsvpc.json.tftpl", local.template_vars)
}
