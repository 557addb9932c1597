// The embeddable figure (<idlab-figure>, www/embed.js) and its iframe form (www/embed.html) in a
// blog post (tests/fixtures/blog/) on a header-less static server, the lab on another one (another
// origin, CORS as GitHub Pages sends it, no COOP/COEP): the figures run single-threaded on one
// worker, their values equal `idlab run`'s on the same reduced specs, the post's own script and
// styles keep working and do not reach inside, and wrong attributes say so inside the element.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import { BIN, DIST, ROOT, assertBuilt, launchBrowser, openPage, outDir, withServer } from './helpers.mjs';
import { startStatic } from './static-server.mjs';

const BLOG = path.join(ROOT, 'tests/fixtures/blog');
const RUN_MS = 240000;

let browser;
let lab;
let blog;

before(async () => {
  assertBuilt();
  lab = await startStatic(DIST, { cors: true });
  blog = await startStatic(BLOG);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await lab?.close();
  await blog?.close();
});

/** A preset on its first `images` images, as the element's images attribute makes it. */
function reduced(preset, images) {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', `${preset}.json`), 'utf8'));
  return { ...spec, stimuli: { ...spec.stimuli, limit: images } };
}

/** `idlab run`'s result.json for a spec. */
function native(spec, name) {
  const dir = outDir('embed', `native-${name}`);
  const file = path.join(dir, 'spec.json');
  fs.writeFileSync(file, JSON.stringify(spec));
  const run = spawnSync(BIN, ['run', file, '-o', dir, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, `idlab run ${name} failed: ${run.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
}

/** Every number of `a` within 1e-4 of `b`'s, everything else equal (null stays null). */
function assertClose(a, b, where) {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-4, `${where}: ${a} vs ${b}`);
    return;
  }
  if (Array.isArray(a) || (a && typeof a === 'object')) {
    assert.ok(b && typeof b === 'object', `${where}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`);
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) assertClose(a[k], b[k], `${where}.${k}`);
    return;
  }
  assert.deepEqual(a, b, where);
}

/** The host's own elements' computed styles the post's CSS sets (must not change). */
function hostStyles(page) {
  return page.evaluate(() => {
    const cs = (sel, props) => {
      const s = getComputedStyle(document.querySelector(sel));
      return Object.fromEntries(props.map((p) => [p, s.getPropertyValue(p)]));
    };
    return {
      body: cs('body', ['font-family', 'color', 'background-color', 'line-height']),
      figure: cs('figure.post-figure', ['border-top-width', 'border-top-color', 'padding-top']),
      button: cs('#counter', ['background-color', 'color', 'font-size', 'border-radius']),
      h2: cs('h2', ['text-transform', 'letter-spacing']),
      p: cs('p.lede', ['margin-top']),
    };
  });
}

/**
 * The post's markup, but for what the post's own script changes (the iframe's height, from its
 * resize messages) and Plotly's hidden text-measuring <svg id="js-plotly-tester">, which Plotly
 * adds to any page's body it draws in.
 */
function hostMarkup() {
  const body = document.body.cloneNode(true);
  body.querySelector('#js-plotly-tester')?.remove();
  body.querySelector('#frame').removeAttribute('style');
  return body.innerHTML;
}

test('two figures and an iframe in a blog post on another origin: values, one worker, the host unharmed', { timeout: 8 * 60 * 1000 }, async () => {
  const specs = {
    cka: reduced('alexnet-seeds-cka', 8),
    it: reduced('random-alexnet-vs-it', 8),
    frame: reduced('alexnet-seeds-cka', 10),
  };
  const { page, context, problems } = await openPage(browser, 'about:blank');
  try {
    // Every event the figures dispatch, heard on the host's document from the start.
    await page.addInitScript(() => {
      window.heard = [];
      for (const type of ['idlab-result', 'idlab-error']) {
        document.addEventListener(type, (e) => window.heard.push({ type, id: e.target.id, message: e.detail?.message ?? null }));
      }
    });
    await page.goto(`${blog.url}index.html?lab=${encodeURIComponent(lab.url)}`, { waitUntil: 'load' });
    const stylesBefore = await hostStyles(page);
    const bodyBefore = await page.evaluate(hostMarkup);

    // The click figure shows its estimates (the core's memory, the table's time) and a Run button.
    const it = page.locator('#fig-it');
    await it.locator('.estimate').filter({ hasText: /Needs .* of memory, about .* here/ }).waitFor({ timeout: 120000 });
    assert.match(await it.locator('.estimate').getAttribute('title'), /BENCHMARKS\.md/);
    assert.match(await it.locator('.summary').textContent(), /on 8 images/);
    await it.locator('button.run').click();

    await page.waitForFunction(() => ['fig-cka', 'fig-cka-again', 'fig-it'].every((id) => document.getElementById(id).result),
      null, { timeout: RUN_MS, polling: 500 });
    await page.waitForFunction(() => window.blog.messages.some((m) => m.type === 'result'), null, { timeout: RUN_MS });

    await page.screenshot({ path: path.join(outDir('embed'), 'blog-post.png'), fullPage: true });
    await page.locator('#fig-cka').screenshot({ path: path.join(outDir('embed'), 'figure-heatmaps.png') });
    await page.locator('#fig-cka-again').screenshot({ path: path.join(outDir('embed'), 'figure-dark.png') });
    await page.locator('#frame').screenshot({ path: path.join(outDir('embed'), 'iframe.png') });

    // Values: each equals idlab run's on the same reduced spec.
    const got = await page.evaluate(() => {
      const r = (id) => document.getElementById(id).result;
      const frame = window.blog.messages.find((m) => m.type === 'result').data.result;
      return {
        cka: r('fig-cka').scores, it: r('fig-it').scores, frame: frame.scores,
        shared: r('fig-cka') === r('fig-cka-again'),
        flavors: [r('fig-cka').flavor, r('fig-it').flavor, frame.flavor],
        isolated: window.crossOriginIsolated,
      };
    });
    for (const name of ['cka', 'it', 'frame']) assertClose(got[name], native(specs[name], name).scores, `${name}.scores`);
    assert.equal(got.shared, true, 'the two figures of one spec share one run');
    assert.deepEqual(got.flavors, ['single', 'single', 'single']);
    assert.equal(got.isolated, false);

    // One worker for the post's figures (the iframe, another document, has its own).
    const hostWorkers = page.workers().filter((w) => w.url().startsWith(`blob:${blog.origin}`));
    assert.equal(hostWorkers.length, 1, `workers: ${page.workers().map((w) => w.url()).join(', ')}`);

    // Caption: the paper, the build and why, the lab's permalink of the reduced spec.
    const caption = await it.locator('.caption').textContent();
    assert.match(caption, /Truzzi & Cusack/);
    assert.match(caption, /single-threaded: this page is not cross-origin isolated/);
    const open = await it.locator('a.open').getAttribute('href');
    assert.ok(open.startsWith(`${lab.url}index.html#spec=`), open);
    assert.deepEqual(JSON.parse(decodeURIComponent(open.split('#spec=')[1])), specs.it);

    // The figures: the views asked for, with their PNG / SVG buttons, drawn in the shadow roots.
    assert.ok(await page.locator('#fig-cka .idlab-heatmaps .js-plotly-plot').count() >= 1);
    assert.ok(await page.locator('#fig-it .idlab-rdm-bars, #fig-it [data-kind="rdm-bars"]').count() >= 1);
    assert.equal(await page.locator('#fig-it .idlab-heatmaps').count(), 0, 'only the named view');
    assert.ok(await page.locator('#fig-cka button.idlab-download[data-format="png"]').count() >= 1);

    // Plotly's hover labels and mode bar work inside the shadow root (its rules copied in).
    const plot = page.locator('#fig-cka .js-plotly-plot').first();
    await plot.scrollIntoViewIfNeeded();
    const box = await plot.locator('.nsewdrag').first().boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2 + 3, box.y + box.height / 2 + 3);
    await plot.locator('.hoverlayer .hovertext').first().waitFor({ timeout: 10000 });
    const modebar = await plot.locator('.modebar').first().evaluate((m) => getComputedStyle(m).position);
    assert.equal(modebar, 'absolute', "Plotly's mode bar rules reach the shadow root");

    // The host's styles do not reach inside: a figure's own <figure> and buttons are the lab's.
    const inside = await page.locator('#fig-cka').evaluate((el) => {
      const fig = el.shadowRoot.querySelector('figure.idlab-figure');
      const button = el.shadowRoot.querySelector('button.idlab-download');
      const frame = el.shadowRoot.querySelector('.frame');
      return {
        figureBorder: getComputedStyle(fig).borderTopWidth,
        figureColor: getComputedStyle(fig).borderTopColor,
        buttonBg: getComputedStyle(button).backgroundColor,
        font: getComputedStyle(frame).fontFamily,
      };
    });
    assert.notEqual(inside.figureBorder, '5px');
    assert.notEqual(inside.figureColor, 'rgb(255, 0, 0)');
    assert.notEqual(inside.buttonBg, 'rgb(0, 128, 0)');
    assert.doesNotMatch(inside.font, /Georgia/);
    const dark = await page.locator('#fig-cka-again').evaluate((el) => el.shadowRoot.querySelector('.frame').classList.contains('dark'));
    assert.equal(dark, true, 'theme="dark"');

    // The host is unharmed: its styles, its markup outside the figures, its script.
    assert.deepEqual(await hostStyles(page), stylesBefore);
    assert.equal(await page.evaluate(hostMarkup), bodyBefore);
    await page.locator('#counter').click();
    await page.locator('#counter').click();
    assert.equal(await page.locator('#counter').textContent(), 'clicked 2 times');

    // The iframe's messages: ready, progress, result, resize (and the frame sized by it).
    const types = await page.evaluate(() => [...new Set(window.blog.messages.map((m) => m.type))]);
    for (const t of ['ready', 'progress', 'result', 'resize']) assert.ok(types.includes(t), `iframe message ${t}: got ${types}`);
    const origins = await page.evaluate(() => [...new Set(window.blog.messages.map((m) => m.origin))]);
    assert.deepEqual(origins, [lab.origin]);
    await page.waitForFunction(() => parseFloat(document.getElementById('frame').style.height) > 300, null, { timeout: 20000 });
    const frameHeight = await page.evaluate(() => {
      const last = window.blog.messages.filter((m) => m.type === 'resize').pop().data.height;
      return { last, style: document.getElementById('frame').style.height };
    });
    assert.equal(frameHeight.style, `${frameHeight.last}px`);
    assert.ok(frameHeight.last > 300, `the iframe's figure is taller than its first 300 px: ${frameHeight.last}`);

    // Wrong attributes: a clear message inside each element, an idlab-error event, nothing else.
    const errorOf = (id) => page.locator(`#${id} .error`);
    await errorOf('bad-spec').waitFor({ timeout: 60000 });
    assert.match(await errorOf('bad-preset').textContent(), /Unknown preset "no-such-preset"\. The presets are: .*alexnet-seeds-cka/);
    assert.match(await errorOf('bad-json').textContent(), /The spec attribute is not valid JSON/);
    assert.match(await errorOf('bad-view').textContent(), /Unknown view "no-such-view"\. The views are: overview, .*rdm-bars/);
    assert.ok((await errorOf('bad-spec').textContent()).length > 10);
    const heard = await page.evaluate(() => window.heard);
    const errors = heard.filter((h) => h.type === 'idlab-error').map((h) => h.id).sort();
    assert.deepEqual(errors, ['bad-json', 'bad-preset', 'bad-spec', 'bad-view']);
    assert.deepEqual(heard.filter((h) => h.type === 'idlab-result').map((h) => h.id).sort(), ['fig-cka', 'fig-cka-again', 'fig-it']);

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("on a cross-origin isolated page of the lab's origin: threaded; run() and cancel()", { timeout: 4 * 60 * 1000 }, async () => {
  await withServer({ isolation: true }, async (server) => {
    const url = `${server.url}embed.html#preset=alexnet-seeds-cka&view=overview&images=8&run=load`;
    const { page, context, problems } = await openPage(browser, url);
    try {
      const figure = page.locator('idlab-figure');
      await page.waitForFunction(() => document.querySelector('idlab-figure')?.result, null, { timeout: RUN_MS, polling: 500 });
      assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
      const result = await figure.evaluate((el) => el.result);
      assert.equal(result.flavor, 'threads');
      assertClose(result.scores, native(reduced('alexnet-seeds-cka', 8), 'cka').scores, 'threaded scores');
      assert.match(await figure.locator('.caption').textContent(), /Build: threaded \(\d+ threads?, relaxed SIMD\)/);

      // A new images attribute resets it (run="load": it starts again); cancel() stops that run.
      const outcome = await figure.evaluate(async (el) => {
        const events = [];
        el.addEventListener('idlab-result', () => events.push('result'));
        el.addEventListener('idlab-error', () => events.push('error'));
        el.setAttribute('run', 'click');
        el.setAttribute('images', '40');
        const progressed = new Promise((resolve) => el.addEventListener('idlab-progress', resolve, { once: true }));
        const ran = el.run();
        await progressed;
        el.cancel();
        const value = await ran;
        return { value, events, status: el.shadowRoot.querySelector('.status').textContent, run: !el.shadowRoot.querySelector('button.run').hidden };
      });
      assert.deepEqual(outcome, { value: null, events: [], status: 'Cancelled.', run: true });

      // theme="auto" (the default) follows the reader's prefers-color-scheme, live.
      // (The media query's change event is asynchronous: wait for the frame to follow it.)
      const dark = (want) => page.waitForFunction((w) => document.querySelector('idlab-figure').shadowRoot
        .querySelector('.frame').classList.contains('dark') === w, want, { timeout: 5000 });
      await page.emulateMedia({ colorScheme: 'dark' });
      await dark(true);
      await page.emulateMedia({ colorScheme: 'light' });
      await dark(false);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});

test('the iframe form in a page that is not isolated: Document-Isolation-Policy (idlab serve) isolates the frame alone, threaded', { timeout: 3 * 60 * 1000 }, async () => {
  await withServer({ isolation: true }, async (server) => {
    const src = `${server.url}embed.html#preset=alexnet-seeds-cka&view=overview&images=4&run=load`;
    const { page, context, problems } = await openPage(browser, `${blog.url}frame.html?src=${encodeURIComponent(src)}`);
    try {
      assert.equal(await page.evaluate(() => window.crossOriginIsolated), false, 'the host page is not isolated');
      const frame = await (await page.waitForSelector('iframe#figure')).contentFrame();
      await frame.waitForFunction(() => document.querySelector('idlab-figure')?.result, null, { timeout: RUN_MS, polling: 500 });
      assert.equal(await frame.evaluate(() => window.crossOriginIsolated), true, 'the frame is isolated on its own');
      const result = await frame.evaluate(() => document.querySelector('idlab-figure').result);
      assert.equal(result.flavor, 'threads');
      assertClose(result.scores, native(reduced('alexnet-seeds-cka', 4), 'cka-dip').scores, 'framed threaded scores');
      assert.deepEqual(problems.filter((p) => !/favicon/.test(p)), []);
    } finally {
      await context.close();
    }
  });
});

test('what loads when: embed.js small, the wasm once a figure is seen, Plotly and data once it runs', { timeout: 3 * 60 * 1000 }, async () => {
  const gz = zlib.gzipSync(fs.readFileSync(path.join(DIST, 'embed.js'))).length;
  assert.ok(gz < 30 * 1024, `embed.js is ${gz} bytes compressed`);
  const from = lab.requests.length;
  const asked = () => lab.requests.slice(from);
  const { page, context, problems } = await openPage(browser, `${blog.url}quiet.html?lab=${encodeURIComponent(lab.url)}`);
  try {
    const figure = page.locator('#below');
    await figure.locator('.name').filter({ hasText: 'AlexNet seed 0 vs seed 1' }).waitFor({ timeout: 30000 });
    await page.waitForTimeout(500);
    const heavy = (re) => asked().filter((p) => re.test(p));
    assert.deepEqual(heavy(/\.wasm|plotly|\/data\/|\/views\//), [], 'nothing heavy before the figure is seen');

    await figure.scrollIntoViewIfNeeded();
    await figure.locator('.estimate').filter({ hasText: /Needs/ }).waitFor({ timeout: 120000 });
    assert.equal(heavy(/pkg\/single\/idlab_bg\.wasm/).length, 1, 'the wasm, for the core\'s check and estimate');
    assert.deepEqual(heavy(/plotly|\/data\//), [], 'no Plotly nor data before Run');

    await figure.locator('button.run').click();
    await page.waitForFunction(() => document.getElementById('below').result, null, { timeout: RUN_MS, polling: 500 });
    assert.equal(heavy(/vendor\/plotly\.min\.js/).length, 1);
    assert.ok(heavy(/\/data\//).length >= 8, 'the 8 images');
    // No view attribute: what the lab draws for this result (a single table: the overview heatmap).
    assert.equal(await figure.locator('.js-plotly-plot').count(), 1);
    assert.equal(await figure.locator('figure[data-kind="heatmap"]').count(), 1);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
