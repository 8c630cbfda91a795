# Bakes an EKS-optimized Windows AMI with container images pre-pulled into
# containerd: the Packer alternative to winbake's EC2 Image Builder path,
# running the same PowerShell from components/scripts.
#
# Variables come from the file `winbake render` writes:
#   packer build -var-file=out/<image>/winbake.pkrvars.json packer/eks-windows.pkr.hcl
# `winbake bake --builder packer` does that for every image and turns the
# manifest into bake.json.

packer {
  required_version = ">= 1.11.0"
  required_plugins {
    # fast_launch arrived in 1.2.2 (packer-plugin-amazon, "ebs: add support
    # for fast-launch"); tested with 1.8.1.
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.2.2"
    }
    winbake = {
      source  = "github.com/winbake/winbake"
      version = ">= 0.1.0"
    }
  }
}

variable "image_name" {
  type        = string
  description = "The winbake image name ([a-z0-9-])."
}

variable "kubernetes_version" {
  type        = string
  description = "EKS Kubernetes minor version, such as 1.31."
}

variable "windows_variant" {
  type        = string
  description = "2019-core, 2019-full, 2022-core, 2022-full, 2025-core or 2025-full."
}

variable "source_ami_parameter" {
  type        = string
  description = "Public SSM parameter of the EKS-optimized Windows AMI."
}

variable "source_ami" {
  type        = string
  default     = ""
  description = "The planned base AMI; empty reads source_ami_parameter."
}

variable "build_region" {
  type = string
}

variable "ami_regions" {
  type        = list(string)
  default     = []
  description = "Regions the AMI is copied to, besides the build region."
}

variable "volume_size" {
  type    = number
  default = 100
}

variable "instance_type" {
  type    = string
  default = "m6i.xlarge"
}

variable "subnet_id" {
  type    = string
  default = ""
}

variable "windows_updates" {
  type    = bool
  default = true
}

variable "cache_images" {
  type        = list(string)
  description = "Images to cache, pinned as repo:tag@sha256:... when planned."
}

variable "cache_index_digests" {
  type        = map(string)
  default     = {}
  description = "For each cache_images entry whose tag names a multi-platform index, that index's digest: kubelet records it when it pulls by tag, so the node gets that name too."
}

variable "fast_launch" {
  type        = bool
  default     = false
  description = "Enable EC2 Fast Launch for the AMI in every region."
}

variable "fast_launch_max_parallel_launches" {
  type        = number
  default     = 6
  description = "Instances launched in parallel to pre-provision snapshots; at least 6."
}

variable "fast_launch_target_resource_count" {
  type        = number
  default     = 10
  description = "Pre-provisioned snapshots to keep."
}

variable "manifest_path" {
  type    = string
  default = "packer-manifest.json"
}

data "amazon-parameterstore" "base_ami" {
  name   = var.source_ami_parameter
  region = var.build_region
}

locals {
  source_ami = var.source_ami != "" ? var.source_ami : data.amazon-parameterstore.base_ami.value
  # Absolute: Packer resolves a relative path in file() against the
  # template's folder and in a provisioner's script against the working
  # directory, so "${path.root}/.." alone breaks one or the other.
  scripts = "${abspath(path.root)}/../components/scripts"
  tags = {
    "winbake:image"      = var.image_name
    "winbake:kubernetes" = var.kubernetes_version
    "winbake:windows"    = var.windows_variant
    "winbake:base-ami"   = local.source_ami
    "winbake:updates"    = "${var.windows_updates}"
    "winbake:builder"    = "packer"
  }
  # Runs install-updates.ps1 with -Enabled from the variable. With
  # elevated_user set, Packer runs elevated_execute_command and ignores
  # execute_command (provisioner/powershell createCommandText), so both
  # get it.
  updates_command = "powershell -ExecutionPolicy Bypass -Command \"& { . {{.Vars}}; & '{{.Path}}' -Enabled ([bool]::Parse($env:WINBAKE_UPDATES)); exit $LASTEXITCODE }\""
}

source "amazon-ebs" "eks_windows" {
  region        = var.build_region
  ami_regions   = var.ami_regions
  source_ami    = local.source_ami
  instance_type = var.instance_type
  subnet_id     = var.subnet_id
  ami_name      = "winbake-${var.image_name}-${var.kubernetes_version}-{{timestamp}}"
  tags          = local.tags
  run_tags      = local.tags

  # WinRM over HTTPS only, set up by user data; Packer reads the
  # Administrator password with the temporary key pair.
  communicator   = "winrm"
  winrm_username = "Administrator"
  winrm_use_ssl  = true
  winrm_insecure = true
  winrm_port     = 5986
  winrm_timeout  = "20m"
  user_data      = "<powershell>\n${file("${local.scripts}/winrm-bootstrap.ps1")}\n</powershell>"

  # EC2 Fast Launch: the plugin turns it on when any option is set, so
  # everything stays zero when it is off.
  fast_launch {
    enable_fast_launch    = var.fast_launch
    max_parallel_launches = var.fast_launch ? var.fast_launch_max_parallel_launches : 0
    target_resource_count = var.fast_launch ? var.fast_launch_target_resource_count : 0
  }

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = var.volume_size
    volume_type           = "gp3"
    delete_on_termination = true
  }
}

build {
  sources = ["source.amazon-ebs.eks_windows"]

  # Windows updates: the Windows Update API refuses WinRM sessions, so the
  # script runs elevated; it exits 3010 when a reboot is needed, and runs
  # again after the restart until nothing is left.
  provisioner "powershell" {
    script            = "${local.scripts}/install-updates.ps1"
    elevated_user     = "Administrator"
    elevated_password = build.Password
    valid_exit_codes  = [0, 3010]
    environment_vars  = ["WINBAKE_UPDATES=${var.windows_updates}"]
    execute_command   = local.updates_command
    # Packer runs this one when elevated_user is set.
    elevated_execute_command = local.updates_command
  }

  provisioner "windows-restart" {
    restart_timeout = "30m"
  }

  provisioner "powershell" {
    script            = "${local.scripts}/install-updates.ps1"
    elevated_user     = "Administrator"
    elevated_password = build.Password
    valid_exit_codes  = [0, 3010]
    environment_vars  = ["WINBAKE_UPDATES=${var.windows_updates}"]
    execute_command   = local.updates_command
    # Packer runs this one when elevated_user is set.
    elevated_execute_command = local.updates_command
  }

  provisioner "windows-restart" {
    restart_timeout = "30m"
  }

  provisioner "winbake-image-cache" {
    images          = var.cache_images
    index_digests   = var.cache_index_digests
    windows_variant = var.windows_variant
  }

  # Reset and sysprep, so every node from this AMI starts fresh, and Fast
  # Launch gets the sysprepped image it needs, with the commands the amazon
  # plugin documents (docs/builders/ebs.mdx) for the launch agent the base
  # AMI has: EC2Launch v2 ("Windows 2022 Sysprep Commands"; preinstalled on
  # Amazon's Windows Server 2022 and 2025 AMIs), whose sysprep shuts the
  # instance down, or EC2Launch v1 ("Windows 2016 Sysprep Commands"; the
  # agent of Amazon's Windows Server 2016 and 2019 AMIs), after which Packer
  # stops the instance. Packer then creates the AMI.
  provisioner "powershell" {
    inline = [
      "if (Test-Path -LiteralPath 'C:/Program Files/Amazon/EC2Launch/ec2launch.exe') {",
      "  & 'C:/Program Files/Amazon/EC2Launch/ec2launch' reset --block",
      "  & 'C:/Program Files/Amazon/EC2Launch/ec2launch' sysprep --shutdown --block",
      "} elseif (Test-Path -LiteralPath 'C:/ProgramData/Amazon/EC2-Windows/Launch/Scripts/SysprepInstance.ps1') {",
      "  C:/ProgramData/Amazon/EC2-Windows/Launch/Scripts/InitializeInstance.ps1 -Schedule",
      "  C:/ProgramData/Amazon/EC2-Windows/Launch/Scripts/SysprepInstance.ps1 -NoShutdown",
      "} else {",
      "  throw 'winbake: neither EC2Launch v2 nor EC2Launch v1 is installed, so the instance cannot be sysprepped'",
      "}",
    ]
  }

  post-processor "manifest" {
    output     = var.manifest_path
    strip_path = true
    custom_data = {
      image = var.image_name
    }
  }
}
