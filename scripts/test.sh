#!/usr/bin/env bash
# Runs winbake's tests the way CI does: installs the real tools the tests
# talk to when they are missing (see scripts/tools.sh), checks formatting,
# vet and the workflows, then runs go test. Extra arguments go to go test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/tools.sh
export WINBAKE_TOOLS=${WINBAKE_TOOLS:-$HOME/.cache/winbake/tools}
export PATH="$WINBAKE_TOOLS/bin:$PATH"

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change these files:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
actionlint

go test -count=1 "$@" ./...
