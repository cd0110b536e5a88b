// A line protocol over the npm package, for the native-versus-wasm property test
// (tests/tests/wasm_parity.rs): each stdin line is {"files": [...], "options": {...},
// "format": "json"}, each stdout line {"ok": "<rendered report>"} or {"error": "<message>"}.
import { createInterface } from 'node:readline';
import { scan } from '../../dist/node.js';

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const request = JSON.parse(line);
  let answer;
  try {
    answer = { ok: scan({ files: request.files }, request.options, request.format) };
  } catch (e) {
    answer = { error: String(e.message ?? e) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
