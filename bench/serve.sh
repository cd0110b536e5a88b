#!/usr/bin/env bash
# `stockade serve` under load and faults (docs/serve.md; figures in bench/RESULTS.md).
#
#   bash bench/serve.sh [SOAK_SECONDS]     (default 300: the recorded figure is a full run)
#
# Release build; HTTPS on loopback with a self-signed certificate (openssl); load from `wrk`
# (Debian package: apt-get install wrk), which competes with the server for this machine's cores.
# 1. Throughput and latency (p50/p99/p99.9) at 1, 16 and 128 connections, 20 s each, reviews of
#    a restricted Deployment (allowed) and a privileged one (rejected) in turn.
# 2. Soak: SOAK_SECONDS at a fixed rate (16 connections, each pausing 20 ms between requests):
#    errors, and the server's RSS at the start and the end.
# 3. Faults (bench/serve/faults.py): malformed JSON, wrong apiVersion, 50 MB body, slowloris,
#    half-open TLS, clients leaving mid-request, 10,000 connections at once. Then, under wrk
#    load: the certificate swapped, an invalid policy swapped in, and SIGTERM.
#
# Environment (all optional):
#   SERVE_PHASES  the phases to run, of `load soak faults` (default: all three); `load` alone
#                 is the latency measurement.
#   SERVE_BIN     a stockade binary to run instead of building this tree's (to compare builds).
#   SERVE_PIN=1   the server pinned to CPU 0 and wrk to CPU 1 (taskset), so that the two do not
#                 share a core: the server then has one core, and its latency is its own.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."
SOAK=${1:-300}
command -v wrk >/dev/null || { echo "bench/serve.sh needs wrk (apt-get install wrk)" >&2; exit 2; }
PHASES=" ${SERVE_PHASES:-load soak faults} "
phase() { [[ $PHASES == *" $1 "* ]]; }
if [ -n "${SERVE_BIN:-}" ]; then
  BIN=$SERVE_BIN
else
  cargo build --release --locked -q -p stockade --bin stockade
  BIN=$PWD/target/release/stockade
fi
SERVER_PIN=() WRK_PIN=()
if [ "${SERVE_PIN:-}" = 1 ]; then
  SERVER_PIN=(taskset -c 0) WRK_PIN=(taskset -c 1)
fi
OUT=$PWD/target/bench-serve
rm -rf "$OUT" && mkdir -p "$OUT/tls"
python3 bench/serve/reviews.py "$OUT"
export SERVE_BODIES="$OUT/allowed.json,$OUT/rejected.json"

cert() { # a new self-signed certificate, swapped in as a secret volume's update is
  local v="$OUT/tls/..$1"
  mkdir -p "$v"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$v/tls.key" -out "$v/tls.crt" 2>/dev/null
  ln -sfn "$v" "$OUT/tls/..data_tmp" && mv -T "$OUT/tls/..data_tmp" "$OUT/tls/..data"
  ln -sfn "..data/tls.crt" "$OUT/tls/tls.crt"
  ln -sfn "..data/tls.key" "$OUT/tls/tls.key"
}
cert one
# The example policy: PSS restricted enforced, CIS section 5 warned.
cat >"$OUT/stockade.yaml" <<'YAML'
benchmarks: [pss-restricted@latest, cis-k8s@1.12]
admission:
  enforce: {benchmarks: [pss-restricted@latest]}
  warn: {benchmarks: [cis-k8s@1.12]}
YAML
cp "$OUT/stockade.yaml" "$OUT/good-policy.yaml"

PID=
start_server() {
  "${SERVER_PIN[@]}" "$BIN" serve --listen 127.0.0.1:0 --tls-cert "$OUT/tls/tls.crt" --tls-key "$OUT/tls/tls.key" \
    --config "$OUT/stockade.yaml" --reload-interval 1s "$@" >"$OUT/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    ADDR=$(grep -o '"address":"[^"]*"' "$OUT/serve.log" | head -1 | cut -d'"' -f4 || true)
    [ -n "$ADDR" ] && return
    sleep 0.1
  done
  echo "the server did not start" >&2; cat "$OUT/serve.log" >&2; exit 1
}
stop_server() { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" || true; }
trap 'kill "$PID" 2>/dev/null || true' EXIT
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$PID/status"; }
metric() { curl -sk "https://$ADDR/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
load() { # CONNECTIONS SECONDS [extra wrk args]
  local c=$1 d=$2; shift 2
  local t=$(( c < 2 ? 1 : 2 ))
  "${WRK_PIN[@]}" wrk -t"$t" -c"$c" -d"${d}s" --timeout 10s -s bench/serve/review.lua "$@" "https://$ADDR/validate" | tail -1
}

echo "# stockade serve bench: $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(wrk -v 2>&1 | head -1)"
echo "# binary $BIN; phases:$PHASES; $([ "${SERVE_PIN:-}" = 1 ] && echo "server pinned to CPU 0, wrk to CPU 1" || echo "not pinned")"
start_server
if phase load; then
echo "## load (20 s each; latency in ms, at wrk)"
load 16 5 >/dev/null # warm-up
for c in 1 16 128; do
  echo "connections=$c $(load "$c" 20) load=$(cut -d' ' -f1 /proc/loadavg)"
done
echo "rss_after_load: $(rss)"
fi
if ! phase soak && ! phase faults; then stop_server; exit 0; fi
if phase soak; then
echo "## soak ($SOAK s, 16 connections, 20 ms pause between requests)"
echo "rss_start: $(rss)"
echo "soak $(SERVE_DELAY_MS=20 load 16 "$SOAK")"
echo "rss_end: $(rss)"
echo "server_errors_total: $(curl -sk "https://$ADDR/metrics" | grep '^stockade_serve_errors_total' | tr '\n' ' ')"
fi
stop_server
phase faults || exit 0

echo "## faults"
start_server
python3 bench/serve/faults.py "$ADDR" "$OUT/allowed.json" 10000
echo "server_errors_total: $(curl -sk "https://$ADDR/metrics" | grep '^stockade_serve_errors_total' | tr '\n' ' ')"
echo "rss: $(rss)"

# Certificate swapped under load: every request on a new connection (a handshake each).
( sleep 5; cert two ) &
echo "certificate swapped under load: $(load 16 10 -H 'Connection: close')"
echo "  tls_reloads=$(metric stockade_tls_reloads_total) tls_reload_errors=$(metric stockade_tls_reload_errors_total) serving_cert=$(echo | openssl s_client -connect "$ADDR" 2>/dev/null | openssl x509 -noout -subject)"

# Invalid policy swapped in under load, then the good one back.
( sleep 3; printf 'admission:\n  enforce:\n    level: restricted\n' >"$OUT/bad.yaml"; mv "$OUT/bad.yaml" "$OUT/stockade.yaml"
  sleep 4; cp "$OUT/good-policy.yaml" "$OUT/good.tmp"; mv "$OUT/good.tmp" "$OUT/stockade.yaml" ) &
echo "invalid policy swapped in under load: $(load 16 10)"
echo "  policy_reloads=$(metric stockade_policy_reloads_total) policy_reload_errors=$(metric stockade_policy_reload_errors_total)"
grep -m1 '"policy refused' "$OUT/serve.log" | cut -c1-300

# SIGTERM under load: every review the server decided reached wrk.
before=$(grep -c '"msg":"admission"' "$OUT/serve.log")
( sleep 3; kill -TERM "$PID" ) &
result=$(load 16 6)
wait "$PID" && code=0 || code=$?
after=$(grep -c '"msg":"admission"' "$OUT/serve.log")
echo "SIGTERM under load: $result"
echo "  exit_code=$code decided_during_run=$((after - before)) $(grep -o '"msg":"\(listener closed; draining\|stopped\)[^}]*' "$OUT/serve.log" | tr '\n' ' ')"
