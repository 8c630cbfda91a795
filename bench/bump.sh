#!/usr/bin/env bash
# Times `winbake bump --dry-run` over a generated monorepo of 20,000 IaC
# files (about 200 MB, a few hundred AMI references) against
# `grep -rIE 'ami-[0-9a-f]{8,17}'` over the same tree, in the same run, and
# reports winbake's peak memory. Usage: bash bench/bump.sh [files]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000}
work=$(mktemp -d)
trap 'kill "${fake_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/winbake" ./cmd/winbake
go build -o "$work/fakeaws" ./internal/testing/awsfake/fakeaws
go run ./bench/genrepo -dir "$work/repo" -files "$files"
echo "repository: $(find "$work/repo" -type f | wc -l) files, $(du -sh --apparent-size "$work/repo" | cut -f1)"

cat >"$work/seed.json" <<'JSON'
{"images": [
  {"region": "us-east-1", "id": "ami-0e0e0e0e0e0e0e0e1", "name": "Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15", "owner": "801119661308", "ownerAlias": "amazon"},
  {"region": "us-east-1", "id": "ami-0a1a1a1a1a1a1a1a1", "name": "amazon-eks-node-al2023-x86_64-standard-1.31-v20261015", "owner": "602401143452", "ownerAlias": "amazon"}
]}
JSON
cat >"$work/winbake.yaml" <<'YAML'
images:
  - name: win
    kubernetes: "1.31"
    windows: 2022-core
    regions: [us-east-1]
YAML
"$work/fakeaws" -seed "$work/seed.json" >"$work/fake.url" &
fake_pid=$!
for _ in $(seq 50); do [ -s "$work/fake.url" ] && break; sleep 0.1; done
export AWS_ENDPOINT_URL=$(head -1 "$work/fake.url") AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

grep -rIE 'ami-[0-9a-f]{8,17}' "$work/repo" >/dev/null # warm the page cache
best() { sort -n | head -1; }
for i in 1 2 3; do
	/usr/bin/time -f '%e %M' -o "$work/t.grep.$i" grep -rIE 'ami-[0-9a-f]{8,17}' "$work/repo" >/dev/null
	/usr/bin/time -f '%e %M' -o "$work/t.wb.$i" "$work/winbake" bump -c "$work/winbake.yaml" --repo "$work/repo" \
		--image win --ami us-east-1=ami-0f0f0f0f0f0f0f0f0 --dry-run >"$work/out.txt"
done
grep_s=$(cat "$work"/t.grep.* | cut -d' ' -f1 | best)
wb_s=$(cat "$work"/t.wb.* | cut -d' ' -f1 | best)
wb_kb=$(cat "$work"/t.wb.* | cut -d' ' -f2 | sort -n | tail -1)
changes=$(head -1 "$work/out.txt")
echo "winbake bump --dry-run: ${wb_s}s (best of 3), peak RSS $((wb_kb / 1024)) MB; $changes"
echo "grep -rIE baseline:     ${grep_s}s (best of 3)"
awk -v a="$wb_s" -v b="$grep_s" 'BEGIN { printf "ratio: %.2fx grep (goal: within 2x)\n", (b > 0 ? a / b : 0) }'
