// The package's API over the raw wasm-bindgen exports, shared by the Node.js and browser
// entry points. Thin: input shapes and errors only; every decision is the engine's.
import * as raw from './stockade_wasm.js';

let ready = false;
let reinstantiate = null;

/** @internal Called by the entry points once the module is instantiated. */
export function __markReady(recover) {
  ready = true;
  reinstantiate = recover;
}

/** An input problem (unparsable YAML, a wrong field type, ...) with its location. */
export class StockadeInputError extends Error {
  constructor(error) {
    super(`${error.file}:${error.line}:${error.column}: ${error.message}`);
    this.name = 'StockadeInputError';
    this.file = error.file;
    this.line = error.line;
    this.column = error.column;
  }
}

function call(fn) {
  if (!ready) {
    throw new Error('stockade: the engine is not initialised yet; call `await init()` first');
  }
  try {
    return fn();
  } catch (error) {
    // A trap (a Rust panic) can leave the instance half-way through a call: start afresh so
    // that the next call works, and report this one.
    if (error instanceof WebAssembly.RuntimeError && reinstantiate) {
      reinstantiate();
    }
    throw error;
  }
}

function named(list, what) {
  if (!Array.isArray(list)) throw new TypeError(`stockade: ${what} must be an array of {name, text}`);
  return list.map((item, i) => {
    if (typeof item === 'string') return { name: `<${what}-${i + 1}>`, text: item };
    if (!item || typeof item.text !== 'string') {
      throw new TypeError(`stockade: ${what}[${i}] must be {name, text} with a string text`);
    }
    return { name: String(item.name ?? `<${what}-${i + 1}>`), text: item.text };
  });
}

function normalize(input) {
  if (typeof input === 'string') return { files: [{ name: '<input>', text: input }], facts: [] };
  if (Array.isArray(input)) return { files: named(input, 'files'), facts: [] };
  if (input && typeof input === 'object') {
    return { files: named(input.files ?? [], 'files'), facts: named(input.facts ?? [], 'facts') };
  }
  throw new TypeError('stockade: input must be a string, an array of {name, text}, or {files, facts}');
}

/**
 * Evaluates manifests (and node facts) and returns the report, the same as `stockade scan -f json`.
 * Input problems are in `report.errors`; with `failOnInputError: true` the first one is thrown.
 * `options` is the policy (the same keys as `stockade.yaml`); `now` defaults to today's UTC date.
 */
export function evaluate(input, options = {}) {
  const { failOnInputError = false, ...spec } = policy(options);
  const report = JSON.parse(call(() => raw.evaluateJson(JSON.stringify(normalize(input)), JSON.stringify(spec))));
  if (failOnInputError) {
    const first = report.errors.find((e) => e.level === 'error');
    if (first) throw new StockadeInputError(first);
  }
  return report;
}

/** The options object as the engine takes it: `now` defaults to today's UTC date. */
function policy(options) {
  const spec = { ...(options ?? {}) };
  if (spec.now === undefined) spec.now = new Date().toISOString().slice(0, 10);
  return spec;
}

/**
 * Evaluates and renders in one step: the text `stockade scan -f FORMAT` writes (byte for byte for
 * `json`). Faster than `render(evaluate(...))` when only the text is wanted.
 */
export function scan(input, options = {}, format = 'json') {
  const { failOnInputError, ...spec } = policy(options);
  if (failOnInputError) evaluate(input, options);
  return call(() => raw.scanJson(JSON.stringify(normalize(input)), JSON.stringify(spec), String(format)));
}

/**
 * Fixes every failing finding that has a mechanical fix, for the benchmarks and policy of
 * `options` (exempt findings are left alone), in one pass per file, the same edits as
 * `stockade fix`. Returns `{files: [{name, text, changed, fixed: [{rule, resource, container, line,
 * description}]}]}`: `text` is the fixed file (the input's text when nothing changed).
 */
export function fix(input, options = {}) {
  const { failOnInputError, ...spec } = policy(options);
  if (failOnInputError) evaluate(input, options);
  return JSON.parse(call(() => raw.fixJson(JSON.stringify(normalize(input)), JSON.stringify(spec))));
}

/** Renders a report as `json` (byte for byte what the CLI writes), `text`, `sarif`, `junit`, `markdown` or `html`. */
export function render(report, format = 'json') {
  if (!report || typeof report !== 'object') throw new TypeError('stockade: render takes a report object');
  return call(() => raw.renderJson(JSON.stringify(report), String(format)));
}

/** Every rule and CIS check, with documentation. */
export function rules() {
  return JSON.parse(call(() => raw.rulesJson()));
}

/** A rule's documentation (markdown), by code, name or check id; `undefined` if unknown. */
export function explain(rule) {
  return call(() => raw.explain(String(rule)));
}

/** The benchmarks and their versions. */
export function benchmarks() {
  return JSON.parse(call(() => raw.benchmarksJson()));
}

/** The engine's version. */
export function version() {
  return call(() => raw.version());
}

/** @internal Panics inside the engine, for the package's tests. */
export function __panicForTests() {
  return call(() => raw.__panicForTests());
}
