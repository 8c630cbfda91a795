<#
.SYNOPSIS
Checks that every cached image is present, under every name, and pinned, in
containerd's k8s.io namespace. Lists everything missing and fails if
anything is.

.DESCRIPTION
Takes the same JSON data as cache-images.ps1 (-ImagesJson or -ImagesFile);
by default the list that cache-images.ps1 left on the node. Ends with
"WINBAKE-VERIFY-COMPLETE" on success. Written for Windows PowerShell 5.1,
like cache-images.ps1.
#>
[CmdletBinding()]
param(
    [string]$ImagesJson,
    [string]$ImagesFile = (Join-Path $env:ProgramData 'winbake\cached-images.json'),
    [ValidateRange(0, 1)][int]$Pin = 1
)

$ErrorActionPreference = 'Stop'
$Ctr = Join-Path $env:ProgramFiles 'containerd\ctr.exe'

if (-not $ImagesJson) {
    if (-not (Test-Path -LiteralPath $ImagesFile)) { throw "winbake: $ImagesFile not found; were the images cached on this node?" }
    $ImagesJson = Get-Content -Raw -LiteralPath $ImagesFile
}
# Assigned first, enumerated after: 5.1 writes a JSON array as one object.
$images = ConvertFrom-Json -InputObject $ImagesJson
$total = @($images).Count

# A new instance from the AMI has not run the EKS bootstrap either: start
# containerd if it is stopped and give it a minute to answer. 5.1 turns a
# native command's stderr into error records, terminating under 'Stop':
# they are collected as text around the call and the exit code decides.
$service = Get-Service -Name containerd -ErrorAction SilentlyContinue
if (-not $service) { throw 'winbake: the containerd service is not installed' }
if ($service.Status -ne 'Running') {
    if ($service.StartType -eq 'Disabled') { throw 'winbake: the containerd service is disabled (startup type Disabled); kubelet cannot run on this node' }
    Start-Service -Name containerd
}
for ($try = 1; ; $try++) {
    $ErrorActionPreference = 'Continue'
    $global:LASTEXITCODE = -1
    $listing = & $Ctr -n k8s.io images ls 2>&1 | ForEach-Object { [string]$_ }
    $code = $LASTEXITCODE
    $ErrorActionPreference = 'Stop'
    if ($code -eq 0 -or $try -ge 30) { break }
    Start-Sleep -Seconds 2
}
if ($code -ne 0) { throw "winbake: containerd is not answering (service $($service.Status) before start); ctr exited ${code}: $($listing -join ' ')" }

$missing = @()
foreach ($image in $images) {
    foreach ($name in @($image.pull, $image.tag, $image.index) | Where-Object { $_ } | Select-Object -Unique) {
        $line = $listing | Where-Object { ($_ -split '\s+')[0] -eq $name } | Select-Object -First 1
        if (-not $line) {
            $missing += "$name (not in namespace k8s.io)"
        } elseif ($Pin -eq 1 -and $line -notmatch 'io\.cri-containerd\.pinned=pinned') {
            $missing += "$name (not pinned)"
        }
    }
}

if ($missing.Count -gt 0) {
    Write-Host 'winbake: these images are missing from the node:'
    $missing | ForEach-Object { Write-Host "  $_" }
    throw "winbake: $($missing.Count) cached image(s) missing or unpinned"
}
Write-Host "winbake: all $total images are present and pinned"
Write-Host 'WINBAKE-VERIFY-COMPLETE'
