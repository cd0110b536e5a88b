#!/usr/bin/env bash
# Builds the Stockade Kubewarden policy: admission/kubewarden for wasm32-wasip1, with its
# metadata.yml embedded as Kubewarden's tools read it, at dist/stockade-kubewarden.wasm.
# Push it with `kwctl push dist/stockade-kubewarden.wasm REGISTRY/stockade/kubewarden:TAG`.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/../admission"
cargo build --locked --release --target wasm32-wasip1 -p stockade-kubewarden
mkdir -p ../dist
cargo run --locked -q -p stockade-admission-harness --bin annotate -- \
  target/wasm32-wasip1/release/stockade_kubewarden.wasm kubewarden/metadata.yml \
  ../dist/stockade-kubewarden.wasm
