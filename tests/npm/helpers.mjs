// Shared by the npm package tests: paths, the native CLI, and the same directory walk the CLI does.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cli;
/** The native `stockade` binary (built once, a no-op when fresh). */
export function nativeCli() {
  if (!cli) {
    execFileSync('cargo', ['build', '--quiet', '--locked', '-p', 'stockade'], { cwd: root, stdio: 'inherit' });
    cli = join(root, 'target', 'debug', 'stockade');
  }
  return cli;
}

/** Runs the native CLI from the repository root; returns stdout and the exit code. */
export function runCli(args, input) {
  const out = spawnSync(nativeCli(), args, { cwd: root, input, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { stdout: out.stdout, status: out.status, stderr: out.stderr };
}

/** The files `stockade scan DIR` reads, in its order, named as it names them. */
export function walk(dir) {
  const out = [];
  const visit = (d) => {
    for (const name of readdirSync(join(root, d)).sort()) {
      const path = join(d, name);
      if (statSync(join(root, path)).isDirectory()) visit(path);
      else if (/\.(ya?ml|json)$/.test(name)) out.push({ name: path, text: readFileSync(join(root, path), 'utf8') });
    }
  };
  visit(dir);
  return out;
}
