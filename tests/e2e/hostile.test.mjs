// The hostile files of tests/fixtures/hostile/ (issue 17) through the page's own
// inputs: the ONNX file input, the images input, the data input with its "Score
// against" buttons and Run, the spec box and the permalink. For each: the message
// (expected.json's fragments, or its page_message where the page words it its own
// way) appears in the error area, a click on the spec's <details> answers within
// 1 s while the file is being read and after, and every Chromium process together
// stays under MEMORY_BOUND (their resident memory, read from /proc every 100 ms).
// The CLI side of the same files is crate/tests/hostile.rs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, browserAndServer, openPage, openFormReady, waitReady, outDir } from './helpers.mjs';

// Every hostile file has a way into the page (expected.json's `page`); none is skipped.

const HOSTILE = path.join(ROOT, 'tests/fixtures/hostile');
const EXPECTED = JSON.parse(fs.readFileSync(path.join(HOSTILE, 'expected.json'), 'utf8')).files;
const TINY = path.join(HOSTILE, 'companion/tiny.onnx');

/**
 * The bound on the browser's memory: all Chromium processes' resident memory
 * together (the tab, its workers and their wasm memory, the GPU and network
 * processes). The lab loaded and idle takes about 0.5 GB of it; the hostile files
 * claim 4 to 100 GB, so a page that allocated what a file claims would cross it.
 */
const MEMORY_BOUND = 2 * 2 ** 30;
/** How long a click may take to answer, while a file is read and after. */
const CLICK_MS = 1000;
/** How long the page may take to show a file's error. */
const ERROR_MS = 20000;

const env = browserAndServer();

// ------------------------------------------------------------------ memory

/**
 * Proportional resident bytes (Pss: a page shared by n processes counts 1/n in
 * each) of every process under this one (the browser's), but the lab's server.
 */
function browserRss() {
  const parent = new Map();
  const info = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      parent.set(pid, fields[1]);
      info.set(pid, { comm, pid });
    } catch { /* gone meanwhile */ }
  }
  const mine = String(process.pid);
  const under = (pid) => {
    for (let p = parent.get(pid), n = 0; p && n < 64; p = parent.get(p), n++) if (p === mine) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { comm }] of info) {
    if (comm === 'idlab' || !under(pid)) continue;
    try {
      const pss = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (pss) total += Number(pss[1]) * 1024;
    } catch { /* gone meanwhile */ }
  }
  return total;
}

const memory = { peak: 0, timer: null, samples: 0 };
before(() => {
  memory.timer = setInterval(() => {
    memory.peak = Math.max(memory.peak, browserRss());
    memory.samples += 1;
  }, 100);
});
after(() => {
  clearInterval(memory.timer);
  fs.writeFileSync(path.join(outDir('hostile'), 'memory.json'), JSON.stringify({ peak_bytes: memory.peak, bound_bytes: MEMORY_BOUND, samples: memory.samples }, null, 2));
});

function assertMemory(label) {
  const now = browserRss();
  memory.peak = Math.max(memory.peak, now);
  assert.ok(memory.peak < MEMORY_BOUND, `${label}: the browser's memory peaked at ${(memory.peak / 2 ** 30).toFixed(2)} GiB, over ${MEMORY_BOUND / 2 ** 30} GiB`);
}

// ------------------------------------------------------------------ page helpers

function entry(file) {
  const e = EXPECTED.find((x) => x.file === file);
  assert.ok(e, `${file} is in expected.json`);
  return e;
}

/** The fragments the page's error must hold, in order. */
const pageFragments = (e) => e.page_message || e.message;

/** Clicks the spec's <summary> and waits for <details> to toggle, within CLICK_MS; toggles it back. */
async function clickAnswers(page, label) {
  for (let i = 0; i < 2; i++) {
    const start = Date.now();
    const was = await page.evaluate(() => document.querySelector('details.spec').open);
    await page.click('details.spec > summary', { timeout: CLICK_MS });
    await page.waitForFunction((w) => document.querySelector('details.spec').open !== w, was, { timeout: CLICK_MS })
      .catch(() => assert.fail(`${label}: a click did not answer within ${CLICK_MS} ms`));
    assert.ok(Date.now() - start <= CLICK_MS + 200, `${label}: the click took ${Date.now() - start} ms`);
  }
}

/** Waits for an element (#error by default) to show every fragment in order; fails with what it shows. */
async function waitMessage(page, e, selector = '#error') {
  const fragments = pageFragments(e);
  try {
    await page.waitForFunction(({ selector, fragments }) => {
      const el = document.querySelector(selector);
      if (!el || el.hidden) return false;
      const text = el.textContent;
      let at = 0;
      for (const f of fragments) {
        const i = text.indexOf(f, at);
        if (i < 0) return false;
        at = i + f.length;
      }
      return true;
    }, { selector, fragments }, { timeout: ERROR_MS });
  } catch {
    const shown = await page.evaluate((s) => { const el = document.querySelector(s); return el && !el.hidden ? el.textContent : '(hidden)'; }, selector);
    assert.fail(`${e.file}: ${selector} should hold ${JSON.stringify(fragments)}; it shows: ${shown}`);
  }
  return page.textContent(selector);
}

/** Clears #error, so the next wait sees only the next file's message. */
const clearError = (page) => page.evaluate(() => { const el = document.getElementById('error'); el.textContent = ''; el.hidden = true; });

async function typeSpec(page, spec) {
  await page.$eval('details.spec', (d) => { d.open = true; });
  await page.fill('#spec', typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
}

const currentSpec = async (page) => JSON.parse(await page.inputValue('#spec'));

/** One hostile file through the page: `feed` starts it; the click answers meanwhile; the message shows; the click answers after. */
async function hostile(page, file, feed, selector) {
  const e = entry(file);
  await clearError(page);
  const start = Date.now();
  await feed(e);
  await clickAnswers(page, `${file} (while read)`);
  const shown = await waitMessage(page, e, selector);
  await clickAnswers(page, `${file} (after)`);
  assertMemory(file);
  return { file, ms: Date.now() - start, shown: shown.trim() };
}

const seen = [];

// ------------------------------------------------------------------ tests

test('hostile files through the page: ONNX, images, zips, data files and the spec box', { timeout: 80000 }, async () => {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    // ONNX files, through "Your model (ONNX)" of the source side.
    await page.selectOption('#source-arch', '__onnx__');
    for (const e of EXPECTED.filter((x) => x.page === 'onnx')) {
      seen.push(await hostile(page, e.file, async () => {
        await page.setInputFiles('#source-onnx-file', []);
        await page.setInputFiles('#source-onnx-file', path.join(HOSTILE, e.file));
      }));
    }
    // A tiny model on both sides, so a run reaches the images and the data at once.
    for (const side of ['source', 'target']) {
      await page.selectOption(`#${side}-arch`, '__onnx__');
      await page.setInputFiles(`#${side}-onnx-file`, []);
      await page.setInputFiles(`#${side}-onnx-file`, TINY);
      await page.waitForFunction((s) => document.querySelectorAll(`#${s}-onnx-layers option`).length > 0, side, { timeout: ERROR_MS });
    }
    const tiny = (await currentSpec(page)).sources[0];
    assert.equal(tiny.onnx, 'tiny.onnx');

    // Data files: the data input, "Score the sources against these ...", Run (the core reads the file when the run starts).
    for (const e of EXPECTED.filter((x) => x.page === 'data')) {
      seen.push(await hostile(page, e.file, async () => {
        await page.setInputFiles('#upload-data', []);
        await page.setInputFiles('#upload-data', path.join(HOSTILE, e.file));
        await page.waitForFunction((f) => document.getElementById('data-info').textContent.includes(f), e.file);
        await page.click(/rdm/.test(e.file) ? '#use-rdms' : '#use-responses');
        const spec = await currentSpec(page);
        await typeSpec(page, { ...spec, sources: [tiny], stimuli: { set: 'kriegeskorte92', limit: 4 } });
        await page.waitForSelector('#run:not([disabled])', { timeout: ERROR_MS });
        await page.click('#run');
      }));
    }

    // Images and zips, through the images input; a zip is unpacked at once, images are decoded by the run.
    for (const e of EXPECTED.filter((x) => x.page === 'images')) {
      seen.push(await hostile(page, e.file, async () => {
        if (e.file.endsWith('.zip')) return page.setInputFiles('#upload-images', path.join(HOSTILE, e.file));
        // A run needs 3 images: the hostile one and two good ones.
        await page.setInputFiles('#upload-images', [e.file, 'companion/ok-1.png', 'companion/ok-2.png'].map((f) => path.join(HOSTILE, f)));
        await page.waitForFunction(() => document.getElementById('stimulus-set').value === 'upload', null, { timeout: ERROR_MS });
        const spec = await currentSpec(page);
        await typeSpec(page, { ...spec, sources: [tiny], targets: [tiny], metrics: [{ name: 'cka' }] });
        await page.waitForSelector('#run:not([disabled])', { timeout: ERROR_MS });
        await page.click('#run');
      }));
    }

    // Specs past the limits, typed into the spec box (the javascript: URL is the core's to refuse).
    for (const e of EXPECTED.filter((x) => x.page === 'spec')) {
      seen.push(await hostile(page, e.file, async () => {
        await typeSpec(page, fs.readFileSync(path.join(HOSTILE, e.file), 'utf8'));
      }, e.file === 'javascript-url.json' ? '#run-reason' : '#error'));
    }

    await page.screenshot({ path: path.join(outDir('hostile'), 'after-all.png'), fullPage: true });
    // Reported in the page, never as an uncaught error or a crashed worker.
    assert.deepEqual(problems.filter((p) => !/HTTP 4\d\d/.test(p)), [], 'no console errors, page errors or crashes');
  } finally {
    await context.close();
  }
});

test('hostile permalinks: a spec past the size or depth limit and a javascript: URL', { timeout: 60000 }, async () => {
  // Chromium refuses URLs over 2 MiB, so the link form of big-spec.json is cut
  // to 1.5 MiB: past the 1 MiB a spec may be, short enough to reach the page.
  const big = JSON.parse(fs.readFileSync(path.join(HOSTILE, 'big-spec.json'), 'utf8'));
  big.about = big.about.slice(0, 1.5 * 2 ** 20);
  const links = [
    ['deep-spec.json', fs.readFileSync(path.join(HOSTILE, 'deep-spec.json'), 'utf8').trim(), null],
    ['big-spec.json', JSON.stringify(big), ['the spec is 1.5 MiB of JSON', 'more than the 1 MiB a spec may be']],
    ['javascript-url.json', JSON.stringify(JSON.parse(fs.readFileSync(path.join(HOSTILE, 'javascript-url.json'), 'utf8'))), null],
  ];
  for (const [file, text, fragments] of links) {
    const e = entry(file);
    const start = Date.now();
    const { page, context, problems } = await openPage(env.browser, `${env.server.url}#spec=${encodeURIComponent(text)}`);
    try {
      await waitReady(page);
      await clickAnswers(page, `${file} link (while read)`);
      const shown = await waitMessage(page, { ...e, page_message: fragments || e.link_message || pageFragments(e) });
      await clickAnswers(page, `${file} link (after)`);
      assertMemory(`${file} link`);
      assert.deepEqual(problems.filter((p) => !/HTTP 4\d\d/.test(p)), [], `${file} link: no console errors, page errors or crashes`);
      seen.push({ file: `${file} (link)`, ms: Date.now() - start, shown: shown.trim() });
    } finally {
      await context.close();
    }
  }
  fs.writeFileSync(path.join(outDir('hostile'), 'messages.json'), JSON.stringify(seen, null, 2));
});
