// The HTML report (`stockade scan -f html`) in Debian's Chromium: the same bytes from the CLI and
// the npm package, no request beyond the page itself, filters that work from the keyboard, node
// evidence and exemptions shown, and no accessibility violation found by axe-core.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import * as stockade from '../../dist/node.js';
import { launchChromium, root, runCli, serveStatic, TODAY, walk } from './helpers.mjs';

const facts = ['examples/node-facts/cp-1.json', 'examples/node-facts/worker-1.json'];
const args = ['scan', 'examples', ...facts.flatMap((f) => ['--facts', f]), '-b', 'pss-restricted', '-b', 'cis-k8s', '--config', 'examples/stockade.yaml'];

let html;
let server;
let browser;
let page;
const requests = [];

before(async () => {
  const native = runCli([...args, '-f', 'html']);
  assert.equal(native.status, 1, native.stderr);
  html = native.stdout;
  const dir = mkdtempSync(join(tmpdir(), 'stockade-html-'));
  writeFileSync(join(dir, 'index.html'), html);
  server = await serveStatic(dir);
  browser = await launchChromium(chromium);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('#filters:not([hidden])');
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('the npm package renders the same bytes as the CLI', () => {
  const native = runCli([...args, '-f', 'json']);
  const report = JSON.parse(native.stdout);
  assert.equal(stockade.render(report, 'html'), html);
  // and from its own evaluation of the same input (no policy file: compare its own two paths)
  const own = stockade.evaluate({ files: walk('examples'), facts: facts.map((f) => ({ name: f, text: readFileSync(join(root, f), 'utf8') })) }, { now: TODAY });
  assert.equal(stockade.render(own, 'html'), stockade.scan({ files: walk('examples'), facts: facts.map((f) => ({ name: f, text: readFileSync(join(root, f), 'utf8') })) }, { now: TODAY }, 'html'));
});

test('the page requests nothing but itself', () => {
  assert.equal(requests.length, 1, requests.join('\n'));
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html, /<(link|img|iframe)\b|\bsrc=|@import|url\(/);
});

test('scores, findings with evidence, exemptions', async () => {
  assert.equal(await page.locator('section[aria-labelledby="scores"] > table > tbody > tr').count(), 2);
  const failing = page.locator('ol.findings > li.fail');
  assert.ok((await failing.count()) > 50);
  // A node finding shows what was expected, found and where it came from.
  const node = page.locator('li:has(code:text-is("CIS-1.2.29"))').filter({ hasText: 'Node cp-1 at' }).first();
  assert.match(await node.locator('table.evidence').innerText(), /Expected[\s\S]*Actual[\s\S]*Source/);
  assert.match(await node.locator('.where').innerText(), /Node cp-1 at examples\/node-facts\/cp-1\.json:\d+:\d+/);
  // Exemptions, with reason and expiry.
  const exemptions = await page.locator('section[aria-labelledby="exemptions"] tbody').innerText();
  assert.match(exemptions, /\d{4}-\d{2}-\d{2}|no expiry/);
  mkdirSync(join(root, 'target'), { recursive: true });
  await page.screenshot({ path: join(root, 'target', 'html-report.png'), fullPage: false });
});

test('filters work from the keyboard', async () => {
  const shown = () => page.locator('#shown').innerText();
  const before = await shown();
  const total = Number(before.split(' ')[0]);
  // Tab reaches the first status box ("fail") after the score sections' disclosures; Space
  // unchecks it.
  const focused = () => page.evaluate(() => `${document.activeElement.tagName} ${document.activeElement.value ?? ''}`);
  const order = [];
  for (let i = 0; i < 5 && !(await focused()).endsWith('fail'); i += 1) {
    await page.keyboard.press('Tab');
    order.push(await focused());
  }
  assert.deepEqual(order, ['SUMMARY ', 'SUMMARY ', 'INPUT fail']);
  await page.keyboard.press('Space');
  const fails = await page.locator('ol.findings > li.fail').count();
  assert.equal(Number((await shown()).split(' ')[0]), total - fails);
  assert.equal(await page.locator('ol.findings > li.fail:visible').count(), 0);
  await page.keyboard.press('Space');
  assert.equal(await shown(), before);
  // The benchmark list narrows to one run.
  await page.locator('select[name="benchmark"]').focus();
  await page.keyboard.press('ArrowDown');
  const run = await page.locator('select[name="benchmark"]').inputValue();
  assert.notEqual(run, '');
  const visible = await page.locator('ol.findings > li:visible').evaluateAll((lis) => lis.map((li) => li.dataset.benchmarks));
  assert.ok(visible.length > 0 && visible.every((b) => b.split(' ').includes(run)), run);
  await page.locator('select[name="benchmark"]').selectOption('');
  assert.equal(await shown(), before);
});

test('axe-core finds no accessibility violation', async () => {
  await page.addScriptTag({ content: readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8') });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const violations = result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length})`);
  assert.deepEqual(violations, []);
});
