// The web demo end to end in Debian's Chromium: load the page, paste a privileged pod, see the
// finding at the right line, click it and see the editor move, switch to baseline and see the
// count change, download SARIF, and make sure the page made no network request after loading.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { launchChromium, root, serveStatic } from './helpers.mjs';

const site = join(root, 'web-demo', 'dist');
let server;
let browser;
let page;
const requests = [];
let loaded = false;
let typedLine = 0;

const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: team-a
spec:
  containers:
    - name: shell
      image: busybox:1.36
      securityContext:
        privileged: true
`;

before(async () => {
  execFileSync('node', [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(root, 'web-demo', 'vite.config.js')], { cwd: root, stdio: 'inherit' });
  server = await serveStatic(site);
  browser = await launchChromium(chromium);
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 900 } });
  page = await context.newPage();
  page.on('request', (r) => requests.push({ url: r.url(), afterLoad: loaded }));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 30000 });
  loaded = true;
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function paste(text) {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.evaluate((t) => {
    const data = new DataTransfer();
    data.setData('text/plain', t);
    document.querySelector('.cm-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

const failing = () => page.$$eval('.finding.fail', (items) => items.length);

test('pasting a privileged pod shows the finding at the right line, with a gutter marker', async () => {
  await paste(privilegedPod);
  await page.waitForSelector('.finding[data-rule="PSS003"][data-line="11"]', { timeout: 10000 });
  const message = await page.textContent('.finding[data-rule="PSS003"] .message');
  assert.equal(message, 'container "shell" must not set securityContext.privileged=true');
  assert.ok(await page.$('.cm-lint-marker-error'), 'the editor gutter marks the line');
  assert.match(await page.textContent('#scores'), /pss-restricted@latest/);
});

test('clicking a finding selects its line in the editor', async () => {
  await page.click('.finding[data-rule="PSS003"] .loc');
  await page.waitForFunction(() => document.querySelector('#editor').dataset.selectedLine === '11');
  const selected = await page.evaluate(() => window.getSelection().toString());
  assert.match(selected, /privileged: true/);
});

test('switching to baseline changes the count', async () => {
  await page.uncheck('input[value="cis-k8s"]');
  await page.waitForFunction(() => !document.querySelector('#scores').textContent.includes('cis-k8s'));
  const restricted = await failing();
  await page.uncheck('input[value="pss-restricted"]');
  await page.check('input[value="pss-baseline"]');
  // Wait for the scan of exactly this selection: an intermediate one (nothing checked) may render first.
  await page.waitForFunction(() => {
    const scores = document.querySelector('#scores').textContent;
    return scores.includes('pss-baseline') && !scores.includes('pss-restricted');
  });
  const baseline = await failing();
  assert.ok(baseline < restricted, `baseline ${baseline} < restricted ${restricted}`);
  assert.equal(baseline, 1);
  // Unchecking every benchmark is not "the defaults": the page says so and shows no verdicts.
  await page.uncheck('input[value="pss-baseline"]');
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'No benchmark selected');
  assert.equal(await failing(), 0);
  assert.equal(await page.$('.cm-lint-marker-error'), null, 'no gutter marker without a verdict');
  await page.check('input[value="pss-baseline"]');
  await page.waitForFunction(() => document.querySelectorAll('.finding.fail').length === 1);
  await page.selectOption('#pss-version', 'v1.0');
  await page.waitForFunction(() => document.querySelector('#scores').textContent.includes('pss-baseline@v1.0'));
});

test('the SARIF download holds the finding', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="sarif"]')]);
  assert.equal(download.suggestedFilename(), 'stockade-report.sarif');
  const sarif = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const result = sarif.runs[0].results.find((r) => r.ruleId === 'PSS003');
  assert.equal(result.locations[0].physicalLocation.region.startLine, 11);
  assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'privileged-daemonset.yaml');
});

test('samples open as tabs and node facts are evaluated', async () => {
  await page.click('[data-sample="facts"]');
  await page.check('input[value="cis-k8s"]');
  await page.waitForSelector('.finding[data-rule="CIS-1.2.1"]', { timeout: 10000 });
  assert.equal(await page.textContent('.tab[aria-current="true"]'), 'cp-1.json');
});

test('a dropped file opens as a tab and is evaluated', async () => {
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(['kind: Pod\nmetadata: {name: dropped}\nspec: {hostIPC: true, containers: [{name: a, image: x}]}\n'], 'dropped.yaml', { type: 'application/yaml' }));
    document.querySelector('.input').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await page.waitForSelector('.tab[aria-current="true"] >> text=dropped.yaml');
  await page.waitForSelector('.finding[data-rule="PSS002"][data-line="3"]');
});

test('rule documentation is one click away', async () => {
  await page.click('.finding[data-rule="CIS-1.2.1"] .rule');
  await page.waitForSelector('#docs[open]');
  assert.match(await page.textContent('#docs-title'), /CIS-1\.2\.1/);
  await page.keyboard.press('Escape');
});

test('results update as you type', async () => {
  await page.click('.tab >> text=privileged-daemonset.yaml');
  await page.click('.cm-content');
  await page.keyboard.press('Control+End');
  const before = await failing();
  await page.keyboard.insertText('\n---\nkind: Pod\nmetadata: {name: typed, namespace: team-a}\nspec: {hostPID: true, containers: [{name: a, image: x}]}\n');
  await page.waitForFunction((n) => document.querySelectorAll('.finding.fail').length > n, before);
  const specLine = 1 + (await page.$$eval('.cm-content .cm-line', (l) => l.findIndex((x) => x.textContent.startsWith('spec: {hostPID'))));
  const found = await page.$$eval('.finding', (items) => items.map((i) => `${i.dataset.rule}@${i.dataset.line}`));
  assert.ok(found.includes(`PSS002@${specLine}`), `${specLine}: ${found.join(' ')}`);
  typedLine = specLine;
});

test('the keyboard reaches a finding and moves the editor', async () => {
  await page.click('.cm-content');
  await page.keyboard.press('Control+Home');
  await page.focus('.finding[data-rule="PSS002"] .loc');
  await page.keyboard.press('Enter');
  await page.waitForFunction((line) => document.querySelector('#editor').dataset.selectedLine === String(line), typedLine);
});

test('a shared link carries the manifests in its fragment and restores them', async () => {
  await page.click('#share');
  await page.waitForFunction(() => location.hash.startsWith('#s='));
  const url = page.url();
  const other = await page.context().newPage();
  const seen = [];
  other.on('request', (r) => seen.push(r.url()));
  await other.goto(url);
  await other.waitForSelector('body[data-ready="yes"]');
  await other.waitForSelector('.finding[data-rule="PSS002"]');
  assert.ok(seen.every((u) => !u.includes('#s=')), 'the fragment is never sent');
  assert.equal(await other.isChecked('input[value="pss-baseline"]'), true);
  await other.close();
});

test('readable on a phone, and dark when the system is', async () => {
  const phone = await page.context().newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.emulateMedia({ colorScheme: 'dark' });
  await phone.goto(page.url().split('#')[0]);
  await phone.waitForSelector('body[data-ready="yes"]');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
  const background = await phone.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.equal(background, 'rgb(22, 24, 29)');
  await phone.screenshot({ path: join(root, 'target', 'web-demo-phone-dark.png') });
  await phone.close();
});

/** axe-core's violations on a page, as `impact id: help (nodes)`. */
async function violations(p, context = 'html') {
  if (!(await p.evaluate(() => 'axe' in window))) {
    await p.addScriptTag({ content: readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8') });
  }
  const result = await p.evaluate((c) => window.axe.run(c, { resultTypes: ['violations'] }), context);
  return result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

test('accessible: axe-core finds no violation, with several files, findings and the docs open', async () => {
  // Several files (each with its close button), findings listed, then the rule documentation.
  assert.ok((await page.locator('.close-tab').count()) > 0);
  assert.ok((await page.locator('.finding').count()) > 0);
  assert.deepEqual(await violations(page), []);
  await page.click('.finding .rule');
  await page.waitForSelector('#docs[open]');
  // The modal dialog (the page behind it is inert and dimmed).
  assert.deepEqual(await violations(page, '#docs'), []);
  await page.keyboard.press('Escape');
  // Dark, on a phone.
  const phone = await page.context().newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.emulateMedia({ colorScheme: 'dark' });
  await phone.goto(page.url().split('#')[0]);
  await phone.waitForSelector('body[data-ready="yes"]');
  assert.deepEqual(await violations(phone), []);
  await phone.close();
});

test('every control is reachable with Tab, and the editor is a tab stop', async () => {
  const fresh = await page.context().newPage();
  await fresh.goto(page.url().split('#')[0]);
  await fresh.waitForSelector('body[data-ready="yes"]');
  const reached = new Set();
  for (let i = 0; i < 60; i += 1) {
    await fresh.keyboard.press('Tab');
    reached.add(await fresh.evaluate(() => {
      const e = document.activeElement;
      return e.dataset.sample ? `sample:${e.dataset.sample}` : e.dataset.download ? `download:${e.dataset.download}` : e.className.includes('cm-content') ? 'editor' : e.id || e.getAttribute('aria-label') || e.name || e.className;
    }));
  }
  for (const want of ['sample:privileged', 'sample:facts', 'editor', 'New file', 'bench', 'pss-version', 'download:sarif', 'share', 'loc', 'rule']) {
    assert.ok(reached.has(want), `${want} not reached: ${[...reached].join(', ')}`);
  }
  await fresh.close();
});

test('nothing leaves the page: no request after loading, none off this host', async () => {
  mkdirSync(join(root, 'target'), { recursive: true });
  await page.screenshot({ path: join(root, 'target', 'web-demo.png'), fullPage: false });
  const origin = `http://127.0.0.1:${server.address().port}/`;
  assert.deepEqual(requests.filter((r) => r.afterLoad && !r.url.startsWith('blob:')), []);
  assert.deepEqual(requests.filter((r) => !r.url.startsWith(origin) && !r.url.startsWith('blob:') && !r.url.startsWith('data:')), []);
});

test('a pasted Deployment passes PSS restricted after "Fix all", and undo brings the findings back', async () => {
  // Findings of the pasted Deployment only (other tabs are open from the tests before).
  const webFails = () => page.evaluate(() => {
    const group = [...document.querySelectorAll('section.group')].find((g) => g.querySelector('h2').textContent.startsWith('Deployment shop/web'));
    return group ? group.querySelectorAll('.finding.fail').length : 0;
  });
  await page.click('.tab >> nth=0');
  for (const b of ['pss-baseline', 'cis-k8s', 'nsa-cisa', 'image-hygiene']) await page.uncheck(`input[value="${b}"]`);
  await page.check('input[value="pss-restricted"]');
  await page.selectOption('#pss-version', 'latest');
  await paste(`# the web tier
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0
`);
  await page.waitForFunction(() => document.querySelector('section.group h2')?.textContent.startsWith('Deployment shop/web'));
  assert.equal(await webFails(), 4);
  // One finding's own fix first: it disappears, the others stay.
  await page.click('section.group:has-text("Deployment shop/web") .finding[data-rule="PSS102"] .apply-fix');
  await page.waitForFunction(() => ![...document.querySelectorAll('section.group')].some((g) => g.querySelector('h2').textContent.startsWith('Deployment shop/web') && g.querySelector('.finding[data-rule="PSS102"]')));
  assert.equal(await webFails(), 3);
  await page.click('#fix-all');
  await page.waitForFunction(() => ![...document.querySelectorAll('section.group h2')].some((h) => h.textContent.startsWith('Deployment shop/web')));
  const text = await page.$eval('.cm-content', (e) => e.innerText);
  assert.match(text, /allowPrivilegeEscalation: false/);
  assert.match(text, /^# the web tier/);
  // Undo takes "Fix all" back through the editor's history.
  await page.click('.cm-content');
  await page.keyboard.press('Control+Z');
  await page.waitForFunction(() => [...document.querySelectorAll('section.group h2')].some((h) => h.textContent.startsWith('Deployment shop/web')));
  assert.equal(await webFails(), 3);
});

test('"Apply fix" on a static pod flag check changes the flag in the editor and the finding goes', async () => {
  const inPod = (rule) => page.evaluate((rule) => {
    const group = [...document.querySelectorAll('section.group')].find((g) => g.querySelector('h2').textContent.startsWith('Pod kube-system/kube-apiserver'));
    return group ? group.querySelectorAll(`.finding.fail[data-rule="${rule}"]`).length : 0;
  }, rule);
  await page.click('[data-sample="apiserver"]');
  await page.check('input[value="cis-k8s"]');
  await page.waitForFunction(() => [...document.querySelectorAll('section.group h2')].some((h) => h.textContent.startsWith('Pod kube-system/kube-apiserver')));
  assert.ok((await inPod('CIS-1.2.1')) > 0);
  const button = page.locator('section.group:has-text("Pod kube-system/kube-apiserver") .finding[data-rule="CIS-1.2.1"] .apply-fix').first();
  assert.equal(await button.getAttribute('title'), 'set --anonymous-auth=false on kube-apiserver');
  await button.click();
  await page.waitForFunction(() => !document.querySelector('section.group .finding.fail[data-rule="CIS-1.2.1"] .apply-fix'));
  assert.equal(await inPod('CIS-1.2.1'), 0);
  const text = await page.$eval('.cm-content', (e) => e.innerText);
  assert.match(text, /- --anonymous-auth=false/);
});
