#!/usr/bin/env bash
# Installs the real peers the tests run against, when they are missing:
# a container registry, Packer with the amazon plugin, the act runner,
# actionlint, and the tree-sitter PowerShell grammar. Everything lands in
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
	log "building $out from $modver"
	local d
	d=$(mktemp -d)
	cat >"$d/go.mod" <<MOD
module tools
go 1.26
require ${modver%@*} ${modver#*@}
replace github.com/zclconf/go-cty => github.com/nywilken/go-cty v1.13.3
MOD
	(cd "$d" && GOFLAGS=-mod=mod go build -o "$BIN/$out" "$pkg")
	rm -rf "$d"
}

registry() {
	if [ -x /usr/bin/docker-registry ]; then ln -sf /usr/bin/docker-registry "$BIN/docker-registry"; return 0; fi
	log "installing docker-registry (Debian package)"
	as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
	# The package starts a system service on :5000; the tests start their own.
	(as_root systemctl disable --now docker-registry 2>/dev/null || as_root service docker-registry stop 2>/dev/null) >/dev/null 2>&1 || true
	ln -sf /usr/bin/docker-registry "$BIN/docker-registry"
}

packer() {
	go_tool packer github.com/hashicorp/packer@v1.11.2 github.com/hashicorp/packer
	go_tool packer-plugin-amazon github.com/hashicorp/packer-plugin-amazon@v1.2.1 github.com/hashicorp/packer-plugin-amazon
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

# Sourced (by a test), only define the functions.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
if [ $# -eq 0 ]; then set -- registry sshd packer packer_sdc act actionlint powershell_grammar; fi
for t in "$@"; do "$t"; done
