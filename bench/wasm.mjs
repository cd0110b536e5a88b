#!/usr/bin/env node
// The npm package's size and speed: the gzipped size of the .wasm, and the time to evaluate
// the shared corpus through the package in Node.js versus the native CLI on one core, as the
// package runs (median of runs).
// Run after `npm run build`: node bench/wasm.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import * as stockade from '../dist/node.js';
import { root, walk } from '../tests/npm/helpers.mjs';

const runs = Number(process.argv[2] ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const corpus = '../shared/corpus';
const benchmarks = ['pss-baseline', 'pss-restricted', 'cis-k8s', 'nsa-cisa', 'image-hygiene'];

execFileSync('cargo', ['build', '--quiet', '--locked', '--release', '-p', 'stockade'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const cli = join(root, 'target', 'release', 'stockade');
const cliArgs = ['scan', '-j', '1', corpus, '-f', 'json', ...benchmarks.flatMap((b) => ['-b', b])];

const nativeTimes = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  spawnSync(cli, cliArgs, { cwd: root, maxBuffer: 1 << 30 });
  nativeTimes.push(performance.now() - t);
}

const files = walk(corpus); // read once: the comparison is of evaluation, not of the disk
const wasmTimes = [];
let report;
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  stockade.scan(files, { benchmarks }, 'json');
  wasmTimes.push(performance.now() - t);
}
report = stockade.evaluate(files, { benchmarks });

const wasm = readFileSync(join(root, 'dist', 'stockade_wasm_bg.wasm'));
const rows = [
  ['.wasm size', `${wasm.length} bytes`],
  ['.wasm gzipped (level 9)', `${gzipSync(wasm, { level: 9 }).length} bytes`],
  ['corpus', `${files.length} files, ${report.summary.resources} resources, ${report.results.length} results`],
  ['native CLI on one core (`-j 1`), whole scan (process start, reading, evaluation, JSON)', `${median(nativeTimes).toFixed(1)} ms`],
  ['wasm in Node.js, `scan(files, options, "json")` (files already in memory)', `${median(wasmTimes).toFixed(1)} ms`],
  ['ratio wasm / native', `${(median(wasmTimes) / median(nativeTimes)).toFixed(2)}`],
];
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0].model}, Node.js ${process.version}, median of ${runs} runs.`,
  '',
  '| what | value |',
  '|---|---|',
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  '',
].join('\n');
console.log(table);
writeFileSync(join(root, 'bench', 'wasm-results.md'), `# The npm package: size and speed\n\n${table}`);
writeFileSync(join(root, 'target', 'bench-wasm.json'), JSON.stringify({
  wasmBytes: wasm.length,
  wasmGzipBytes: gzipSync(wasm, { level: 9 }).length,
  nativeMs: median(nativeTimes),
  wasmMs: median(wasmTimes),
}));
