// The package and the native CLI give byte-identical JSON reports on the fixtures, the bundled
// examples and the shared corpus.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as stockade from '../../dist/node.js';
import { root, runCli, TODAY, walk } from './helpers.mjs';

const cases = [
  ['core/tests/fixtures', []],
  ['core/tests/fixtures', ['pss-baseline@v1.18', 'pss-restricted@v1.25']],
  ['examples', []],
  ['examples', ['pss-baseline@v1.29', 'cis-k8s@1.11']],
  ['../shared/corpus', ['pss-baseline', 'pss-restricted', 'cis-k8s']],
];

for (const [dir, benchmarks] of cases) {
  test(`${dir} with ${benchmarks.join(', ') || 'the default benchmarks'}`, () => {
    assert.ok(existsSync(join(root, dir)), `${dir} exists`);
    const args = ['scan', dir, '-f', 'json', ...benchmarks.flatMap((b) => ['-b', b])];
    const native = runCli(args);
    assert.ok([0, 1].includes(native.status), native.stderr);
    const report = stockade.evaluate(walk(dir), { benchmarks, now: TODAY });
    assert.equal(stockade.render(report, 'json'), native.stdout);
  });
}
