#!/usr/bin/env bash
# Fleet scale: N synthetic nodes' facts (bench/gen_fleet.py) evaluated in one run, streamed as
# JSON lines on stdin, with the release binary. Prints wall time and peak RSS per N
# (/usr/bin/time -v) as Markdown rows for bench/RESULTS.md.
#
#   bash bench/fleet.sh                 # 500 1000 2000 5000
#   bash bench/fleet.sh 100 200         # other sizes
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500 1000 2000 5000)
cargo build --release --locked -p stockade --bin stockade >&2
bin=target/release/stockade
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| nodes | facts (MB) | results | wall (s) | peak RSS (MiB) | ms a node |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  python3 bench/gen_fleet.py "$n" --jsonl "$work/fleet.jsonl"
  mb=$(awk -v b="$(stat -c %s "$work/fleet.jsonl")" 'BEGIN{printf "%.1f", b/1048576}')
  best_wall=""; best_rss=""
  for _ in 1 2 3; do
    /usr/bin/time -v -o "$work/time" "$bin" scan --no-config --facts - -f json \
      -o "$work/report.json" < "$work/fleet.jsonl" || [ $? -eq 1 ]
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$work/time")
    rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$work/time")
    if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a<b)}'; then
      best_wall=$wall
    fi
    if [ -z "$best_rss" ] || [ "$rss" -gt "$best_rss" ]; then best_rss=$rss; fi
  done
  results=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(len(r['results']))" "$work/report.json")
  per=$(awk -v w="$best_wall" -v n="$n" 'BEGIN{printf "%.2f", 1000*w/n}')
  echo "| $n | $mb | $results | $best_wall | $best_rss | $per |"
done
