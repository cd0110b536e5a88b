// Every API function of the built package (dist/), through its Node.js entry point.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as stockade from '../../dist/node.js';

const privileged = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
`;

test('evaluate a string, locate the finding, count it in the summary', async () => {
  await stockade.init();
  const report = stockade.evaluate(privileged, { benchmarks: ['pss-baseline'] });
  const fail = report.results.find((r) => r.status === 'fail');
  assert.equal(fail.rule, 'PSS003');
  assert.deepEqual([fail.location.file, fail.location.line, fail.location.column], ['<input>', 10, 9]);
  assert.equal(fail.pointer, '/spec/containers/0/securityContext/privileged');
  assert.equal(report.summary.fail, 1);
  assert.equal(report.summary.pass, 11);
});

test('evaluate named files and node facts together', () => {
  const facts = JSON.stringify({
    apiVersion: 'stockade.dev/v1alpha1',
    kind: 'NodeFacts',
    node: { hostname: 'n1' },
    processes: [{ pid: 1, argv: ['kube-apiserver', '--anonymous-auth=true'] }],
  });
  const report = stockade.evaluate({ files: [{ name: 'pod.yaml', text: privileged }], facts: [{ name: 'n1.json', text: facts }] });
  assert.ok(report.results.some((r) => r.location.file === 'pod.yaml' && r.rule === 'PSS003'));
  const anonymous = report.results.find((r) => r.rule === 'CIS-1.2.1');
  assert.equal(anonymous.status, 'fail');
  assert.equal(anonymous.resource.kind, 'Node');
  assert.equal(anonymous.actual, 'true');
  assert.match(anonymous.source, /^flag --anonymous-auth/);
  assert.deepEqual(report.benchmarks.map((b) => b.id), ['pss-restricted@latest', 'cis-k8s']);
});

test('options: benchmarks and versions change the verdicts', () => {
  const probe = 'kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx\n    readinessProbe: {httpGet: {host: example.com, port: 80}}\n';
  assert.equal(stockade.evaluate(probe, { benchmarks: ['pss-baseline@v1.33'] }).summary.fail, 0);
  assert.equal(stockade.evaluate(probe, { benchmarks: ['pss-baseline@v1.34'] }).summary.fail, 1);
  const deep = 'a: '.repeat(1) + '['.repeat(50) + ']'.repeat(50);
  const limited = stockade.evaluate(deep, { maxDepth: 10 });
  assert.match(limited.errors[0].message, /nesting deeper than 10/);
  // The input limits of stockade.yaml hold in the package too, as located input errors.
  const two = `${privileged}---\n${privileged}`;
  const oneDocument = stockade.evaluate(two, { maxDocuments: 1, benchmarks: ['pss-baseline'] });
  assert.deepEqual([oneDocument.errors[0].line, oneDocument.summary.fail], [11, 1]);
  assert.match(oneDocument.errors[0].message, /more than 1 documents in this file \(maxDocuments\)/);
  const small = stockade.evaluate(two, { maxFileSize: 100 });
  assert.match(small.errors[0].message, /more than the limit of 100 \(maxFileSize\): not scanned/);
});

test('options are the policy: selection, severities, settings and exemptions', () => {
  const policy = {
    benchmarks: ['pss-baseline', 'image-hygiene'],
    ignore: ['IMG002'],
    severity: { IMG001: 'high' },
    settings: { allowedRegistries: ['registry.example.com'] },
    exemptions: [{ rules: ['PSS003'], containers: ['app'], reason: 'accepted', expires: '2999-12-31' }],
  };
  // `now` defaults to today: an exemption expiring in 2999 applies.
  const report = stockade.evaluate(privileged, policy);
  const exempt = report.results.find((r) => r.rule === 'PSS003');
  assert.equal(exempt.status, 'exempt');
  assert.deepEqual(exempt.exemption, { reason: 'accepted', source: 'options.exemptions[0]', expires: '2999-12-31', status: 'fail' });
  assert.equal(report.results.filter((r) => r.rule === 'IMG002').length, 0);
  assert.equal(report.results.find((r) => r.rule === 'IMG001').severity, 'high');
  assert.equal(report.results.find((r) => r.rule === 'IMG003').status, 'fail');
  // A date after the expiry: the exemption no longer applies, and a warning says so.
  const later = stockade.evaluate(privileged, { ...policy, now: '3000-01-01' });
  assert.equal(later.results.find((r) => r.rule === 'PSS003').status, 'fail');
  assert.ok(later.errors.some((e) => e.level === 'warning' && e.message.includes('expired on 2999-12-31')));
  assert.throws(
    () => stockade.evaluate(privileged, { exemptions: [{ rules: ['PSS003'], reason: '' }] }),
    /invalid options: \/exemptions\/0\/reason: an exemption needs a reason/,
  );
});

test('input errors keep their location and the rest is still evaluated', () => {
  const report = stockade.evaluate([
    { name: 'bad.yaml', text: 'kind: Pod\nmetadata: {name: [\n' },
    { name: 'good.yaml', text: privileged },
  ], { benchmarks: ['pss-baseline'] });
  assert.equal(report.errors.length, 1);
  assert.equal(report.errors[0].file, 'bad.yaml');
  assert.equal(report.errors[0].level, 'error');
  assert.equal(report.summary.fail, 1);
  assert.throws(
    () => stockade.evaluate([{ name: 'bad.yaml', text: 'kind: Pod\nmetadata: {name: [\n' }], { failOnInputError: true }),
    (e) => e instanceof stockade.StockadeInputError && e instanceof Error && e.file === 'bad.yaml' && e.line >= 2 && e.column >= 1,
  );
});

test('misuse throws Error with a message', () => {
  assert.throws(() => stockade.evaluate(privileged, { benchmarks: ['nope'] }), { message: /unknown benchmark `nope`/ });
  assert.throws(() => stockade.evaluate(privileged, { bogus: 1 }), { message: /invalid options/ });
  assert.throws(() => stockade.evaluate(42), TypeError);
  assert.throws(() => stockade.render({}, 'json'), { message: /invalid report/ });
  const report = stockade.evaluate(privileged);
  assert.throws(() => stockade.render(report, 'pdf'), { message: /unknown format `pdf` \(known: text, json, sarif, junit, markdown, html\)/ });
});

test('render: every format the core has', () => {
  const report = stockade.evaluate(privileged, { benchmarks: ['pss-baseline'] });
  const sarif = JSON.parse(stockade.render(report, 'sarif'));
  assert.equal(sarif.version, '2.1.0');
  assert.equal(sarif.runs[0].results[0].ruleId, 'PSS003');
  assert.equal(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine, 10);
  assert.match(stockade.render(report, 'junit'), /^<\?xml version="1.0"/);
  assert.match(stockade.render(report, 'markdown'), /^## Stockade: 1 failing check in 1 resources/);
  assert.match(stockade.render(report, 'html'), /<title>Stockade report: 1 failing check in 1 resource<\/title>/);
  assert.equal(report.scores[0].benchmark, 'pss-baseline@latest');
});

test('scan: evaluate and render in one call, the same text', () => {
  const options = { benchmarks: ['pss-baseline', 'nsa-cisa'], now: '2026-11-29' };
  for (const format of ['json', 'text', 'sarif', 'junit', 'markdown', 'html']) {
    assert.equal(stockade.scan(privileged, options, format), stockade.render(stockade.evaluate(privileged, options), format));
  }
  assert.throws(() => stockade.scan(privileged, {}, 'yaml'), /unknown format `yaml`/);
});

test('render: JSON and text', () => {
  const report = stockade.evaluate(privileged, { benchmarks: ['pss-baseline'] });
  const json = stockade.render(report, 'json');
  assert.deepEqual(JSON.parse(json), report);
  assert.ok(json.endsWith('\n'));
  const text = stockade.render(report, 'text');
  assert.match(text, /<input>:10:9 PSS003 privileged \[critical\]/);
});

test('rules, explain, benchmarks, version', () => {
  const rules = stockade.rules();
  assert.equal(rules.filter((r) => r.benchmark === 'pss').length, 19);
  assert.ok(rules.filter((r) => r.benchmark === 'cis-k8s').length > 90);
  assert.match(rules[0].documentation, /## What it does/);
  assert.match(stockade.explain('allowPrivilegeEscalation'), /^# PSS102/);
  assert.match(stockade.explain('CIS-4.2.1'), /Kubelet rejects anonymous requests/);
  assert.equal(stockade.explain('nope'), undefined);
  const benchmarks = stockade.benchmarks();
  assert.deepEqual(benchmarks.map((b) => b.id), ['pss-baseline', 'pss-restricted', 'cis-k8s', 'nsa-cisa', 'image-hygiene', 'cis-ubuntu', 'containerd', 'k8s-stig']);
  assert.match(stockade.explain('V-242378'), /CNTR-K8-000170/);
  assert.equal(rules.filter((r) => r.benchmark === 'cis-ubuntu').length, 166);
  assert.equal(rules.filter((r) => r.benchmark === 'containerd').length, 11);
  assert.match(stockade.explain('UBU-3.3.1'), /Profile kubernetes-node/);
  assert.match(stockade.explain('CTR-11'), /runc has no known container breakout/);
  assert.match(stockade.explain('CIS-5.2.3'), /PSS002/);
  assert.ok(benchmarks[0].versions.includes('v1.37'));
  assert.match(stockade.version(), /^\d+\.\d+\.\d+$/);
});

test('every layer in one call: a workload, its image scan, and a node\'s OS and runtime facts', () => {
  const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: web, image: "nginx:1.25.0"}\n';
  const trivy = JSON.stringify({
    SchemaVersion: 2, CreatedAt: '2026-11-28T00:00:00Z', ArtifactName: 'nginx:1.25.0',
    Metadata: { ImageConfig: { config: { User: '101' } } },
    Results: [{ Target: 'nginx', Vulnerabilities: [{ VulnerabilityID: 'CVE-2023-4911', PkgName: 'libc6', Severity: 'HIGH' }] }],
  });
  const facts = JSON.stringify({
    apiVersion: 'stockade.dev/v1alpha2', kind: 'NodeFacts', node: { hostname: 'w1' },
    os: { id: 'ubuntu', versionId: '22.04' },
    sysctl: { 'net.ipv4.tcp_syncookies': '0' },
    packages: { 'containerd.io': '1.6.0-1' },
    files: [{ path: '/etc/containerd/config.toml', exists: true, type: 'file', mode: '0644', uid: 0, gid: 0, content: 'version = 2\n' }],
  });
  const report = stockade.evaluate(
    { files: [{ name: 'deploy.yaml', text: deployment }, { name: 'nginx.trivy.json', text: trivy }], facts: [{ name: 'w1.json', text: facts }] },
    { benchmarks: ['image-hygiene', 'cis-ubuntu', 'containerd'], now: '2026-11-29' },
  );
  const onWorkload = report.results.find((r) => r.rule === 'IMG008' && r.resource.kind === 'Deployment');
  assert.equal(onWorkload.status, 'fail');
  assert.equal(onWorkload.location.line, 8);
  assert.match(onWorkload.message, /CVE-2023-4911 in libc6/);
  assert.equal(report.results.find((r) => r.rule === 'UBU-3.3.10').status, 'fail');
  assert.equal(report.results.find((r) => r.rule === 'CTR-10').status, 'fail');
});

test('a panic does not leave the module broken for the next call', () => {
  assert.throws(() => stockade.__panicForTests(), WebAssembly.RuntimeError);
  const report = stockade.evaluate(privileged, { benchmarks: ['pss-baseline'] });
  assert.equal(report.summary.fail, 1);
  assert.throws(() => stockade.__panicForTests(), WebAssembly.RuntimeError);
  assert.equal(stockade.rules().length > 100, true);
});

test('large input: 10,000 documents', () => {
  const doc = (i) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d${i}, namespace: n}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        securityContext: {privileged: ${i % 2 === 0}}\n`;
  const text = Array.from({ length: 10000 }, (_, i) => doc(i)).join('---\n');
  const report = stockade.evaluate(text, { benchmarks: ['pss-baseline'] });
  assert.equal(report.summary.resources, 10000);
  assert.equal(report.summary.fail, 5000);
  assert.equal(report.errors.length, 0);
});

test('fix: one pass makes a Deployment pass the restricted profile, comments kept', () => {
  const deployment = `# the web tier
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app # main
          image: registry.example.com/app:1.0
`;
  const options = { benchmarks: ['pss-restricted'] };
  const before = stockade.evaluate(deployment, options);
  assert.ok(before.results.some((r) => r.status === 'fail' && r.fix && r.fix.edits.length > 0));
  const { files: [file] } = stockade.fix(deployment, options);
  assert.equal(file.changed, true);
  assert.deepEqual(file.fixed.map((f) => f.rule).sort(), ['PSS102', 'PSS103', 'PSS105', 'PSS106']);
  assert.ok(file.text.startsWith('# the web tier\n'));
  assert.ok(file.text.includes('        - name: app # main\n'));
  const after = stockade.evaluate(file.text, options);
  assert.equal(after.summary.fail, 0);
  // Fixing a fixed file changes nothing.
  assert.equal(stockade.fix(file.text, options).files[0].changed, false);
});

test('fix: a kube-apiserver static pod gets its CIS flags fixed, and a flag under an httpGet probe is refused', () => {
  const pod = (probe) => `apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  hostNetwork: true
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.33.2
    command:
    - kube-apiserver
    - --anonymous-auth=true   # to be reviewed
    - --enable-admission-plugins=NodeRestriction,AlwaysAdmit
${probe}`;
  const options = { benchmarks: ['cis-k8s'] };
  const { files: [file] } = stockade.fix(pod(''), options);
  assert.equal(file.changed, true);
  assert.ok(file.text.includes('    - --anonymous-auth=false   # to be reviewed\n'), file.text);
  assert.ok(file.text.includes('    - --enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs,AlwaysPullImages\n'), file.text);
  const fixed = file.fixed.map((f) => f.rule);
  for (const rule of ['CIS-1.2.1', 'CIS-1.2.3', 'CIS-1.2.10', 'CIS-1.2.11']) assert.ok(fixed.includes(rule), `${rule} in ${fixed}`);
  assert.ok(!fixed.includes('CIS-1.2.9'), 'EventRateLimit needs its configuration');
  const after = stockade.evaluate(file.text, options);
  assert.ok(!after.results.some((r) => r.rule === 'CIS-1.2.1' && r.status === 'fail'));
  // kubeadm's liveness probe: the kubelet's probes carry no credentials.
  const probed = pod('    livenessProbe:\n      httpGet: {path: /livez, port: 6443, scheme: HTTPS}\n');
  const report = stockade.evaluate(probed, options);
  const anonymous = report.results.find((r) => r.rule === 'CIS-1.2.1');
  assert.equal(anonymous.status, 'fail');
  assert.equal(anonymous.fix, undefined);
});
