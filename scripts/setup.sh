#!/usr/bin/env bash
# Installs what the build and tests need, skipping what is already there. Safe to run often.
set -euo pipefail

have_target() { rustup target list --installed 2>/dev/null | grep -qx "$1"; }

if command -v rustup >/dev/null 2>&1; then
  # The core must build for the browser: CI proves it has no I/O by compiling it for wasm32.
  have_target wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
