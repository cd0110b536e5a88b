// Shared by the npm package tests: paths, the native CLI, and the same directory walk the CLI does.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cli;
/** The native `stockade` binary (built once, a no-op when fresh). */
export function nativeCli() {
  if (!cli) {
    execFileSync('cargo', ['build', '--quiet', '--locked', '-p', 'stockade'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    cli = join(root, 'target', 'debug', 'stockade');
  }
  return cli;
}

/** The date the tests run "on" (exemption expiry); the CLI gets it as SOURCE_DATE_EPOCH. */
export const TODAY = '2026-11-29';

/** Runs the native CLI from the repository root; returns stdout and the exit code. */
export function runCli(args, input) {
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(Date.parse(TODAY) / 1000) };
  const out = spawnSync(nativeCli(), args, { cwd: root, input, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { stdout: out.stdout, status: out.status, stderr: out.stderr };
}

/** The files `stockade scan DIR` reads, in its order, named as it names them. */
export function walk(dir) {
  const out = [];
  const visit = (d) => {
    for (const name of readdirSync(join(root, d)).sort()) {
      const path = join(d, name);
      if (statSync(join(root, path)).isDirectory()) visit(path);
      else if (/\.(ya?ml|json)$/.test(name) && name !== 'stockade.yaml') out.push({ name: path, text: readFileSync(join(root, path), 'utf8') });
    }
  };
  visit(dir);
  return out;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

/** Serves a directory on 127.0.0.1 (a free port); resolves to the server. */
export async function serveStatic(dir) {
  const server = createServer((req, res) => {
    const path = join(dir, req.url === '/' ? 'index.html' : decodeURIComponent(req.url.split('?')[0]));
    try {
      const body = readFileSync(path);
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Debian's Chromium, headless, with no background traffic of its own. */
export function launchChromium(chromium) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
