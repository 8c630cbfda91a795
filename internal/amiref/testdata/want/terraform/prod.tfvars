windows_ami = "ami-0f0f0f0f0f0f0f0f0"
linux_ami   = "ami-0a1a1a1a1a1a1a1a1"
