# Windows and Linux node groups of the prod cluster.
locals {
  windows_amis = {
    "us-east-1" = "ami-0f0f0f0f0f0f0f0f0" # stock EKS AMI, to be replaced
    "eu-west-1" = "ami-0f0f0f0f0f0f0f0f9"
  }
}

resource "aws_launch_template" "win" {
  name_prefix = "win-"
  image_id    = "ami-0f0f0f0f0f0f0f0f0"

  block_device_mappings {
    device_name = "/dev/sda1"
  }
}

resource "aws_launch_template" "linux" {
  name_prefix = "linux-"
  image_id    = "ami-0a1a1a1a1a1a1a1a1"
}

module "bastion" {
  source = "./bastion"
  ami    = "ami-12345678"
}

data "aws_ssm_parameter" "win_latest" {
  name = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id"
}
