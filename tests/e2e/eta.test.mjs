// The ETA holds: a reduced preset 1 (16 images, four models, regression and CKA) is run in
// the page, every status line timed; the ETA read about a third of the way through is within
// 30% of the time that then really remained.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, LONG_MS, browserAndServer, openFormReady, outDir, waitForResult } from './helpers.mjs';

const env = browserAndServer();

/** Seconds in "1 min 5 s", "12.5 s" or "800 ms". */
function seconds(text) {
  const m = /(?:(\d+) min )?(\d+(?:\.\d+)?) (s|ms)/.exec(text);
  if (!m) return null;
  return Number(m[1] || 0) * 60 + Number(m[2]) / (m[3] === 'ms' ? 1000 : 1);
}

test('the ETA at a third of a reduced preset 1 is within 30% of the time that remained', { timeout: LONG_MS }, async () => {
  const preset = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/identify-architecture.json'), 'utf8'));
  const spec = {
    ...preset,
    name: 'Identify the architecture (reduced)',
    stimuli: { set: 'kriegeskorte92', limit: 16 },
    sources: [preset.sources[0], preset.sources[2]],
    targets: [preset.targets[0], preset.targets[2]],
  };
  const { page, context } = await openFormReady(env.browser, env.server.url);
  try {
    await page.evaluate(() => {
      window.__lines = [];
      new MutationObserver(() => window.__lines.push([performance.now(), document.getElementById('status').textContent]))
        .observe(document.getElementById('status'), { childList: true, characterData: true, subtree: true });
    });
    const started = await page.evaluate(() => performance.now());
    await page.evaluate((s) => { window.idlab.run(s).catch(() => {}); }, spec);
    await waitForResult(page);
    const lines = await page.evaluate(() => window.__lines);
    const end = lines.find(([, t]) => /^Done in/.test(t))[0];
    const etas = lines.map(([at, t]) => ({ at, left: /about (.+) left/.test(t) ? seconds(/about (.+) left/.exec(t)[1]) : null }))
      .filter((e) => e.left !== null);
    const third = started + (end - started) / 3;
    const read = etas.find((e) => e.at >= third);
    assert.ok(read, 'an ETA is shown after a third of the run');
    const really = (end - read.at) / 1000;
    const report = { total_s: (end - started) / 1000, read_at_s: (read.at - started) / 1000, eta_s: read.left, remained_s: really };
    fs.writeFileSync(path.join(outDir('eta'), 'eta.json'), JSON.stringify({ report, etas: etas.map((e) => [(e.at - started) / 1000, e.left]) }, null, 1));
    assert.ok(Math.abs(read.left - really) <= 0.3 * really, `ETA ${read.left.toFixed(1)} s vs ${really.toFixed(1)} s that remained: ${JSON.stringify(report)}`);
  } finally {
    await context.close();
  }
});
