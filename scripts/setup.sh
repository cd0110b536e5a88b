#!/usr/bin/env bash
# Installs what the build and tests need, skipping what is already there. Safe to run often.
set -euo pipefail
# Nothing here reads stdin: give every tool an empty one, even when started without any.
exec </dev/null
cd "$(dirname "$0")/.."

# Tools read /dev/null as empty input (cargo's rustc probe does): it must be the device. (An
# earlier `stockade -o /dev/null` renamed a file over it; the CLI now writes such paths in place.)
if [ ! -c /dev/null ]; then
  if [ "$(id -u)" = 0 ]; then
    rm -f /dev/null && mknod -m 666 /dev/null c 1 3
  else
    echo "setup: /dev/null is not a character device; ask an administrator to restore it" >&2
    exit 1
  fi
fi

have_target() { rustup target list --installed 2>/dev/null | grep -qx "$1"; }

# The core is built for the browser (wasm32) by the npm package and by CI's purity check.
if command -v rustup >/dev/null 2>&1; then
  have_target wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  # Rule plugins (the examples and the hostile test suite) are components built for WASI p2.
  have_target wasm32-wasip2 || rustup target add wasm32-wasip2
  # The Kubewarden policy (admission/kubewarden) is a waPC module for WASI p1.
  have_target wasm32-wasip1 || rustup target add wasm32-wasip1
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

# componentize-py (PyPI) builds the tests' Python plugin (tests/plugins/python), in a venv under
# target/ (ignored, and removed by `cargo clean` with everything it builds).
componentize_py=0.25.1
if [ "$(target/python/bin/componentize-py --version 2>/dev/null)" != "componentize-py $componentize_py" ]; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    else
      echo "setup: the Python plugin test needs python3 with venv and pip (sudo apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  rm -rf target/python
  python3 -m venv target/python
  target/python/bin/pip install --quiet --disable-pip-version-check "componentize-py==$componentize_py"
fi

# wasm-bindgen's CLI must be exactly the version of the crate in Cargo.lock.
wbg=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wbg" ]; then
  cargo install wasm-bindgen-cli --version "$wbg"
fi

# npm packages (binaryen's wasm-opt, TypeScript, Vite, playwright-core), from the lock file.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.stockade-lock 2>/dev/null)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.stockade-lock
fi

# The YAML differential test's reference reader (tests/yaml-oracle): Go, go-yaml v2 and
# sigs.k8s.io/yaml from Debian's packages, so that it builds offline, as kubectl reads manifests.
if ! command -v go >/dev/null 2>&1 || [ ! -f /usr/share/gocode/src/sigs.k8s.io/yaml/yaml.go ] \
  || [ ! -f /usr/share/gocode/src/gopkg.in/yaml.v2/yaml.go ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq golang-go golang-gopkg-yaml.v2-dev golang-k8s-sigs-yaml-dev >/dev/null
  else
    echo "setup: the YAML differential test needs Debian's golang-go, golang-gopkg-yaml.v2-dev and golang-k8s-sigs-yaml-dev (sudo apt-get install ...)" >&2
    exit 1
  fi
fi

# A real browser for the package's browser test (Debian's Chromium; never a downloaded one).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing; install Debian's chromium package (sudo apt-get install chromium)" >&2
    exit 1
  fi
fi
