#!/usr/bin/env bash
# Every benchmark, one command: criterion (parse vs evaluate, 100 nodes), the npm package in
# Node.js vs the native CLI, then bench/compare.py (checkov, memory, cold start), which writes
# bench/RESULTS.md. Takes a few minutes (checkov is installed into target/bench-venv once).
set -euo pipefail
# Nothing here reads stdin: give every tool an empty one, even when started without any.
exec </dev/null
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p stockade
cargo bench --locked -p stockade-core --bench engine -- --warm-up-time 2 --measurement-time 8
cargo bench --locked -p stockade-core --bench fix -- --warm-up-time 2 --measurement-time 8
node scripts/build-npm.mjs
node bench/wasm.mjs 7
python3 bench/compare.py
