#!/usr/bin/env bash
# Installs the real peers the tests run against, when they are missing:
# a container registry, Packer with the amazon plugin, the act runner,
# actionlint, the tree-sitter PowerShell grammar, and containerd (1.7 and
# 2.1) with ctr and crictl. Everything lands in
# $WINBAKE_TOOLS (default ~/.cache/winbake/tools) and is reused across runs.
set -euo pipefail

WINBAKE_TOOLS=${WINBAKE_TOOLS:-$HOME/.cache/winbake/tools}
export WINBAKE_TOOLS
BIN=$WINBAKE_TOOLS/bin
mkdir -p "$BIN"

log() { printf 'tools: %s\n' "$*" >&2; }

# as_root CMD...: runs CMD as root; hosted GitHub runners run as a user with
# passwordless sudo, so apt-get needs it there.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# go_tool BIN MODULE@VERSION PACKAGE: builds PACKAGE from a throwaway module
# (the go-cty replace directive of Packer does not carry across modules).
go_tool() {
	local out=$1 modver=$2 pkg=$3
	[ -x "$BIN/$out" ] && return 0
	go_build "$BIN/$out" "$modver" "$pkg"
}

# versioned_tool BIN MODULE@VERSION PACKAGE: like go_tool, but keeps the
# binary under its version and links it into bin, so a version bump
# replaces an older build already there.
versioned_tool() {
	local out=$1 modver=$2 pkg=$3
	local dest=$WINBAKE_TOOLS/versions/$out-${modver#*@}
	[ -x "$dest" ] || go_build "$dest" "$modver" "$pkg"
	ln -sfn "$dest" "$BIN/$out"
}

go_build() {
	local dest=$1 modver=$2 pkg=$3
	log "building $(basename "$dest") from $modver"
	mkdir -p "$(dirname "$dest")"
	local d
	d=$(mktemp -d)
	cat >"$d/go.mod" <<MOD
module tools
go 1.26
require ${modver%@*} ${modver#*@}
replace github.com/zclconf/go-cty => github.com/nywilken/go-cty v1.13.3
MOD
	if ! (cd "$d" && GOFLAGS=-mod=mod go build -o "$dest.tmp" "$pkg"); then
		rm -rf "$d" "$dest.tmp"
		return 1
	fi
	rm -rf "$d"
	mv "$dest.tmp" "$dest"
}

registry() {
	if [ -x /usr/bin/docker-registry ]; then ln -sf /usr/bin/docker-registry "$BIN/docker-registry"; return 0; fi
	log "installing docker-registry (Debian package)"
	as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
	# The package starts a system service on :5000; the tests start their own.
	(as_root systemctl disable --now docker-registry 2>/dev/null || as_root service docker-registry stop 2>/dev/null) >/dev/null 2>&1 || true
	ln -sf /usr/bin/docker-registry "$BIN/docker-registry"
}

# Keep these versions in step with internal/bake/packer's tests (acceptance_test.go).
packer() {
	versioned_tool packer github.com/hashicorp/packer@v1.15.0 github.com/hashicorp/packer
	versioned_tool packer-plugin-amazon github.com/hashicorp/packer-plugin-amazon@v1.8.1 github.com/hashicorp/packer-plugin-amazon
}

packer_sdc() { go_tool packer-sdc github.com/hashicorp/packer-plugin-sdk@v0.6.4 github.com/hashicorp/packer-plugin-sdk/cmd/packer-sdc; }
act() { go_tool act github.com/nektos/act@v0.2.82 github.com/nektos/act; }
actionlint() { go_tool actionlint github.com/rhysd/actionlint@v1.7.12 github.com/rhysd/actionlint/cmd/actionlint; }

powershell_grammar() {
	local d=$WINBAKE_TOOLS/tree-sitter
	[ -f "$d/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ] && return 0
	log "installing the tree-sitter PowerShell grammar (npm)"
	mkdir -p "$d"
	(cd "$d" && npm install --silent --no-audit --no-fund tree-sitter-powershell@0.26.4 web-tree-sitter@0.25.10 >/dev/null)
}

sshd() {
	[ -x /usr/sbin/sshd ] && { ln -sf /usr/sbin/sshd "$BIN/sshd"; return 0; }
	log "installing openssh-server (Debian package), for the Packer acceptance test's SSH communicator"
	as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
	(as_root systemctl disable --now ssh 2>/dev/null || as_root service ssh stop 2>/dev/null) >/dev/null 2>&1 || true
	ln -sf /usr/sbin/sshd "$BIN/sshd"
}

# containerd MODULE VERSION SUFFIX: builds containerd and ctr (CGO off, no
# exotic snapshotters) into $BIN/containerd-SUFFIX and $BIN/ctr-SUFFIX.
# containerd's go.mod has exclude lines, so go install pkg@version refuses
# it; a throwaway module with go get works (and must not be tidied).
containerd_build() {
	local mod=$1 ver=$2 suffix=$3
	[ -x "$BIN/containerd-$suffix" ] && [ -x "$BIN/ctr-$suffix" ] && return 0
	log "building containerd and ctr $ver"
	local d
	d=$(mktemp -d)
	(cd "$d" && go mod init tools >/dev/null 2>&1 &&
		{ go get "$mod/cmd/containerd@$ver" "$mod/cmd/ctr@$ver" >get.log 2>&1 || { cat get.log >&2; exit 1; }; } &&
		CGO_ENABLED=0 go build -tags "no_btrfs no_devmapper no_zfs no_aufs" -o "$d/out/" "$mod/cmd/containerd" "$mod/cmd/ctr")
	mv "$d/out/containerd" "$BIN/containerd-$suffix"
	mv "$d/out/ctr" "$BIN/ctr-$suffix"
	rm -rf "$d"
}

# The containerd lines on the EKS Windows AMIs: 1.7.x, and 2.1.x with
# Windows Server 2025. The CRI tests run the cache scripts' ctr commands
# against both.
containerd17() { containerd_build github.com/containerd/containerd v1.7.28 1.7; }
containerd21() { containerd_build github.com/containerd/containerd/v2 v2.1.6 2.1; }
crictl() {
	[ -x "$BIN/crictl" ] && return 0
	log "building crictl v1.34.0"
	GOBIN=$BIN go install sigs.k8s.io/cri-tools/cmd/crictl@v1.34.0
}

# Sourced (by a test), only define the functions.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
if [ $# -eq 0 ]; then set -- registry sshd packer packer_sdc act actionlint powershell_grammar containerd17 containerd21 crictl; fi
for t in "$@"; do "$t"; done
