// Browser and bundler entry point: `await init()` once, then call the API synchronously.
// By default the .wasm is fetched next to this file (bundlers such as Vite copy it); pass a URL,
// a Response, bytes or a WebAssembly.Module to load it from elsewhere.
import initWasm, { __stockadeReinstantiate } from './stockade_wasm.js';
import { __markReady } from './api.js';

let ready;

export function init(source) {
  ready ??= initWasm(source === undefined ? undefined : { module_or_path: source }).then(() => {
    __markReady(__stockadeReinstantiate);
  });
  return ready;
}

export { StockadeInputError, benchmarks, evaluate, explain, fix, render, rules, scan, version, __panicForTests } from './api.js';
