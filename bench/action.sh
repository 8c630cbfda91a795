#!/usr/bin/env bash
# Measures the action's overhead: the time from entrypoint.sh starting to
# `winbake action` running, with the binary already in the tool cache
# (goal: under 1 s) and from a cold build, beside `go run` of the same
# command. `winbake action` is given an unknown command so it stops at once
# after reading its inputs: what is timed is everything before that.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ws/.github"
printf 'images:\n  - name: win\n    kubernetes: "1.31"\n    windows: 2022-core\n    regions: [us-east-1]\n' >"$work/ws/.github/winbake.yaml"
export GITHUB_WORKSPACE=$work/ws INPUT_COMMAND=measure GITHUB_OUTPUT=$work/out GITHUB_STEP_SUMMARY=$work/summary

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# timed LABEL CMD...: runs CMD (expected to fail on the unknown command) and prints seconds.
timed() {
	local start end out
	start=$(now)
	out=$("${@:2}" 2>&1 || true)
	end=$(now)
	grep -q 'is not a winbake command' <<<"$out" || { echo "$1 did not reach winbake action:"; echo "$out"; exit 1; }
	elapsed "$start" "$end"
}

export RUNNER_TOOL_CACHE=$work/toolcache
cold_full=$(GOCACHE=$work/gocache timed cold-full bash ./entrypoint.sh)
rm -rf "$RUNNER_TOOL_CACHE"
cold=$(timed cold bash ./entrypoint.sh)
warm=()
for _ in 1 2 3 4 5; do warm+=("$(timed warm bash ./entrypoint.sh)"); done
gorun=()
for _ in 1 2 3; do gorun+=("$(timed go-run go run ./cmd/winbake action)"); done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "entrypoint.sh, binary cached:            $(median "${warm[@]}") s (median of 5; goal: under 1 s)"
echo "entrypoint.sh, cold (tool cache empty):  $cold s (Go build cache warm)"
echo "entrypoint.sh, cold (empty Go cache too): $cold_full s"
echo "go run ./cmd/winbake action (baseline):   $(median "${gorun[@]}") s (median of 3)"
