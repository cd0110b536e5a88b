#!/usr/bin/env bash
# The Kubewarden policy's size and per-request time (docs/admission.md):
# builds the policy, then calls it through the waPC host (wasmtime) as a policy server does.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."
bash scripts/build-kubewarden.sh
wasm=dist/stockade-kubewarden.wasm
echo "gzipped: $(gzip -9c "$wasm" | wc -c) bytes"
cd admission
# The host in the dev profile the tests share: the time measured is the guest's, whose code
# wasmtime compiles the same way whatever profile the host was built in.
cargo run --locked -q -p stockade-admission-harness --bin bench -- "../$wasm" "${1:-500}"
