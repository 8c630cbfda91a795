#!/usr/bin/env bash
# Measures the action's start-up: the time from entrypoint.sh starting to
# `winbake action` running, for a released action (archive served over HTTP
# on loopback) with a cold tool cache (download, verify, unpack) and a warm
# one (verify), with no Go on the PATH; beside the source build of a branch
# or SHA (cold Go cache, warm Go cache, binary cached) and `go run`.
# `winbake action` is given an unknown command so it stops at once after
# reading its inputs: what is timed is everything before that.
set -euo pipefail
cd "$(dirname "$0")/.."
[ ! -e release/version ] || { echo "bench: release/version exists here; remove release/ to measure the source build" >&2; exit 1; }
work=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server"; rm -rf "$work"' EXIT
mkdir -p "$work/ws/.github"
printf 'images:\n  - name: win\n    kubernetes: "1.31"\n    windows: 2022-core\n    regions: [us-east-1]\n' >"$work/ws/.github/winbake.yaml"
export GITHUB_WORKSPACE=$work/ws INPUT_COMMAND=measure GITHUB_OUTPUT=$work/out GITHUB_STEP_SUMMARY=$work/summary

# timed LABEL CMD...: runs CMD (expected to fail on the unknown command) and
# prints its wall and CPU (user + system, children included) seconds: on a
# busy machine the CPU time is the steadier figure.
timed() {
	local t TIMEFORMAT='%R %U %S'
	t=$({ time "${@:2}" >"$work/timed.out" 2>&1 || true; } 2>&1)
	grep -q 'is not a winbake command' "$work/timed.out" || { echo "$1 did not reach winbake action:" >&2; cat "$work/timed.out" >&2; exit 1; }
	awk '{ printf "%s %.3f", $1, $2 + $3 }' <<<"$t"
}
# median N "WALL CPU"...: the median of field N (1 wall, 2 CPU).
median() { local n=$1; shift; printf '%s\n' "$@" | awk -v n="$n" '{ print $n }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# figure "WALL CPU"...: "wall s (CPU s)", medians.
figure() { printf '%6.3f s wall (%.3f s CPU)' "$(median 1 "$@")" "$(median 2 "$@")"; }

# A released action: a copy of the tree with release/, its archive served.
echo "building the host's release archive..." >&2
version=v0.0.0-bench
mkdir -p "$work/action"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$work/action"
WINBAKE_RELEASE_TARGETS="$(go env GOOS)/$(go env GOARCH)" bash "$work/action/scripts/release.sh" "$version" 2>/dev/null
mkdir -p "$work/srv"
mv "$work/action/dist" "$work/srv/$version"
asset=$(cd "$work/srv/$version" && ls)
go build -o "$work/serve" ./bench/serve
"$work/serve" "$work/srv" >"$work/url" &
server=$!
until [ -s "$work/url" ]; do sleep 0.1; done
export WINBAKE_RELEASE_BASE_URL
WINBAKE_RELEASE_BASE_URL=$(cat "$work/url")
nogo=$(tr : '\n' <<<"$PATH" | while IFS= read -r d; do [ -x "$d/go" ] || printf '%s:' "$d"; done)

# The source build, as a branch or SHA runs it, from an empty Go cache once.
echo "building from source with an empty Go cache..." >&2
export RUNNER_TOOL_CACHE=$work/toolcache RUNNER_TEMP=$work/runner-temp # a release runs a checked copy in RUNNER_TEMP
mkdir -p "$RUNNER_TEMP"
cold_full=$(GOCACHE=$work/gocache timed cold-full bash ./entrypoint.sh)

# Then rounds that take each figure in turn, so a busy machine weighs on all alike.
echo "measuring..." >&2
release_cold=() release_warm=() cold=() warm=() gorun=()
for _ in 1 2 3 4 5; do
	rm -rf "$work/rel-cache" "$RUNNER_TOOL_CACHE"
	release_cold+=("$(PATH=$nogo RUNNER_TOOL_CACHE=$work/rel-cache timed release-cold bash "$work/action/entrypoint.sh")")
	release_warm+=("$(PATH=$nogo RUNNER_TOOL_CACHE=$work/rel-cache timed release-warm bash "$work/action/entrypoint.sh")")
	cold+=("$(timed cold bash ./entrypoint.sh)")
	warm+=("$(timed warm bash ./entrypoint.sh)")
	gorun+=("$(timed go-run go run ./cmd/winbake action)")
done

echo "release $asset ($(wc -c <"$work/srv/$version/$asset" | tr -d ' ') bytes), no Go on PATH; medians of 5:"
echo "  cold tool cache (download over loopback, verify, unpack): $(figure "${release_cold[@]}")"
echo "  warm tool cache (verify the cached binary):               $(figure "${release_warm[@]}")"
echo "source build (a branch or SHA), baselines:"
echo "  empty Go cache and tool cache (once):                     $(figure "$cold_full")"
echo "  empty tool cache, Go cache warm:                          $(figure "${cold[@]}")"
echo "  binary cached (no verification):                          $(figure "${warm[@]}")"
echo "  go run ./cmd/winbake action:                              $(figure "${gorun[@]}")"
