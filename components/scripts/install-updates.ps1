<#
.SYNOPSIS
Installs the pending Windows updates through the Windows Update Agent API.

.DESCRIPTION
The Packer path's equivalent of Amazon's update-windows component. The
Windows Update API refuses remote (WinRM) sessions, so Packer runs this
elevated, as a scheduled task (elevated_user/elevated_password). Exit code
3010 means "installed, reboot needed": Packer's windows-restart provisioner
follows, and the script runs again until nothing is left. -Enabled is a
number (1 or 0), not a [bool]: powershell -File passes every argument as a
string, which a [bool] parameter refuses.
#>
[CmdletBinding()]
param(
    [ValidateRange(0, 1)][int]$Enabled = 1
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

if ($Enabled -eq 0) {
    Write-Host 'winbake: Windows updates are off for this image'
    exit 0
}

$session = New-Object -ComObject Microsoft.Update.Session
$searcher = $session.CreateUpdateSearcher()
Write-Host 'winbake: searching for Windows updates'
$found = $searcher.Search("IsInstalled=0 and Type='Software' and IsHidden=0")
if ($found.Updates.Count -eq 0) {
    Write-Host 'winbake: no Windows updates left to install'
    exit 0
}

$updates = New-Object -ComObject Microsoft.Update.UpdateColl
foreach ($update in $found.Updates) {
    if (-not $update.EulaAccepted) { $update.AcceptEula() }
    [void]$updates.Add($update)
    Write-Host "winbake: will install $($update.Title)"
}

$downloader = $session.CreateUpdateDownloader()
$downloader.Updates = $updates
[void]$downloader.Download()

$installer = $session.CreateUpdateInstaller()
$installer.Updates = $updates
$result = $installer.Install()
Write-Host ('winbake: installed {0} updates, result code {1}' -f $updates.Count, $result.ResultCode)
if ($result.ResultCode -gt 3) {
    throw "winbake: installing Windows updates failed with result code $($result.ResultCode)"
}
if ($result.RebootRequired) {
    exit 3010
}
exit 0
