#!/usr/bin/env bash
# Runs winbake as a GitHub Action. A released action (its tree has
# release/version, written by scripts/release.sh) downloads the archive for
# the runner's OS and architecture, checks it against release/checksums.txt
# of this tree, and keeps it in the runner's tool cache; every use checks the
# cached binaries against release/binaries.txt before running them, on a
# private copy that is what runs (the tool cache is shared). A branch
# or SHA without release/version builds winbake from this source with the
# runner's Go. Then, for builder packer, installs the Packer plugin from the
# same place, and runs `winbake action`.
set -euo pipefail

action_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$action_dir"

fail() { # fail MESSAGE: an error annotation on the step, and stop
	# A workflow command's message escapes %, CR and LF (actions/toolkit,
	# command.ts escapeData); unescaped, a newline ends the annotation and
	# whatever follows it is read as another command.
	local m=${1//'%'/%25} cr=$'\r' lf=$'\n'
	m=${m//$cr/%0D}
	echo "::error title=winbake::${m//$lf/%0A}"
	exit 1
}
if command -v sha256sum >/dev/null 2>&1; then sha=(sha256sum); else sha=(shasum -a 256); fi # macOS has shasum, not sha256sum
# sum FILE: its sha256. Read from stdin: coreutils escapes names holding a
# backslash (Windows paths), which would shift the output.
sum() { "${sha[@]}" <"$1" | cut -c1-64; }
# pinned LIST NAME: the sha256 that the tree's LIST gives for NAME.
pinned() { awk -v n="$2" '$2 == n { print $1; exit }' "release/$1"; }

# The runner's platform in Go's names. RUNNER_OS is Linux, Windows or macOS and
# RUNNER_ARCH is X86, X64, ARM or ARM64 (GitHub docs, "Variables reference");
# uname covers a run outside a runner. Git Bash on Windows says MINGW64_NT-....
platform=${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}
case "${platform%/*}" in
Linux) os=linux ;;
macOS | Darwin) os=darwin ;;
Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
*) os=unknown ;;
esac
case "${platform#*/}" in
X64 | x86_64 | amd64) arch=amd64 ;;
ARM64 | aarch64 | arm64) arch=arm64 ;;
*) arch=unknown ;;
esac
exe='' ext=tar.gz
[ "$os" = windows ] && exe=.exe ext=zip

# Outside a runner, the user's own cache: in a shared /tmp another user could
# leave a binary at the source build's predictable path, and it would run.
tool_cache=${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/winbake-action}
# What runs is a copy in a directory of this run's own, checked there: a job
# that replaces the cached file after the check cannot change what runs. The
# runner empties RUNNER_TEMP after each job.
run_temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
# RUNNER_TOOL_CACHE and RUNNER_TEMP are Windows paths on Windows runners
# (C:\hostedtoolcache\windows); Git for Windows ships cygpath to turn them into
# ones its tools all accept.
if [ "$os" = windows ] && command -v cygpath >/dev/null 2>&1; then
	tool_cache=$(cygpath -u "$tool_cache")
	run_temp=$(cygpath -u "$run_temp")
fi

# verify FILE NAME: copies FILE into run_dir, sets copy to the copy's path,
# and refuses it unless the copy is the binary release/binaries.txt pins as NAME.
verify() {
	local want got
	[ -n "${run_dir:-}" ] || run_dir=$(mktemp -d "$run_temp/winbake.XXXXXX")
	copy=$run_dir/${1##*/}
	cp "$1" "$copy" || fail "copying $1 failed; remove $cache to download the release again."
	want=$(pinned binaries.txt "$2")
	got=$(sum "$copy")
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		fail "$1 is not the $2 of winbake $version: its sha256 is $got, release/binaries.txt of the action pins ${want:-nothing}. Refusing to run it; remove $cache to download the release again."
	fi
}

# install_release: downloads, checks and unpacks the archive into $cache.
install_release() {
	local url=${WINBAKE_RELEASE_BASE_URL:-https://github.com/winbake/winbake/releases/download}/$version/$asset
	local want got
	want=$(pinned checksums.txt "$asset")
	[ -n "$want" ] || fail "winbake $version has no release for $os/$arch ($platform): release/checksums.txt of the action lists no $asset"
	command -v curl >/dev/null 2>&1 || fail "curl is needed to download winbake $version"
	echo "::group::Downloading winbake $version ($asset)"
	mkdir -p "$(dirname "$cache")"
	tmp=$(mktemp -d "$cache.download.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# A stalled transfer (under 1 KiB/s for 10 s) is a timeout, which --retry
	# retries (curl(1)); without it a stall holds the step until the job's timeout.
	curl --fail --silent --show-error --location --retry 3 --connect-timeout 30 --speed-limit 1024 --speed-time 10 \
		--output "$tmp/$asset" "$url" || fail "downloading $url failed"
	got=$(sum "$tmp/$asset")
	[ "$got" = "$want" ] || fail "$asset from $url has sha256 $got, but release/checksums.txt of the action pins $want. Refusing to run it."
	mkdir "$tmp/unpacked"
	if [ "$ext" = zip ]; then
		# Git for Windows ships unzip (/usr/bin/unzip.exe, git-for-windows/git#775);
		# else Windows' own bsdtar (System32\tar.exe) reads zip, Git Bash's GNU tar does not.
		if command -v unzip >/dev/null 2>&1; then
			unzip -q "$tmp/$asset" -d "$tmp/unpacked"
		else
			(cd "$tmp/unpacked" && "${SYSTEMROOT:-C:\\Windows}/System32/tar.exe" -xf "../$asset")
		fi
	else
		tar -xzf "$tmp/$asset" -C "$tmp/unpacked"
	fi
	rm -rf "$cache"
	mv "$tmp/unpacked" "$cache"
	rm -rf "$tmp"
	trap - EXIT
	echo "::endgroup::"
}

# build OUTPUT PACKAGE: builds from this source with the runner's Go.
build() {
	local go_version
	go_version=$(awk '$1 == "go" { print $2; exit }' go.mod)
	# setup-go's go-version-file reads the caller's repository, not the action's.
	local need="Go $go_version or newer is needed to build winbake from source (ref ${GITHUB_ACTION_REF:-of the action} has no release): add actions/setup-go with go-version: \"$go_version\" before this step, or use a released version of the action (winbake/winbake@v1)"
	command -v go >/dev/null 2>&1 || fail "$need"
	mkdir -p "$cache"
	CGO_ENABLED=0 go build -trimpath -ldflags "-X github.com/winbake/winbake/internal/version.Version=src-$key" -o "$1.tmp$exe" "$2" ||
		fail "building $2 failed with $(go env GOVERSION 2>/dev/null || echo "this Go"). $need"
	mv "$1.tmp$exe" "$1"
}

if [ -f release/version ]; then
	version=$(cat release/version)
	asset=winbake_${version#v}_${os}_${arch}.$ext
	cache=$tool_cache/winbake/${version#v}/$os-$arch
	[ -f "$cache/winbake$exe" ] || install_release
	verify "$cache/winbake$exe" "${asset%."$ext"}/winbake$exe"
	winbake=$copy
else
	# The key covers every file a build can read or embed (scripts, the
	# default config), so a cached binary is always the one this source builds.
	key=$(find go.mod go.sum cmd components internal packer -type f -print0 | LC_ALL=C sort -z | xargs -0 "${sha[@]}" | "${sha[@]}" | cut -c1-16)
	cache=$tool_cache/winbake/src-$key/$os-$arch
	if [ ! -x "$cache/winbake$exe" ]; then
		echo "::group::Building winbake from source ($key)"
		build "$cache/winbake$exe" ./cmd/winbake
		echo "::endgroup::"
	fi
	winbake=$cache/winbake$exe
fi

workspace=${GITHUB_WORKSPACE:-$PWD}
config=${INPUT_CONFIG:-.github/winbake.yaml}
# Another step's output is absolute: /... or, on Windows, C:\... (which Git Bash reads).
case $config in /* | [A-Za-z]:[\\/]*) ;; *) config=$workspace/$config ;; esac
# builder: packer, "packer" or 'packer' (one YAML value), maybe with a comment.
if [ "${INPUT_BUILDER:-}" = packer ] || { [ -z "${INPUT_BUILDER:-}" ] && [ -f "$config" ] &&
	grep -Eq "^builder:[[:space:]]*[\"']?packer[\"']?([[:space:]]|#|\$)" "$config"; }; then
	command -v packer >/dev/null 2>&1 || fail "builder packer needs Packer on the runner: add hashicorp/setup-packer before this step"
	plugin=$cache/packer-plugin-winbake$exe
	if [ -n "${version:-}" ]; then
		verify "$plugin" "${asset%."$ext"}/packer-plugin-winbake$exe"
		plugin=$copy
	elif [ ! -x "$plugin" ]; then
		build "$plugin" ./cmd/packer-plugin-winbake
	fi
	out=$(packer plugins install --path "$plugin" github.com/winbake/winbake 2>&1) || { echo "$out"; fail "packer plugins install --path $plugin failed"; }
fi

cd "$workspace"
exec "$winbake" action
