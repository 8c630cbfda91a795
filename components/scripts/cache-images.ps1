<#
.SYNOPSIS
Pre-pulls container images into containerd for kubelet, tags and pins them.

.DESCRIPTION
Each image is pulled into the k8s.io namespace (the only one kubelet sees), by
digest when one is given, then tagged with its original reference and labelled
io.cri-containerd.pinned=pinned so kubelet's image GC keeps it. ECR images are
pulled with a token fetched here from the instance's own role; the token is
passed to ctr as an argument and never written or printed. Transient failures
are retried with exponential backoff.

The images arrive as data: a JSON array of {pull, tag, ecrRegion} objects, in
-ImagesJson or in the file named by -ImagesFile. The list is kept on the node
in -ManifestPath, for verify-images.ps1 and for anyone asking what a node
holds. Success ends with the line "WINBAKE-CACHE-COMPLETE", which callers
check besides the exit code.
#>
[CmdletBinding()]
param(
    [string]$ImagesJson,
    [string]$ImagesFile,
    [ValidateRange(1, 20)][int]$MaxAttempts = 5,
    [ValidateRange(1, 600)][int]$InitialDelaySeconds = 15,
    [bool]$Pin = $true,
    [string]$ManifestPath = (Join-Path $env:ProgramData 'winbake\cached-images.json')
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Namespace = 'k8s.io'
$Ctr = Join-Path $env:ProgramFiles 'containerd\ctr.exe'

function Invoke-Ctr {
    param([string[]]$Arguments)
    $output = & $Ctr -n $Namespace @Arguments 2>&1 | Out-String
    return @{ Ok = ($LASTEXITCODE -eq 0); Output = $output.Trim() }
}

function Get-EcrPassword {
    param([string]$Region)
    # AWS Tools for PowerShell ships on the EKS-optimized Windows AMIs; the AWS
    # CLI is the fallback. Both use the instance profile's credentials.
    if (Get-Command -Name Get-ECRAuthorizationToken -ErrorAction SilentlyContinue) {
        $token = (Get-ECRAuthorizationToken -Region $Region)[0].AuthorizationToken
        $pair = [Text.Encoding]::ASCII.GetString([Convert]::FromBase64String($token))
        return $pair.Substring($pair.IndexOf(':') + 1)
    }
    $password = & aws ecr get-login-password --region $Region
    if ($LASTEXITCODE -ne 0) { throw "could not get an ECR token for region $Region from the instance role" }
    return $password
}

if (-not (Test-Path -LiteralPath $Ctr)) {
    throw "winbake: $Ctr not found; the EKS-optimized Windows AMIs for Kubernetes 1.24 and newer ship containerd"
}
if ($ImagesFile) { $ImagesJson = Get-Content -Raw -LiteralPath $ImagesFile }
$images = @(ConvertFrom-Json -InputObject $ImagesJson)
if ($images.Count -eq 0) { throw 'winbake: no images to cache' }

$passwords = @{}
$index = 0
foreach ($image in $images) {
    $index++
    $pullArgs = @('images', 'pull')
    if ($image.ecrRegion) {
        if (-not $passwords.ContainsKey($image.ecrRegion)) {
            $passwords[$image.ecrRegion] = Get-EcrPassword -Region $image.ecrRegion
        }
        $pullArgs += @('--user', ('AWS:' + $passwords[$image.ecrRegion]))
    }
    $pullArgs += $image.pull

    $delay = $InitialDelaySeconds
    $started = Get-Date
    for ($attempt = 1; ; $attempt++) {
        Write-Host ('winbake: [{0}/{1}] pulling {2} (attempt {3}/{4})' -f $index, $images.Count, $image.pull, $attempt, $MaxAttempts)
        $result = Invoke-Ctr $pullArgs
        if ($result.Ok) { break }
        $last = ($result.Output -split "`n" | Select-Object -Last 1)
        if ($attempt -ge $MaxAttempts) {
            Write-Host "WINBAKE-CACHE-FAILED $($image.tag)"
            throw ('winbake: pulling {0} failed after {1} attempts: {2}' -f $image.tag, $MaxAttempts, $last)
        }
        Write-Host ('winbake: pull failed ({0}); retrying in {1}s' -f $last, $delay)
        Start-Sleep -Seconds $delay
        $delay = [Math]::Min($delay * 2, 300)
    }

    $names = @($image.pull)
    if ($image.tag -and $image.tag -ne $image.pull) {
        $result = Invoke-Ctr @('images', 'tag', '--force', $image.pull, $image.tag)
        if (-not $result.Ok) { throw ('winbake: tagging {0} as {1} failed: {2}' -f $image.pull, $image.tag, $result.Output) }
        $names += $image.tag
    }
    if ($Pin) {
        foreach ($name in $names) {
            $result = Invoke-Ctr @('images', 'label', $name, 'io.cri-containerd.pinned=pinned')
            if (-not $result.Ok) { throw ('winbake: pinning {0} failed: {1}' -f $name, $result.Output) }
        }
    }
    $seconds = [int]((Get-Date) - $started).TotalSeconds
    Write-Host ('winbake: cached {0} in {1}s' -f $image.tag, $seconds)
}

New-Item -ItemType Directory -Force -Path (Split-Path -Parent $ManifestPath) | Out-Null
ConvertTo-Json -InputObject $images -Depth 3 | Set-Content -LiteralPath $ManifestPath -Encoding UTF8
Write-Host "WINBAKE-CACHE-COMPLETE $($images.Count)"
