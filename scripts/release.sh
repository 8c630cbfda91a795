#!/usr/bin/env bash
# Builds winbake's release: for each target, winbake and packer-plugin-winbake
# in one archive under dist/, winbake_<version>_<os>_<arch>.tar.gz (.zip on
# windows); then writes the pins the action checks them against into the
# tree: release/version, release/checksums.txt (sha256 of each archive) and
# release/binaries.txt (sha256 of each binary inside, for the tool cache).
#
#   bash scripts/release.sh v1.4.2
#
# The same source and Go toolchain give the same bytes: -trimpath and
# -buildvcs=false keep paths and VCS state out of the binaries, and
# scripts/archive fixes entry order, times and owners. WINBAKE_RELEASE_TARGETS
# ("linux/amd64 windows/arm64") builds fewer targets, for tests.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-}
if ! [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	echo "usage: scripts/release.sh vMAJOR.MINOR.PATCH (got \"$version\")" >&2
	exit 2
fi
# Go's defaults for what would change the binaries (cmd/go records these in
# their build info), whatever the caller exported or set with `go env -w`
# (GOENV=off), and the Go of go.mod (GOTOOLCHAIN fetches it if this is another).
export GOENV=off GOFLAGS='' GOEXPERIMENT='' GOFIPS140=off GOAMD64=v1 GOARM64=v8.0
GOTOOLCHAIN=go$(awk '$1 == "go" { print $2; exit }' go.mod)
export GOTOOLCHAIN
targets=${WINBAKE_RELEASE_TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
if command -v sha256sum >/dev/null 2>&1; then sha=(sha256sum); else sha=(shasum -a 256); fi # macOS has shasum
sum() { "${sha[@]}" <"$1" | cut -c1-64; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
GOOS='' GOARCH='' go build -o "$work/archive" ./scripts/archive # for this machine, whatever the caller exported

# The plugin reports its version to Packer, which installs only releases
# ("1.4.2") and "-dev" prereleases (packer plugins install: "Invalid version"):
# a winbake prerelease gives a "1.5.0-dev" plugin.
core=${version#v} pre=
[[ $core == *-* ]] && pre=dev core=${core%%-*}
ldflags="-X github.com/winbake/winbake/internal/version.Version=$version"
ldflags+=" -X github.com/winbake/winbake/packer/version.Version=$core -X github.com/winbake/winbake/packer/version.VersionPrerelease=$pre"

rm -rf dist
mkdir -p dist release
: >"$work/checksums.txt"
: >"$work/binaries.txt"
for target in $targets; do
	os=${target%/*} arch=${target#*/}
	exe='' ext=tar.gz
	[ "$os" = windows ] && exe=.exe ext=zip
	name=winbake_${version#v}_${os}_${arch}
	echo "building $name.$ext" >&2
	mkdir -p "$work/$name"
	for cmd in winbake packer-plugin-winbake; do
		GOOS=$os GOARCH=$arch CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w $ldflags" \
			-o "$work/$name/$cmd$exe" "./cmd/$cmd"
		printf '%s  %s\n' "$(sum "$work/$name/$cmd$exe")" "$name/$cmd$exe" >>"$work/binaries.txt"
	done
	"$work/archive" "dist/$name.$ext" "$work/$name/winbake$exe" "$work/$name/packer-plugin-winbake$exe"
	printf '%s  %s\n' "$(sum "dist/$name.$ext")" "$name.$ext" >>"$work/checksums.txt"
done

LC_ALL=C sort -k2 "$work/checksums.txt" >release/checksums.txt
LC_ALL=C sort -k2 "$work/binaries.txt" >release/binaries.txt
printf '%s\n' "$version" >release/version
echo "dist/: $(wc -l <release/checksums.txt | tr -d ' ') archives; release/: version, checksums.txt, binaries.txt" >&2
