#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, the core built for wasm32 (proof that
# it does no I/O), unit, fixture, snapshot, conformance and end-to-end tests, doc tests, then
# the npm package: built, tested with node's test runner (API, parity with the CLI, and a
# consumer project: npm pack, ESM, tsc, a Vite build in Chromium).
set -euo pipefail
# Nothing here reads stdin: give every tool an empty one, even when started without any.
exec </dev/null
cd "$(dirname "$0")/.."

# `--quick`: the developer's inner loop. Core, CLI and end-to-end tests, without setup, lints,
# the wasm and npm builds, the browser, and the plugin suite (which compiles wasm components).
if [ "${1:-}" = "--quick" ]; then
  cargo nextest run --locked -p stockade-core -p stockade -p stockade-tests \
    -E 'not (binary(plugins) | binary(wasm_parity))'
  exit
fi

bash scripts/setup.sh

echo "== format"
cargo fmt --all --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== core for wasm32-unknown-unknown"
cargo build --locked -p stockade-core --target wasm32-unknown-unknown
echo "== doc tests"
cargo test --workspace --locked --doc
echo "== npm package"
# Built before the Rust tests: tests/tests/wasm_parity.rs compares it with the native core.
node scripts/build-npm.mjs
echo "== tests"
# The CLI the end-to-end tests run, built before them: a test that builds it itself waits on
# Cargo's build-directory lock while another test builds wasm components (this is what made two
# trivial CLI tests take 223 s each in a cold run).
cargo build --locked -p stockade --bin stockade
export STOCKADE_BIN="$PWD/target/debug/stockade"
# insta fails on a changed or missing snapshot when CI is set; locally, review with `cargo insta`.
cargo nextest run --workspace --locked --no-fail-fast
echo "== npm tests"
node --test tests/npm/
echo "== admission (the Kubewarden policy in the waPC host)"
# Its own workspace (admission/Cargo.toml says why): built, annotated, linted, then loaded by
# the harness as a policy server loads it.
bash scripts/build-kubewarden.sh
(
  cd admission
  cargo fmt --all --check
  cargo clippy --workspace --all-targets --locked -- -D warnings
  STOCKADE_KUBEWARDEN_WASM="$PWD/../dist/stockade-kubewarden.wasm" cargo nextest run --workspace --locked --no-fail-fast
)
