// Figures that stand alone (www/views/): no sharing or cloud control, help under every figure,
// lines told apart by colour and named at their ends, ties and warnings shown, exports that carry
// their caption and provenance, and narrow screens; on the same hand-written result as
// views.test.mjs (tests/fixtures/results/identify-small.json). Needs no build.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, outDir } from './helpers.mjs';
import { FIXTURE, useViewsPage } from './views-site.mjs';

const env = useViewsPage();

test('nothing leaves the tab: no share, cloud or Chart Studio control on any plot', async () => {
  const out = await env.page.evaluate(() => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    return {
      plots: plots.length,
      contexts: plots.map((gd) => ({
        cloud: gd._context.showSendToCloud, studio: gd._context.showEditInChartStudio, link: gd._context.showLink,
        send: gd._context.sendData, server: gd._context.plotlyServerURL,
      })),
      buttons: [...document.querySelectorAll('.modebar-btn, button, a')].map((b) => `${b.getAttribute('data-title') ?? ''} ${b.textContent}`),
    };
  });
  assert.ok(out.plots > 0);
  for (const c of out.contexts) assert.deepEqual(c, { cloud: false, studio: false, link: false, send: false, server: '' });
  const offending = out.buttons.filter((t) => /share|chart studio|edit in|cloud/i.test(t));
  assert.deepEqual(offending, [], 'no sharing or cloud control');
});

test('every figure has a "What am I looking at?" and lines differ by colour and are named at their ends', async () => {
  const figs = await env.page.evaluate(() => [...document.querySelectorAll('#views figure')].map((f) => ({
    kind: f.dataset.kind, help: f.querySelector('details.idlab-help summary')?.textContent, text: f.querySelector('details.idlab-help p')?.textContent,
  })));
  for (const f of figs) {
    assert.equal(f.help, 'What am I looking at?', `${f.kind} has help`);
    assert.ok(f.text.length > 40, `${f.kind}: ${f.text}`);
  }
  const best = await env.page.evaluate(() => {
    const gd = document.querySelector('figure[data-kind="identifiability-best"] .js-plotly-plot');
    return {
      colors: gd.data.filter((t) => t.mode === 'lines+markers').map((t) => t.line.color),
      labels: (gd.layout.annotations ?? []).map((a) => a.text),
      legend: gd.layout.showlegend,
    };
  });
  assert.equal(new Set(best.colors).size, best.colors.length, `one colour per series: ${best.colors}`);
  assert.deepEqual(best.labels.sort(), ['alexnet seed 0 (correct)', 'vgg11 seed 0'], 'direct labels at the line ends');
  assert.equal(best.legend, false, 'no legend to match colours against');
});

test('a tie is reported as a tie, never as a win, and a score\'s warning is shown beside it', async () => {
  const out = await env.page.evaluate(async (result) => {
    const tied = structuredClone(result);
    const layers = tied.identifiability[0].layers;
    layers[0] = { ...layers[0], outcome: 'tie', correct_won: false, margin: 0.001, margin_needed: 0.02, margin_basis: 'one standard error of the difference' };
    layers[1] = { ...layers[1], outcome: 'won', margin: 0.05, margin_needed: 0.02, margin_basis: 'one standard error of the difference' };
    tied.scores = tied.scores.map((s) => (s.target === tied.identifiability[0].target
      ? { ...s, warnings: ['only 2 test images per split: scored by 5-fold cross-validation'] } : s));
    const box = document.createElement('div');
    document.body.append(box);
    await window.views.renderResult(box, tied);
    const verdict = box.querySelector('.idlab-verdict').textContent;
    const warnings = [...box.querySelectorAll('.idlab-warnings li')].map((li) => li.textContent);
    const colors = box.querySelector('figure[data-kind="identifiability-index"] .js-plotly-plot').data[0].marker.color;
    for (const gd of box.querySelectorAll('.js-plotly-plot')) window.Plotly.purge(gd);
    box.remove();
    return { verdict, warnings, colors, plain: window.views.verdict(result, result.identifiability[0]) };
  }, FIXTURE);
  assert.match(out.verdict, /won at 1 of 3 target layers and tied at 1 \(features\.2: the margin was within one standard error of the difference\)/);
  assert.doesNotMatch(out.verdict, /won at 2/);
  assert.match(out.verdict, /A win needs a margin beyond one standard error of the difference\./);
  assert.equal(out.colors[0], '#9aa1ad', 'a tie is not drawn as a win');
  assert.ok(out.warnings.some((w) => /5-fold cross-validation/.test(w)), `the warning is shown: ${out.warnings}`);
  assert.equal(out.plain, 'The correct architecture (alexnet) won at 2 of 3 target layers; it lost at classifier.1 (vgg11 seed 0 won).', 'older results read as before');
});

test('exported PNG and SVG carry the caption and provenance; download names are whole words', async () => {
  const out = await env.page.evaluate(async () => {
    const gd = document.querySelector('#views figure[data-kind="heatmap"] .js-plotly-plot');
    const caption = gd.closest('figure').querySelector('.idlab-caption-text').textContent;
    const svg = await (await window.views.stampedImage(gd, 'svg', { caption })).text();
    const png = await window.views.stampedImage(gd, 'png', { caption });
    return { svg, caption, png: png.type, size: png.size, line: window.views.provenanceLine(gd) };
  });
  assert.equal(out.png, 'image/png');
  assert.ok(out.size > 1000);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(out.line, `Identify small: AlexNet and VGG-11 sources against seeded targets and human IT · idlab 0.1.0 · ${today}`);
  assert.ok(out.svg.includes('idlab 0.1.0'), 'the version is drawn into the SVG');
  assert.ok(out.svg.includes(today), 'and the date');
  assert.ok(out.svg.includes(out.caption.split(' ').slice(0, 4).join(' ')), 'and the caption');
  // The spec's name cut at a word ("vgg-11", not "source" of "sources"), the download short.
  const [svg] = await Promise.all([
    env.page.waitForEvent('download'),
    env.page.locator('#views figure[data-kind="heatmap"] button[data-format="svg"]').first().click(),
  ]);
  const name = svg.suggestedFilename();
  assert.match(name, /^identify-small-alexnet-and-vgg-11-cka-/, name);
  assert.ok(name.length <= 70, `short: ${name}`);
  const drawn = await (await svg.createReadStream()).toArray().then((parts) => Buffer.concat(parts).toString('utf8'));
  assert.ok(drawn.includes('idlab 0.1.0'), 'the downloaded SVG carries the provenance');
});

test('at 390 px wide a figure keeps its title in view, no mode bar over it, every tick label', async () => {
  const narrow = await openPage(env.browser, `${env.server.url}views-test.html`);
  try {
    await narrow.page.setViewportSize({ width: 390, height: 844 });
    await narrow.page.waitForFunction(() => typeof window.Plotly === 'object');
    const out = await narrow.page.evaluate(async (result) => {
      const views = await import('./views/index.js');
      await views.renderResult(document.getElementById('views'), result);
      const gd = document.querySelector('figure[data-kind="identifiability-index"] .js-plotly-plot');
      const title = gd.querySelector('.gtitle').getBoundingClientRect();
      const bar = gd.querySelector('.modebar-container');
      return {
        title: { left: title.left, right: title.right, top: title.top }, width: window.innerWidth,
        modebar: bar ? bar.getBoundingClientRect().height : 0,
        ticks: gd.querySelectorAll('.xtick').length, layers: gd.data[0].x.length,
      };
    }, FIXTURE);
    assert.ok(out.title.left >= 0 && out.title.right <= out.width, `title inside the viewport: ${JSON.stringify(out)}`);
    assert.equal(out.modebar, 0, 'no mode bar over the title');
    assert.equal(out.ticks, out.layers, 'every layer name kept');
    await narrow.page.screenshot({ path: path.join(outDir('views'), 'narrow-390.png'), fullPage: true }).catch(() => {});
  } finally {
    await narrow.context.close();
  }
});
