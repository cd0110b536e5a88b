// As a new user would: `npm pack`, install the tarball into an empty project, import it from
// ESM in Node.js, type-check with tsc, bundle it with Vite, and run the page in real Chromium.
// Every route must give the same findings as the native CLI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { launchChromium, root, runCli, serveStatic } from './helpers.mjs';

const sample = 'examples/privileged-daemonset.yaml';
let app;

/** Findings as [rule, line, column], the shape compared across routes. */
const findings = (report) => report.results.filter((r) => r.status === 'fail').map((r) => [r.rule, r.location.line, r.location.column]);

function expected() {
  const native = runCli(['scan', '-', '-f', 'json'], readFileSync(join(root, sample), 'utf8'));
  return findings(JSON.parse(native.stdout));
}

before(() => {
  const work = mkdtempSync(join(tmpdir(), 'stockade-consumer-'));
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop();
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed)], { cwd: app, stdio: 'ignore' });
  writeFileSync(join(app, 'manifest.yaml'), readFileSync(join(root, sample)));
});

test('the tarball holds only the package files', () => {
  const installed = readdirSync(join(app, 'node_modules', 'stockade', 'dist')).sort();
  assert.deepEqual(installed, ['api.js', 'browser.js', 'index.d.ts', 'node.js', 'stockade_wasm.js', 'stockade_wasm_bg.wasm', 'types.d.ts']);
});

test('three lines of JavaScript in Node.js give the CLI findings', () => {
  writeFileSync(join(app, 'main.mjs'), [
    "import { readFileSync } from 'node:fs';",
    "import { evaluate } from 'stockade';",
    "const report = evaluate(readFileSync('manifest.yaml', 'utf8'));",
    'console.log(JSON.stringify(report));',
  ].join('\n'));
  const report = JSON.parse(execFileSync('node', ['main.mjs'], { cwd: app, encoding: 'utf8' }));
  assert.deepEqual(findings(report), expected());
  assert.ok(findings(report).length > 5);
});

test('the TypeScript declarations type-check a typical use', () => {
  writeFileSync(join(app, 'check.ts'), `
import { evaluate, render, rules, init, type Report, type CheckResult, type Severity } from 'stockade';
await init();
const report: Report = evaluate({ files: [{ name: 'a.yaml', text: 'kind: Pod' }] }, { benchmarks: ['pss-baseline@v1.30'] });
const worst: Severity[] = report.results.filter((r: CheckResult) => r.status === 'fail').map((r) => r.severity);
const text: string = render(report, 'text');
const codes: string[] = rules().map((r) => r.code);
const line: number = report.results[0]?.location.line ?? 0;
console.log(worst, text.length, codes.length, line, report.summary.pass + report.summary.fail);
// @ts-expect-error: the format is checked
render(report, 'pdf');
`);
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), [
    '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', 'check.ts',
  ], { cwd: app, stdio: 'inherit' });
});

test('a Vite build runs in Chromium and gives the CLI findings', async () => {
  writeFileSync(join(app, 'index.html'), '<!doctype html><html><body><pre id="out"></pre><script type="module" src="./main.js"></script></body></html>');
  writeFileSync(join(app, 'main.js'), [
    "import { init, evaluate } from 'stockade';",
    "import manifest from './manifest.yaml?raw';",
    'await init();',
    'const report = evaluate(manifest);',
    "const out = document.getElementById('out');",
    'out.textContent = JSON.stringify(report.results.filter((r) => r.status === "fail").map((r) => [r.rule, r.location.line, r.location.column]));',
    "out.dataset.done = 'yes';",
  ].join('\n'));
  writeFileSync(join(app, 'vite.config.js'), "export default { build: { target: 'es2022' }, logLevel: 'warn' };\n");
  execFileSync('node', [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], { cwd: app, stdio: 'inherit' });
  const assets = readdirSync(join(app, 'dist', 'assets'));
  assert.ok(assets.some((a) => a.endsWith('.wasm')), `the .wasm is emitted: ${assets}`);

  const server = await serveStatic(join(app, 'dist'));
  const browser = await launchChromium(chromium);
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForSelector('#out[data-done="yes"]', { timeout: 30000 });
    const shown = JSON.parse(await page.textContent('#out'));
    assert.deepEqual(errors, []);
    assert.deepEqual(shown, expected());
  } finally {
    await browser.close();
    server.close();
  }
});

after(() => {});
