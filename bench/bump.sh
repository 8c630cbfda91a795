#!/usr/bin/env bash
# Times `winbake bump --dry-run` against `grep -rIcE 'ami-[0-9a-f]{8,17}'`
# over the same generated monorepo, in the same run, runs interleaved:
# 20,000 Terraform/YAML/JSON files of ~10 KB (about 217 MB), one in 50
# holding an AMI ID, two thirds of those of other lineages. Prints each
# side's best, median and worst wall time and CPU time (user + system,
# steadier than wall time on a busy machine), the ratio of the medians,
# and winbake's peak RSS. Then times a large single-line CloudFormation
# JSON (MB/s and peak RSS beside the file's size).
# Usage: bash bench/bump.sh [files] [runs] [json-MB]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000}
runs=${2:-5}
json_mb=${3:-30}
work=$(mktemp -d)
trap 'kill "${fake_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/winbake" ./cmd/winbake
go build -o "$work/fakeaws" ./internal/testing/awsfake/fakeaws
go run ./bench/genrepo -dir "$work/repo" -files "$files"
go run ./bench/genrepo -dir "$work/big" -minified "$json_mb"
bytes=$(find "$work/repo" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
with=$(grep -rlE 'ami-[0-9a-f]{8,17}' "$work/repo" | wc -l)
echo "repository: $(find "$work/repo" -type f | wc -l) files, $((bytes / 1000000)) MB, $with with an AMI ID"

cat >"$work/seed.json" <<'JSON'
{"images": [
  {"region": "us-east-1", "id": "ami-0e0e0e0e0e0e0e0e1", "name": "Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15", "owner": "801119661308", "ownerAlias": "amazon"},
  {"region": "us-east-1", "id": "ami-0a1a1a1a1a1a1a1a1", "name": "amazon-eks-node-al2023-x86_64-standard-1.31-v20261015", "owner": "602401143452", "ownerAlias": "amazon"},
  {"region": "us-east-1", "id": "ami-0f0f0f0f0f0f0f0f0", "name": "winbake-win-1.31-2026-11-12T10-00-00Z", "owner": "123456789012", "tags": {"winbake:image": "win", "winbake:kubernetes": "1.31", "winbake:windows": "2022-core"}}
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
AWS_ENDPOINT_URL=$(head -1 "$work/fake.url")
export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

bump=("$work/winbake" bump -c "$work/winbake.yaml" --image win --ami us-east-1=ami-0f0f0f0f0f0f0f0f0 --dry-run --repo)
grep -rIcE 'ami-[0-9a-f]{8,17}' "$work/repo" >/dev/null # warm the page cache
"${bump[@]}" "$work/repo" >/dev/null
for _ in $(seq "$runs"); do
	/usr/bin/time -f '%e %U %S %M' -a -o "$work/grep.t" grep -rIcE 'ami-[0-9a-f]{8,17}' "$work/repo" >/dev/null
	/usr/bin/time -f '%e %U %S %M' -a -o "$work/wb.t" "${bump[@]}" "$work/repo" >"$work/out.txt"
done

# stats FILE: "best median worst" of wall time, then of CPU time.
stats() {
	awk '{print $1}' "$1" | sort -n | awk '{a[NR] = $1} END {printf "%.2f %.2f %.2f", a[1], a[int((NR + 1) / 2)], a[NR]}'
	echo -n " "
	awk '{print $2 + $3}' "$1" | sort -n | awk '{a[NR] = $1} END {printf "%.2f %.2f %.2f\n", a[1], a[int((NR + 1) / 2)], a[NR]}'
}
read -r gw1 gw2 gw3 gc1 gc2 gc3 <<<"$(stats "$work/grep.t")"
read -r ww1 ww2 ww3 wc1 wc2 wc3 <<<"$(stats "$work/wb.t")"
rss=$(awk '{print $4}' "$work/wb.t" | sort -n | tail -1)
echo "$(head -1 "$work/out.txt"), $(grep -c . "$work/out.txt") lines of dry run"
printf '%-28s wall %s / %s / %s s   cpu %s / %s / %s s   (best / median / worst of %d)\n' \
	"winbake bump --dry-run" "$ww1" "$ww2" "$ww3" "$wc1" "$wc2" "$wc3" "$runs" "grep -rIcE (baseline)" "$gw1" "$gw2" "$gw3" "$gc1" "$gc2" "$gc3" "$runs"
awk -v a="$ww2" -v b="$gw2" -v c="$wc2" -v d="$gc2" -v lo="$ww1" -v hi="$ww3" -v glo="$gw1" -v ghi="$gw3" 'BEGIN {
	printf "ratio of medians: %.2fx grep wall (spread %.2f-%.2fx), %.2fx grep cpu; goal: within 2x\n", a / b, lo / ghi, hi / glo, c / d }'
echo "winbake peak RSS: $((rss / 1024)) MB"

json=$(stat -c %s "$work/big/stacks.json")
for _ in 1 2 3; do
	/usr/bin/time -f '%e %U %S %M' -a -o "$work/big.t" "${bump[@]}" "$work/big" >"$work/big.txt"
done
read -r bw1 bw2 bw3 _ bc2 _ <<<"$(stats "$work/big.t")"
brss=$(awk '{print $4}' "$work/big.t" | sort -n | tail -1)
awk -v mb="$json" -v w1="$bw1" -v w2="$bw2" -v w3="$bw3" -v c2="$bc2" -v rss="$brss" 'BEGIN {
	printf "single-line JSON of %.0f MB: %.0f / %.0f / %.0f MB/s wall (best / median / worst of 3), %.0f MB/s per CPU second (median); peak RSS %d MB = %.1fx the file; goal: >= 50 MB/s\n",
		mb / 1e6, mb / 1e6 / w1, mb / 1e6 / w2, mb / 1e6 / w3, mb / 1e6 / c2, rss / 1024, rss * 1024 / mb }'
echo "  $(head -1 "$work/big.txt"), $(grep -c . "$work/big.txt") lines of dry run"
