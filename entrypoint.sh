#!/usr/bin/env bash
# Runs winbake as a GitHub Action: reuses the winbake binary already built
# for this exact version of the action's source (in the runner's tool
# cache), or builds it with the runner's Go; installs the Packer plugin from
# the same source when the builder is packer; then runs `winbake action`.
set -euo pipefail

action_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$action_dir"

# The version is a hash of the source, so a cached binary is always the
# one this source builds.
if command -v sha256sum >/dev/null 2>&1; then sha=(sha256sum); else sha=(shasum -a 256); fi # macOS has shasum
version=$(cat go.mod go.sum $(find cmd components internal packer -type f -name '*.go' -o -type f -name '*.ps1' | LC_ALL=C sort) | "${sha[@]}" | cut -c1-16)
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) exe=.exe ;; *) exe= ;; esac
cache=${RUNNER_TOOL_CACHE:-${TMPDIR:-/tmp}}/winbake/$version/$(uname -s)-$(uname -m)
bin=$cache/winbake$exe

build() { # build OUTPUT PACKAGE
	if ! command -v go >/dev/null 2>&1; then
		echo "::error title=winbake::Go is needed to build winbake: add actions/setup-go (go-version-file: the action's go.mod) before this step"
		exit 1
	fi
	mkdir -p "$cache"
	CGO_ENABLED=0 go build -trimpath -ldflags "-X github.com/winbake/winbake/internal/version.Version=src-$version" -o "$1.tmp$exe" "$2"
	mv "$1.tmp$exe" "$1"
}

if [ ! -x "$bin" ]; then
	echo "::group::Building winbake ($version)"
	build "$bin" ./cmd/winbake
	echo "::endgroup::"
fi

workspace=${GITHUB_WORKSPACE:-$PWD}
config=${INPUT_CONFIG:-.github/winbake.yaml}
case $config in /*) ;; *) config=$workspace/$config ;; esac # another step's output is absolute
if [ "${INPUT_BUILDER:-}" = packer ] || { [ -z "${INPUT_BUILDER:-}" ] && [ -f "$config" ] && grep -Eq '^builder:[[:space:]]*packer' "$config"; }; then
	if ! command -v packer >/dev/null 2>&1; then
		echo "::error title=winbake::builder packer needs Packer on the runner: add hashicorp/setup-packer before this step"
		exit 1
	fi
	plugin=$cache/packer-plugin-winbake$exe
	[ -x "$plugin" ] || build "$plugin" ./cmd/packer-plugin-winbake
	packer plugins install --path "$plugin" github.com/winbake/winbake >/dev/null
fi

cd "$workspace"
exec "$bin" action
