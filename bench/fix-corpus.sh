#!/usr/bin/env bash
# The round trip of docs/fix.md: scan the shared corpus, `stockade fix --write` everything
# fixable, scan again, and print the scores and failing results before and after.
#
#   bash bench/fix-corpus.sh [CORPUS_DIR]      (default ../shared/corpus)
#
# Works on a copy (the corpus is read-only); release build.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus}
cargo build --release --locked -q -p stockade --bin stockade
BIN=$PWD/target/release/stockade
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$CORPUS" "$WORK/corpus"
B=(-b pss-restricted -b cis-k8s -b nsa-cisa -b image-hygiene)
"$BIN" scan --no-config "${B[@]}" --format json "$WORK/corpus" >"$WORK/before.json" || true
"$BIN" fix --no-config --write "${B[@]}" "$WORK/corpus" 2>"$WORK/fix.log" || true
tail -1 "$WORK/fix.log"
"$BIN" scan --no-config "${B[@]}" --format json "$WORK/corpus" >"$WORK/after.json" || true
second=0
"$BIN" fix --no-config "${B[@]}" "$WORK/corpus" >"$WORK/second.diff" 2>/dev/null || second=$?
echo "second fix: exit $second, $(wc -l <"$WORK/second.diff") diff lines"
python3 - "$WORK/before.json" "$WORK/after.json" <<'PY'
import json, sys, collections
before, after = (json.load(open(p)) for p in sys.argv[1:3])
def scores(r):
    return {s["benchmark"]: s.get("score") for s in r.get("scores", [])}
sb, sa = scores(before), scores(after)
print("| Benchmark | Score before | Score after |\n|---|---:|---:|")
for b in sb:
    fmt = lambda v: "-" if v is None else f"{v:.1f}%"
    print(f"| {b} | {fmt(sb[b])} | {fmt(sa.get(b))} |")
fail = lambda r: [x for x in r["results"] if x["status"] == "fail"]
fb, fa = fail(before), fail(after)
print(f"failing: {len(fb)} before ({sum(1 for x in fb if x.get('fix'))} with a fix), "
      f"{len(fa)} after ({sum(1 for x in fa if x.get('fix'))} with a fix)")
print(f"input errors: {len(before.get('errors', []))} before, {len(after.get('errors', []))} after")
left = collections.Counter(x["rule"] for x in fa)
print("left:", ", ".join(f"{k} {v}" for k, v in left.most_common()))
PY
