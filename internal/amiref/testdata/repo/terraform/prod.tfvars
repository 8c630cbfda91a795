windows_ami = "ami-0e0e0e0e0e0e0e0e1"
linux_ami   = "ami-0a1a1a1a1a1a1a1a1"
