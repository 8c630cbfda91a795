<#
.SYNOPSIS
Pre-pulls container images into containerd for kubelet, names and pins them.

.DESCRIPTION
Each image is pulled into the k8s.io namespace (the only one kubelet sees), by
its platform-manifest digest when one is given, then given every name a pod
may use: its tag and, when known, its index digest (what kubelet records when
it pulls by tag). Every name is labelled io.cri-containerd.pinned=pinned so
kubelet's image GC keeps the image. ECR images are pulled with a token
fetched here from the instance's own role; ctr takes it only as an argument,
so it is never written or printed. Transient failures are retried with
exponential backoff.

The images arrive as data: a JSON array of {pull, tag, index, ecrRegion}
objects, in -ImagesJson or in the file named by -ImagesFile. The list is kept
on the node in -ManifestPath, for verify-images.ps1 and for anyone asking
what a node holds. Success ends with the line "WINBAKE-CACHE-COMPLETE", which
callers check besides the exit code.

Written for Windows PowerShell 5.1: every native call runs through
Invoke-Native and is judged by its exit code, the JSON list is assigned
before it is enumerated, and -Pin is a number so that powershell -File can
bind it.
#>
[CmdletBinding()]
param(
    [string]$ImagesJson,
    [string]$ImagesFile,
    [ValidateRange(1, 20)][int]$MaxAttempts = 5,
    [ValidateRange(1, 600)][int]$InitialDelaySeconds = 15,
    [ValidateRange(0, 1)][int]$Pin = 1,
    [ValidateRange(1, 600)][int]$ReadySeconds = 120,
    [string]$ManifestPath = (Join-Path $env:ProgramData 'winbake\cached-images.json')
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Namespace = 'k8s.io'
$Ctr = Join-Path $env:ProgramFiles 'containerd\ctr.exe'

# Runs a native command and returns its exit code and output. In 5.1 a
# native command's stderr, redirected or read over WinRM, arrives as error
# records, and under 'Stop' the first one is a terminating error; here
# they are collected as text and the exit code decides. Secret is masked
# in the output, should a tool ever echo it.
function Invoke-Native {
    param([string]$FilePath, [string[]]$Arguments, [string]$Secret)
    $saved = $ErrorActionPreference
    $global:LASTEXITCODE = -1
    $ErrorActionPreference = 'Continue'
    try {
        $lines = & $FilePath @Arguments 2>&1
        $code = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $saved
    }
    $stdout = @()
    $stderr = @()
    foreach ($line in $lines) {
        if ($line -is [System.Management.Automation.ErrorRecord]) { $stderr += $line.ToString() } else { $stdout += [string]$line }
    }
    $text = (($stdout + $stderr) -join "`n").Trim()
    if ($Secret) { $text = $text.Replace($Secret, '********') }
    return [pscustomobject]@{ Ok = ($code -eq 0); ExitCode = $code; Stdout = ($stdout -join "`n"); Output = $text }
}

function Invoke-Ctr {
    param([string[]]$Arguments, [string]$Secret)
    return Invoke-Native -FilePath $Ctr -Arguments (@('-n', $Namespace) + $Arguments) -Secret $Secret
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
    if (-not (Get-Command -Name aws -ErrorAction SilentlyContinue)) {
        throw "winbake: cannot get an ECR token for region ${Region}: neither AWS Tools for PowerShell nor the AWS CLI is installed"
    }
    $result = Invoke-Native -FilePath 'aws' -Arguments @('ecr', 'get-login-password', '--region', $Region)
    $password = $result.Stdout.Trim()
    if (-not $result.Ok -or -not $password) { throw "winbake: could not get an ECR token for region $Region from the instance role (aws exited $($result.ExitCode))" }
    return $password
}

# A build instance has not run the EKS bootstrap: start containerd if it is
# stopped, then wait until it answers ctr.
function Wait-Containerd {
    $service = Get-Service -Name containerd -ErrorAction SilentlyContinue
    if (-not $service) {
        throw 'winbake: the containerd service is not installed; the EKS-optimized Windows AMIs for Kubernetes 1.24 and newer ship it'
    }
    if ($service.Status -ne 'Running') {
        # Start-Service on a disabled service says only "Cannot start service".
        if ($service.StartType -eq 'Disabled') {
            throw 'winbake: the containerd service is disabled (startup type Disabled) and cannot be started; the EKS bootstrap needs it too: set it to Automatic in the base image'
        }
        Write-Host "winbake: the containerd service is $($service.Status); starting it"
        try {
            Start-Service -Name containerd
        } catch {
            throw "winbake: the containerd service is $($service.Status) and did not start: $($_.Exception.Message)"
        }
    }
    $deadline = (Get-Date).AddSeconds($ReadySeconds)
    while ($true) {
        $result = Invoke-Ctr @('version')
        if ($result.Ok) { return }
        if ((Get-Date) -gt $deadline) {
            throw ('winbake: containerd is not answering after {0}s (service {1}): {2}' -f $ReadySeconds, (Get-Service -Name containerd).Status, $result.Output)
        }
        Start-Sleep -Seconds 2
    }
}

if (-not (Test-Path -LiteralPath $Ctr)) {
    throw "winbake: $Ctr not found; the EKS-optimized Windows AMIs for Kubernetes 1.24 and newer ship containerd"
}
if ($ImagesFile) { $ImagesJson = Get-Content -Raw -LiteralPath $ImagesFile }
if (-not $ImagesJson) { throw 'winbake: no images given; pass -ImagesJson or -ImagesFile' }
# Assigned first, enumerated after: 5.1 writes a JSON array as one object.
$images = ConvertFrom-Json -InputObject $ImagesJson
$total = @($images).Count
if ($total -eq 0) { throw 'winbake: no images to cache' }

Wait-Containerd

$passwords = @{}
$index = 0
foreach ($image in $images) {
    $index++
    $secret = ''
    $pullArgs = @('images', 'pull')
    if ($image.ecrRegion) {
        if (-not $passwords.ContainsKey($image.ecrRegion)) {
            $passwords[$image.ecrRegion] = Get-EcrPassword -Region $image.ecrRegion
        }
        # ctr reads no docker config and prompts only on a console
        # (containerd cmd/ctr/commands/resolver.go): --user is the only way.
        $secret = $passwords[$image.ecrRegion]
        $pullArgs += @('--user', ('AWS:' + $secret))
    }
    $pullArgs += $image.pull

    $delay = $InitialDelaySeconds
    $started = Get-Date
    for ($attempt = 1; ; $attempt++) {
        Write-Host ('winbake: [{0}/{1}] pulling {2} (attempt {3}/{4})' -f $index, $total, $image.pull, $attempt, $MaxAttempts)
        $result = Invoke-Ctr $pullArgs $secret
        if ($result.Ok) { break }
        $last = ($result.Output -split "`n" | Select-Object -Last 1)
        if ($attempt -ge $MaxAttempts) {
            Write-Host "WINBAKE-CACHE-FAILED $($image.tag)"
            throw ('winbake: pulling {0} failed after {1} attempts (ctr exited {2}): {3}' -f $image.tag, $MaxAttempts, $result.ExitCode, $last)
        }
        Write-Host ('winbake: pull failed ({0}); retrying in {1}s' -f $last, $delay)
        Start-Sleep -Seconds $delay
        $delay = [Math]::Min($delay * 2, 300)
    }

    # Every name a pod may use: the pulled name, the tag, the index digest.
    $names = @($image.pull, $image.tag, $image.index) | Where-Object { $_ } | Select-Object -Unique
    foreach ($name in $names) {
        if ($name -eq $image.pull) { continue }
        $result = Invoke-Ctr @('images', 'tag', '--force', $image.pull, $name)
        if (-not $result.Ok) {
            Write-Host "WINBAKE-CACHE-FAILED $($image.tag)"
            throw ('winbake: naming {0} as {1} failed: {2}' -f $image.pull, $name, $result.Output)
        }
    }
    if ($Pin -eq 1) {
        foreach ($name in $names) {
            $result = Invoke-Ctr @('images', 'label', $name, 'io.cri-containerd.pinned=pinned')
            if (-not $result.Ok) {
                Write-Host "WINBAKE-CACHE-FAILED $($image.tag)"
                throw ('winbake: pinning {0} failed: {1}' -f $name, $result.Output)
            }
        }
    }
    $seconds = [int]((Get-Date) - $started).TotalSeconds
    Write-Host ('winbake: cached {0} in {1}s' -f $image.tag, $seconds)
}

# The list exactly as given: re-serializing would cut it at ConvertTo-Json's depth.
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $ManifestPath) | Out-Null
Set-Content -LiteralPath $ManifestPath -Value $ImagesJson -Encoding UTF8
Write-Host "WINBAKE-CACHE-COMPLETE $total"
