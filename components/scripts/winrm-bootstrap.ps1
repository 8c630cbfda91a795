<#
.SYNOPSIS
EC2 user data for a Packer build instance: WinRM over HTTPS only.

.DESCRIPTION
Creates a self-signed certificate, an HTTPS listener on 5986 and a firewall
rule for it, and removes the plain-HTTP listener, so Packer's credentials
never cross the network unencrypted. The template wraps this file in
<powershell> tags.
#>
$ErrorActionPreference = 'Stop'

Enable-PSRemoting -SkipNetworkProfileCheck -Force
$cert = New-SelfSignedCertificate -CertStoreLocation 'Cert:\LocalMachine\My' -DnsName $env:COMPUTERNAME
Get-ChildItem -Path 'WSMan:\localhost\Listener' |
    Where-Object { $_.Keys -contains 'Transport=HTTP' } |
    Remove-Item -Recurse -Force
New-Item -Path 'WSMan:\localhost\Listener' -Transport HTTPS -Address * -CertificateThumbPrint $cert.Thumbprint -Force | Out-Null
Set-Item -Path 'WSMan:\localhost\Service\Auth\Basic' -Value $true
Set-Item -Path 'WSMan:\localhost\MaxTimeoutms' -Value 7200000
New-NetFirewallRule -DisplayName 'WinRM HTTPS (winbake build)' -Direction Inbound -Protocol TCP -LocalPort 5986 -Action Allow | Out-Null
Restart-Service -Name WinRM
