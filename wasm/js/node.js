// Node.js entry point: the module is compiled and instantiated synchronously at import.
import { readFileSync } from 'node:fs';
import { __stockadeReinstantiate, initSync } from './stockade_wasm.js';
import { __markReady } from './api.js';

const module = new WebAssembly.Module(readFileSync(new URL('./stockade_wasm_bg.wasm', import.meta.url)));
initSync({ module });
__markReady(__stockadeReinstantiate);

/** Nothing to wait for in Node.js (kept for code shared with browsers). */
export async function init() {}

export { StockadeInputError, benchmarks, evaluate, explain, fix, render, rules, scan, version, __panicForTests } from './api.js';
