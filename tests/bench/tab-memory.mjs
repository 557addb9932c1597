// A whole spec's memory in the tab (a benchmark, not a test): each spec runs at
// full size in a fresh page (a fresh worker and wasm module, threaded build,
// COOP/COEP) in headless Chromium, against the built site (./build.sh build
// first). The module's linear memory only grows, so its size at the end is the
// run's peak; the page's own estimate of the spec is printed beside it. The
// browser keeps a profile on disk, as a person's does (`withProfile`): the
// tests' fresh contexts are off the record, and their small in-memory storage
// quota cannot take the gigabytes a large run spills.
//
//   node tests/bench/tab-memory.mjs SPEC.json ...
//
// Prints one JSON line a spec and writes tests/out/bench/tab-memory.json.

import fs from 'node:fs';
import path from 'node:path';
import { startServer, waitReady, runInPage, outDir, writeJson } from '../e2e/helpers.mjs';
import { withProfile } from './steps.mjs';

const MIB = 2 ** 20;
const files = process.argv.slice(2);
if (!files.length) {
  process.stderr.write('usage: node tests/bench/tab-memory.mjs SPEC.json ...\n');
  process.exit(2);
}

const server = await startServer({ isolation: true });
const rows = [];
try {
  for (const file of files) {
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    await withProfile(async (page) => {
      await page.goto(`${server.url}?autorun=0`, { waitUntil: 'load' });
      await waitReady(page);
      const estimate = await page.evaluate((s) => window.idlab.estimateMemory(s), spec);
      const started = Date.now();
      const outcome = await runInPage(page, spec);
      const seconds = (Date.now() - started) / 1000;
      const t = outcome.result ? outcome.result.timings : {};
      const row = {
        spec: file,
        error: outcome.error || null,
        flavor: outcome.result ? outcome.result.flavor : null,
        seconds,
        wasm_memory_mib: t.wasm_memory_bytes / MIB,
        wasm_memory_before_mib: t.wasm_memory_before_bytes / MIB,
        estimated_mib: estimate.total / MIB,
        spilled_mib: (t.spilled_bytes || 0) / MIB,
      };
      if (process.env.STEPS) {
        row.steps = (t.steps || []).map((st) => `${st.stage} ${st.label}: ${(st.wasm_memory_bytes / MIB).toFixed(0)}`);
      }
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    });
  }
} finally {
  await server.close();
}
writeJson(path.join(outDir('bench'), 'tab-memory.json'), rows);
