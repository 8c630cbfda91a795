<#
.SYNOPSIS
Checks that every cached image is present, and pinned, in containerd's k8s.io
namespace. Lists everything missing and fails if anything is.

.DESCRIPTION
Takes the same JSON data as cache-images.ps1 (-ImagesJson or -ImagesFile);
by default the list that cache-images.ps1 left on the node. Ends with
"WINBAKE-VERIFY-COMPLETE" on success.
#>
[CmdletBinding()]
param(
    [string]$ImagesJson,
    [string]$ImagesFile = (Join-Path $env:ProgramData 'winbake\cached-images.json'),
    [bool]$Pin = $true
)

$ErrorActionPreference = 'Stop'
$Ctr = Join-Path $env:ProgramFiles 'containerd\ctr.exe'

if (-not $ImagesJson) {
    if (-not (Test-Path -LiteralPath $ImagesFile)) { throw "winbake: $ImagesFile not found; were the images cached on this node?" }
    $ImagesJson = Get-Content -Raw -LiteralPath $ImagesFile
}
$images = @(ConvertFrom-Json -InputObject $ImagesJson)

$listing = & $Ctr -n k8s.io images ls 2>&1
if ($LASTEXITCODE -ne 0) { throw "winbake: listing containerd images failed: $listing" }

$missing = @()
foreach ($image in $images) {
    foreach ($name in @($image.pull, $image.tag) | Where-Object { $_ } | Select-Object -Unique) {
        $line = $listing | Where-Object { ($_ -split '\s+')[0] -eq $name } | Select-Object -First 1
        if (-not $line) {
            $missing += "$name (not in namespace k8s.io)"
        } elseif ($Pin -and $line -notmatch 'io\.cri-containerd\.pinned=pinned') {
            $missing += "$name (not pinned)"
        }
    }
}

if ($missing.Count -gt 0) {
    Write-Host 'winbake: these images are missing from the node:'
    $missing | ForEach-Object { Write-Host "  $_" }
    throw "winbake: $($missing.Count) cached image(s) missing or unpinned"
}
Write-Host "winbake: all $($images.Count) images are present and pinned"
Write-Host 'WINBAKE-VERIFY-COMPLETE'
