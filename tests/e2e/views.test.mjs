// Result views (www/views/) on a hand-written result document,
// tests/fixtures/results/identify-small.json: 2 zoo sources (alexnet, vgg11) x 2 zoo targets
// scored with CKA, with identifiability and one undefined (null) score, and a neural-RDM target
// (4 subjects) scored with RSA, p-values and a noise ceiling. Needs no build: views-site.mjs
// serves www/ as it is. The downloads (JSON, CSV, report) are views-exports.test.mjs's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, outDir } from './helpers.mjs';
import { FIXTURE, ONE_BY_ONE, SCORES_ONLY, readFixture, useViewsPage } from './views-site.mjs';

// For a look: the whole page and each figure on its own.
async function screenshots(page) {
  const dir = outDir('views');
  await page.screenshot({ path: path.join(dir, 'identify-small.png'), fullPage: true }).catch(() => {});
  const figures = page.locator('#views figure');
  for (let i = 0; i < await figures.count().catch(() => 0); i++) {
    const kind = await figures.nth(i).getAttribute('data-kind');
    await figures.nth(i).screenshot({ path: path.join(dir, `figure-${String(i).padStart(2, '0')}-${kind}.png`) }).catch(() => {});
  }
}

const env = useViewsPage({ beforeClose: screenshots });

/** The plot of the figure of `kind` whose plot div has data-* attributes matching `attrs` (0th match). */
function plotSelector(kind, attrs = {}) {
  const extra = Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join('');
  return `figure[data-kind="${kind}"] .js-plotly-plot${extra}`;
}

/** The caption of the figure of `kind` whose plot matches `attrs`. */
function captionOf(kind, attrs = {}) {
  const extra = Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join('');
  return env.page.locator(`figure[data-kind="${kind}"]:has(.js-plotly-plot${extra}) figcaption`).textContent();
}

/** Hover the point (curve, point) of a plot and return the hover label's text. */
async function hoverText(selector, opts) {
  return env.page.evaluate(async ({ selector, opts }) => {
    const gd = document.querySelector(selector);
    window.Plotly.Fx.hover(gd, opts);
    await new Promise((r) => setTimeout(r, 50));
    const text = [...gd.querySelectorAll('.hoverlayer .hovertext')].map((n) => n.textContent).join(' | ');
    window.Plotly.Fx.unhover(gd);
    return text;
  }, { selector, opts });
}

test('one figure per view, each with a caption and PNG and SVG buttons', async () => {
  const kinds = await env.page.evaluate(() => [...document.querySelectorAll('#views figure')].map((f) => ({
    kind: f.dataset.kind,
    caption: f.querySelector('figcaption .idlab-caption-text').textContent.trim(),
    plots: f.querySelectorAll('.js-plotly-plot').length,
    buttons: [...f.querySelectorAll('figcaption button')].map((b) => b.textContent),
  })));
  const count = (k) => kinds.filter((f) => f.kind === k).length;
  // 4 CKA scores: heatmaps; 2 RSA scores against RDMs: bars; 2 identifiability entries x 3 plots.
  assert.equal(kinds.length, 12, JSON.stringify(kinds.map((f) => f.kind)));
  assert.equal(count('heatmap'), 4);
  assert.equal(count('rdm-bars'), 2);
  assert.equal(count('identifiability-best'), 2);
  assert.equal(count('identifiability-index'), 2);
  assert.equal(count('identifiability-depth'), 2);
  for (const f of kinds) {
    assert.equal(f.plots, 1, `${f.kind}: one plot`);
    assert.ok(f.caption.length > 40, `${f.kind}: a caption saying what it shows: ${f.caption}`);
    assert.deepEqual(f.buttons, ['PNG', 'SVG'], `${f.kind}: download buttons`);
  }
  assert.equal(await env.page.locator('#views .js-plotly-plot').count(), 12);
  assert.deepEqual(env.problems, []);
});

test('a heatmap holds the fixture\'s values and layer names, null left undefined', async () => {
  const score = FIXTURE.scores[1]; // s1 -> t0, with a null at [2][1]
  const sel = plotSelector('heatmap', { source: 's1', target: 't0' });
  const drawn = await env.page.evaluate((sel) => {
    const gd = document.querySelector(sel);
    const d = gd.data[0];
    return {
      type: d.type, z: d.z, x: d.x, y: d.y, hovertemplate: d.hovertemplate,
      // Tick labels in reading order: left to right, top to bottom.
      xticks: [...gd.querySelectorAll('.xtick text')].sort((a, b) => a.getBoundingClientRect().left - b.getBoundingClientRect().left).map((t) => t.textContent),
      yticks: [...gd.querySelectorAll('.ytick text')].sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map((t) => t.textContent),
      xtitle: gd.layout.xaxis.title.text,
      ytitle: gd.layout.yaxis.title.text,
    };
  }, sel);
  assert.equal(drawn.type, 'heatmap');
  assert.deepEqual(drawn.z, score.values, 'z is the score matrix, null kept (not 0)');
  assert.deepEqual(drawn.x, FIXTURE.models[2].layers, 'columns: the target layers');
  assert.deepEqual(drawn.y, FIXTURE.models[1].layers, 'rows: the source layers');
  assert.deepEqual(drawn.xticks, FIXTURE.models[2].layers, 'x tick labels are the layer names');
  assert.deepEqual(drawn.yticks, FIXTURE.models[1].layers, 'y tick labels are the layer names, the first on top');
  assert.equal(drawn.xtitle, 'alexnet seed 1 layer');
  assert.equal(drawn.ytitle, 'vgg11 seed 0 layer');
  assert.match(drawn.hovertemplate, /%\{z:\.4f\}/);

  const cell = await hoverText(sel, { xval: 0, yval: 0 });
  assert.match(cell, /vgg11 seed 0: features\.2/);
  assert.match(cell, /alexnet seed 1: features\.2/);
  assert.match(cell, /linear CKA: 0\.8300/, `tooltip: ${cell}`);
  const undef = await hoverText(sel, { xval: 1, yval: 2 });
  assert.match(undef, /features\.10/);
  assert.match(undef, /linear CKA: undefined/, `tooltip of the null cell: ${undef}`);
  assert.doesNotMatch(undef, /0\.0000/);

  const caption = await captionOf('heatmap', { source: 's1', target: 't0' });
  assert.match(caption, /Blank cells are undefined/);
});

test('the overview: a summary line, the first table as a heatmap in the caller\'s plot div, and as a table', async () => {
  const score = FIXTURE.scores[1]; // s1 -> t0, with a null at [2][1]
  const out = await env.page.evaluate(async (score) => {
    const { summaryText, overviewIsAll, renderOverview, scoreTable, rendered } = window.views;
    const gd = document.createElement('div');
    gd.id = 'overview';
    document.body.append(gd);
    await rendered(renderOverview(gd, window.result, score));
    const d = gd.data[0];
    const drawn = {
      type: d.type, z: d.z, x: d.x, y: d.y, title: gd.layout.title.text,
      xtitle: gd.layout.xaxis.title.text, ytitle: gd.layout.yaxis.title.text, label: gd.getAttribute('aria-label'),
    };
    window.Plotly.Fx.hover(gd, { xval: 1, yval: 2 });
    await new Promise((r) => setTimeout(r, 50));
    const tip = [...gd.querySelectorAll('.hoverlayer .hovertext')].map((n) => n.textContent).join(' | ');
    window.Plotly.Fx.unhover(gd);
    // Drawn again in place (a re-run): the same div, the new values.
    await rendered(renderOverview(gd, window.result));
    const again = gd.data[0].z;
    window.Plotly.purge(gd);
    gd.remove();
    const table = scoreTable(window.result, score);
    const one = { ...window.result, scores: window.result.scores.slice(0, 1), identifiability: [], models: window.result.models.slice(0, 4) };
    return {
      drawn, tip, again,
      summary: summaryText(window.result),
      caption: table.caption.textContent,
      head: [...table.tHead.rows[0].cells].map((c) => c.textContent),
      rows: [...table.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
      all: [overviewIsAll(window.result), overviewIsAll(one)],
    };
  }, score);
  assert.equal(out.drawn.type, 'heatmap');
  assert.deepEqual(out.drawn.z, score.values, 'z is the score matrix, null kept');
  assert.deepEqual(out.drawn.x, FIXTURE.models[2].layers);
  assert.deepEqual(out.drawn.y, FIXTURE.models[1].layers);
  assert.equal(out.drawn.title, 'linear CKA: vgg11 seed 0 vs alexnet seed 1', 'titled with the pair it shows');
  assert.equal(out.drawn.xtitle, 'alexnet seed 1 layer');
  assert.equal(out.drawn.ytitle, 'vgg11 seed 0 layer');
  assert.match(out.drawn.label, /^Heatmap of linear CKA between 4 layers of vgg11 seed 0 and 3 layers of alexnet seed 1/);
  assert.match(out.tip, /undefined/, `the null cell's tooltip: ${out.tip}`);
  assert.deepEqual(out.again, FIXTURE.scores[0].values, 'drawn again in place with the first table');
  assert.equal(out.summary, 'linear CKA, RSA: alexnet seed 0, vgg11 seed 0 against alexnet seed 1, vgg11 seed 1, human IT, "fMRI", ' +
    'layer by layer, on 4 images, computed in 12.3 s (threaded wasm, idlab 0.1.0).');
  assert.equal(out.caption, 'linear CKA. Rows: vgg11 seed 0 layers. Columns: alexnet seed 1 layers.');
  assert.deepEqual(out.head, ['layer', ...FIXTURE.models[2].layers]);
  assert.deepEqual(out.rows[2], ['features.10', '0.360', 'undefined', '0.580']);
  assert.deepEqual(out.all, [false, true], 'the full views only when there is more than one table');
});

test('the correct source is highlighted, and the verdicts name the lost layers', async () => {
  const verdicts = await env.page.locator('.idlab-verdict').allTextContents();
  assert.deepEqual(verdicts, [
    'The correct architecture (alexnet) won at 2 of 3 target layers; it lost at classifier.1 (vgg11 seed 0 won).',
    'The correct architecture (vgg11) won at 4 of 4 target layers.',
  ]);

  for (const kind of ['identifiability-best', 'identifiability-depth']) {
    const traces = await env.page.evaluate((sel) => {
      const gd = document.querySelector(sel);
      return gd.data.filter((t) => t.mode === 'lines+markers').map((t) => ({ name: t.name, line: t.line, y: t.y }));
    }, plotSelector(kind));
    const correct = traces.filter((t) => t.name === 'alexnet seed 0 (correct)');
    const others = traces.filter((t) => t.name !== 'alexnet seed 0 (correct)');
    assert.equal(correct.length, 1, `${kind}: one correct trace in ${JSON.stringify(traces.map((t) => t.name))}`);
    assert.equal(others.length, 1);
    assert.equal(correct[0].line.width, 4, `${kind}: the correct source is thick`);
    assert.equal(correct[0].line.color, '#0072b2', `${kind}: and coloured`);
    assert.ok(others[0].line.width < 2, `${kind}: the others thin`);
    assert.notEqual(others[0].line.color, '#0072b2', `${kind}: and of another colour`);
    assert.ok(others[0].line.dash, `${kind}: and dashed`);
  }

  // Best layer of each source per target layer, from best_per_source.
  const best = await env.page.evaluate((sel) => document.querySelector(sel).data.map((t) => ({ name: t.name, x: t.x, y: t.y })),
    plotSelector('identifiability-best'));
  const alex = best.find((t) => t.name === 'alexnet seed 0 (correct)');
  assert.deepEqual(alex.x, ['features.2', 'features.5', 'classifier.1']);
  assert.deepEqual(alex.y, [0.91, 0.87, 0.62]);
  const tip = await hoverText(plotSelector('identifiability-best'), [{ curveNumber: best.findIndex((t) => t === alex), pointNumber: 2 }]);
  assert.match(tip, /classifier\.1/);
  assert.match(tip, /linear CKA: 0\.6200/, `tooltip: ${tip}`);

  // Index bars: blue where the correct source won, red where it lost.
  const index = await env.page.evaluate((sel) => {
    const d = document.querySelector(sel).data[0];
    return { y: d.y, colors: d.marker.color };
  }, plotSelector('identifiability-index'));
  assert.deepEqual(index.y, [0.08, 0.16, -0.04]);
  assert.deepEqual(index.colors, ['#0072b2', '#0072b2', '#d55e00']);
});

test('every source layer against a chosen target layer, over relative depth', async () => {
  const sel = plotSelector('identifiability-depth');
  const read = () => env.page.evaluate((sel) => document.querySelector(sel).data
    .filter((t) => t.mode === 'lines+markers').map((t) => ({ name: t.name, x: t.x, y: t.y, customdata: t.customdata })), sel);
  const select = env.page.locator('figure[data-kind="identifiability-depth"] select').first();
  assert.deepEqual(await select.locator('option').allTextContents(), ['features.2', 'features.5', 'classifier.1']);
  // Default: the last target layer.
  let traces = await read();
  const vgg = () => traces.find((t) => t.name === 'vgg11 seed 0');
  assert.deepEqual(vgg().x, [0, 1 / 3, 2 / 3, 1], 'relative depth 0..1');
  assert.deepEqual(vgg().y, [0.25, 0.39, 0.58, 0.66]);
  assert.deepEqual(vgg().customdata, FIXTURE.models[1].layers);
  await select.selectOption('1');
  await env.page.waitForFunction((sel) => document.querySelector(sel).dataset.targetLayer === '1', sel);
  traces = await read();
  assert.deepEqual(vgg().y, [0.46, 0.71, null, 0.35], 'column features.5, with its null');
  assert.deepEqual(traces.find((t) => t.name === 'alexnet seed 0 (correct)').x, [0, 0.5, 1]);
  // The undefined point has a tooltip that says so, at no drawn value.
  const undefIndex = await env.page.evaluate((sel) => document.querySelector(sel).data.findIndex((t) => t.name === 'undefined'), sel);
  assert.ok(undefIndex >= 0, 'a hover target for the undefined point');
  const tip = await hoverText(sel, [{ curveNumber: undefIndex, pointNumber: 0 }]);
  assert.match(tip, /features\.10/);
  assert.match(tip, /undefined/);
});

test('RDM bars: mean over subjects, standard error, noise ceiling, p < 0.05 marked', async () => {
  const sel = plotSelector('rdm-bars', { source: 's0', target: 't2' });
  const score = FIXTURE.scores[4];
  const drawn = await env.page.evaluate((sel) => {
    const gd = document.querySelector(sel);
    const bar = gd.data.find((t) => t.type === 'bar');
    const stars = gd.data.find((t) => t.mode === 'text');
    return { x: bar.x, y: bar.y, err: bar.error_y.array, shapes: gd.layout.shapes, stars: stars && stars.x, tpl: bar.hovertemplate };
  }, sel);
  assert.deepEqual(drawn.x, FIXTURE.models[0].layers);
  score.per_subject.forEach((cell, i) => {
    const v = cell[0];
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
    assert.ok(Math.abs(drawn.y[i] - mean) < 1e-12, `mean of layer ${i}`);
    assert.ok(Math.abs(drawn.err[i] - sd / Math.sqrt(v.length)) < 1e-12, `sem of layer ${i}`);
  });
  assert.equal(drawn.shapes.length, 1);
  assert.equal(drawn.shapes[0].type, 'rect');
  assert.equal(drawn.shapes[0].y0, 0.2);
  assert.equal(drawn.shapes[0].y1, 0.31);
  assert.deepEqual(drawn.stars, ['features.2', 'features.5'], 'stars where p < 0.05');
  const caption = await captionOf('rdm-bars', { source: 's0', target: 't2' });
  assert.match(caption, /mean over 4 subjects/);
  assert.match(caption, /standard error of the mean \(sd over subjects \/ √4\)/);
  assert.match(caption, /noise ceiling/);
  assert.match(caption, /p < 0\.05/);
  const tip = await hoverText(sel, [{ curveNumber: 0, pointNumber: 1 }]);
  assert.match(tip, /features\.5/);
  assert.match(tip, /0\.1900/, `tooltip: ${tip}`);
  assert.match(tip, /p: 0\.0010/);
});

test('a plot exports to SVG and the buttons download', async () => {
  const url = await env.page.evaluate(() => window.Plotly.toImage(document.querySelector('#views .js-plotly-plot'), { format: 'svg' }));
  assert.match(url, /^data:image\/svg\+xml/);
  assert.ok(decodeURIComponent(url).includes('<svg'), 'an svg document');
  const [svg] = await Promise.all([
    env.page.waitForEvent('download'),
    env.page.locator('#views figure[data-kind="heatmap"] button[data-format="svg"]').first().click(),
  ]);
  assert.match(svg.suggestedFilename(), /heatmap\.svg$/);
  const [png] = await Promise.all([
    env.page.waitForEvent('download'),
    env.page.locator('#views figure[data-kind="rdm-bars"] button[data-format="png"]').first().click(),
  ]);
  assert.match(png.suggestedFilename(), /bars\.png$/);
});

test('the generic helpers: bars, lines, rdmImage, mdsScatter', async () => {
  const drawn = await env.page.evaluate(async () => {
    const { bars, lines, rdmImage, mdsScatter, rendered } = window.views;
    const box = document.createElement('div');
    box.id = 'helpers';
    document.body.append(box);
    const gds = [
      bars(box, { x: ['a', 'b', 'c'], y: [0.5, null, 0.25], error: [0.1, null, 0.05], highlight: [2], title: 'Bars', ytitle: 'score' }),
      lines(box, { x: ['a', 'b'], series: [{ name: 'A', y: [1, 2] }, { name: 'B', y: [2, null], highlight: true }], title: 'Lines', ytitle: 'score' }),
      rdmImage(box, [[0, 0.5], [0.5, 0]], ['cat', 'dog'], 'An RDM'),
      mdsScatter(box, [[0, 1], [1, 0], [2, 2]], ['x0', 'x1', 'x2'], ['animate', 'animate', 'inanimate'], 'MDS'),
    ];
    await Promise.all(gds.map(rendered));
    return gds.map((gd) => ({
      kind: gd.closest('figure').dataset.kind,
      caption: gd.closest('figure').querySelector('.idlab-caption-text').textContent,
      data: gd.data.map((t) => ({ type: t.type, name: t.name, x: t.x, y: t.y, z: t.z, color: t.marker && t.marker.color, width: t.line && t.line.width })),
      scaleanchor: gd.layout.yaxis.scaleanchor,
    }));
  });
  const [b, l, r, m] = drawn;
  assert.equal(b.kind, 'bars');
  assert.deepEqual(b.data[0].y, [0.5, null, 0.25], 'a null bar is not drawn as 0');
  assert.deepEqual(b.data[0].color, ['#9aa1ad', '#9aa1ad', '#0072b2'], 'the highlighted bar is blue');
  assert.deepEqual(b.data[1].x, ['b'], 'a hover target where the value is undefined');
  const tip = await hoverText('#helpers figure[data-kind="bars"] .js-plotly-plot', [{ curveNumber: 1, pointNumber: 0 }]);
  assert.match(tip, /undefined/);
  assert.equal(l.kind, 'lines');
  assert.deepEqual(l.data.filter((t) => t.width).map((t) => [t.name, t.width]), [['A', 1.5], ['B', 4]], 'the highlighted line thick, drawn last');
  assert.equal(r.kind, 'rdm');
  assert.deepEqual(r.data[0].z, [[0, 0.5], [0.5, 0]]);
  assert.deepEqual(r.data[0].x, ['cat', 'dog']);
  assert.equal(r.scaleanchor, 'x', 'square cells');
  assert.equal(m.kind, 'mds');
  assert.deepEqual(m.data.map((t) => [t.name, t.x, t.y]), [['animate', [0, 1], [1, 0]], ['inanimate', [2], [2]]]);
  for (const f of drawn) assert.ok(f.caption.length > 10, `${f.kind} has a caption`);
  await env.page.evaluate(() => document.getElementById('helpers').remove());
});

test('a result with nothing to compare across layers, and one with only scores', async () => {
  const out = await env.page.evaluate(async ([one, plain]) => {
    const box = document.createElement('div');
    document.body.append(box);
    const a = await window.views.renderResult(box, one);
    const empty = { plots: a.length, text: box.textContent };
    const b = await window.views.renderResult(box, plain);
    const kinds = [...box.querySelectorAll('figure')].map((f) => f.dataset.kind);
    box.remove();
    return { empty, plots: b.length, kinds };
  }, [ONE_BY_ONE, SCORES_ONLY]);
  assert.equal(out.empty.plots, 0);
  assert.match(out.empty.text, /nothing to plot/);
  assert.equal(out.plots, 2);
  assert.deepEqual(out.kinds, ['heatmap', 'heatmap']);
});

test('classes: each class\'s mean ± sd and architectures per target layer, the Welch test marked', async () => {
  const out = await env.page.evaluate(async (fixture) => {
    const box = document.createElement('div');
    document.body.append(box);
    const group = (name, best) => {
      const v = Object.values(best);
      const mean = v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
      const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : null;
      return { name, best_per_arch: best, n: v.length, mean, sd };
    };
    const result = {
      ...fixture,
      identifiability: [],
      scores: [],
      class_comparison: [{
        metric: 'cka', target: 't1', excluded_arch: 'vgg11', alpha: 0.01,
        layers: [
          { layer: 'features.2', groups: [group('convolution', { alexnet: 0.9, resnet18: 0.8 }), group('attention', { vit_b_32: 0.2, vit_b_16: 0.3 })], t: 9.9, df: 2, p_value: 0.005, significant: true },
          { layer: 'features.5', groups: [group('convolution', { alexnet: 0.5, resnet18: 0.6 }), group('attention', { vit_b_32: 0.55, vit_b_16: 0.5 })], t: 0.5, df: 2, p_value: 0.6, significant: false },
          { layer: 'features.10', groups: [group('convolution', { alexnet: 0.5, resnet18: 0.6 }), group('attention', { vit_b_32: 0.4 })], t: null, df: null, p_value: null, significant: false, note: "Welch's t-test needs at least 2 values in group b, got 1" },
        ],
      }],
    };
    const plots = await window.views.renderResult(box, result);
    const gd = box.querySelector('figure[data-kind="classes"] .js-plotly-plot');
    const marks = gd.data.find((t) => t.name === 'Welch test').text;
    const means = gd.data.filter((t) => /mean ± sd/.test(t.name)).map((t) => ({ name: t.name, y: t.y, sd: t.error_y.array }));
    const points = gd.data.filter((t) => /architectures$/.test(t.name)).map((t) => t.text.length);
    window.Plotly.Fx.hover(gd, [{ curveNumber: gd.data.findIndex((t) => t.name === 'Welch test'), pointNumber: 2 }]);
    await new Promise((r) => setTimeout(r, 50));
    const tip = [...gd.querySelectorAll('.hoverlayer .hovertext')].map((n) => n.textContent).join(' | ');
    const text = box.querySelector('.idlab-classes .idlab-verdict').textContent;
    const caption = box.querySelector('figure[data-kind="classes"] figcaption').textContent;
    box.remove();
    return { plots: plots.length, marks, means, points, tip, text, caption };
  }, FIXTURE);
  assert.equal(out.plots, 1);
  assert.deepEqual(out.marks, ['★', 'n.s.', '–']);
  assert.equal(out.means[0].name, 'convolution mean ± sd');
  assert.deepEqual(out.means[0].y.map((v) => +v.toFixed(4)), [0.85, 0.55, 0.55]);
  assert.equal(+out.means[1].sd[0].toFixed(4), 0.0707);
  assert.equal(out.means[1].sd[2], 0, 'no sd with one architecture (drawn as none)');
  assert.deepEqual(out.points, [6, 5], 'one point per architecture and layer');
  assert.match(out.tip, /at least 2 values/);
  assert.match(out.text, /Convolution and attention differ \(Welch's t-test, p < 0.01\) at 1 of 3 layers of vgg11 seed 1; vgg11, the target's own architecture, is left out/);
  assert.match(out.caption, /n\.s\.: not significant/);
  assert.deepEqual(env.problems, []);
});

test('many identifiability entries: one shown at a time, chosen from a menu', async () => {
  const out = await env.page.evaluate(async (fixture) => {
    const box = document.createElement('div');
    document.body.append(box);
    // Five entries: the fixture's two, and copies under other metric names.
    const ident = [...fixture.identifiability];
    for (const m of ['cka-debiased', 'rsa', 'regression']) ident.push({ ...fixture.identifiability[0], metric: m });
    await window.views.renderResult(box, { ...fixture, identifiability: ident });
    const visible = () => [...box.querySelectorAll('.idlab-identifiability')].filter((s) => !s.hidden).map((s) => s.querySelector('h3').textContent);
    const options = [...box.querySelectorAll('.idlab-picker option')].map((o) => o.textContent);
    const first = visible();
    const select = box.querySelector('.idlab-pick');
    select.value = '3';
    select.dispatchEvent(new Event('change'));
    const chosen = visible();
    const width = box.querySelector('.idlab-identifiability:not([hidden]) .js-plotly-plot').getBoundingClientRect().width;
    box.remove();
    return { options, first, chosen, width, sections: ident.length };
  }, FIXTURE);
  assert.equal(out.options.length, 5);
  assert.equal(out.options[3], 'alexnet seed 1 · RSA');
  assert.deepEqual(out.first, ['Identifiability: alexnet seed 1 (linear CKA)']);
  assert.deepEqual(out.chosen, ['Identifiability: alexnet seed 1 (RSA)']);
  assert.ok(out.width > 300, `the chosen section's plots are drawn at full width (${out.width} px)`);
  assert.deepEqual(env.problems, []);
});

test('specificity: same-layer identification bars and the MDS by layer, silhouette in the title', async () => {
  const SPEC = readFixture('specificity-small');
  const out = await env.page.evaluate(async (result) => {
    const box = document.createElement('div');
    box.id = 'specificity';
    document.body.append(box);
    const plots = await window.views.renderResult(box, result);
    const figs = [...box.querySelectorAll('figure')].map((f) => {
      const gd = f.querySelector('.js-plotly-plot');
      return {
        kind: f.dataset.kind,
        metric: gd.dataset.metric,
        title: gd.layout.title.text,
        caption: f.querySelector('.idlab-caption-text').textContent,
        data: gd.data.map((t) => ({ name: t.name, x: t.x, y: t.y, color: t.marker && t.marker.color })),
      };
    });
    return {
      plots: plots.length,
      figs,
      summaries: [...box.querySelectorAll('.idlab-specificity-summary')].map((p) => p.textContent),
      heading: box.querySelector('.idlab-specificity h3')?.textContent,
    };
  }, SPEC);
  assert.equal(out.heading, 'Predictivity vs specificity');
  // RSA: bars and MDS; soft matching (no population): bars only; then the 4 heatmaps.
  assert.deepEqual(out.figs.map((f) => [f.kind, f.metric ?? null]), [
    ['specificity-bars', 'rsa'], ['mds', 'rsa'], ['specificity-bars', 'soft-matching'],
    ['heatmap', 'rsa'], ['heatmap', 'rsa'], ['heatmap', 'soft-matching'], ['heatmap', 'soft-matching'],
  ]);
  assert.equal(out.plots, 7);
  const [rsaBars, mds, smBars] = out.figs;
  const [rsa, sm] = SPEC.specificity;
  assert.deepEqual(rsaBars.data[0].x, ['features.0:pre', 'features.0', 'all layers']);
  assert.deepEqual(rsaBars.data[0].y, [1, 1, 1]);
  assert.deepEqual(smBars.data[0].y, [...sm.same_layer.layers.map((l) => l.fraction), sm.same_layer.fraction]);
  assert.deepEqual(smBars.data[0].color, ['#9aa1ad', '#9aa1ad', '#0072b2'], 'the overall bar is blue');
  assert.match(smBars.title, /Soft matching \(without noise\): same-layer identification rate/);
  assert.match(smBars.caption, /the smallest distance/);
  assert.match(rsaBars.caption, /the highest score/);
  // The scatter: one trace per layer, the fixture's coordinates, the silhouette in the title.
  const pop = rsa.population;
  assert.deepEqual(mds.data.map((t) => t.name), ['features.0:pre', 'features.0']);
  assert.deepEqual(mds.data[0].x, [pop.mds[0][0], pop.mds[2][0]]);
  assert.deepEqual(mds.data[1].y, [pop.mds[1][1], pop.mds[3][1]]);
  assert.match(mds.title, new RegExp(`silhouette ${pop.silhouette.toFixed(4)}`));
  assert.match(mds.caption, /features\.0:pre 0\.0911, features\.0 -0\.0116/);
  assert.match(out.summaries[1], /Soft matching \(without noise\): same-layer identification rate 0\.7500 \(.* 3 of 4 cases\)/);
  assert.doesNotMatch(out.summaries[1], /silhouette/);
  const tip = await hoverText('#specificity figure[data-kind="specificity-bars"] .js-plotly-plot[data-metric="soft-matching"]', [{ curveNumber: 0, pointNumber: 0 }]);
  assert.match(tip, /0\.5000 \(1 of 2\)/);
  assert.match(tip, /same layer: 1\.2300/);
  assert.match(tip, /other layers: 1\.2550/);
  // A distance's heatmap says so.
  assert.match(out.figs[5].caption, /a distance: lower values mean more similar/);
  await env.page.evaluate(() => document.getElementById('specificity').remove());
});

test('rendering again replaces the plots; nothing went wrong in the env.page', async () => {
  const n = await env.page.evaluate(async () => {
    const plots = await window.views.renderResult(document.getElementById('views'), window.result);
    return { returned: plots.length, figures: document.querySelectorAll('#views figure').length };
  });
  assert.deepEqual(n, { returned: 12, figures: 12 });
  assert.deepEqual(env.problems, []);
});

test('a view module alone: imported into a blank env.page, it draws a result\'s figures', async () => {
  const SPEC = readFixture('specificity-small');
  const alone = await openPage(env.browser, `${env.server.url}blank.html`);
  try {
    await alone.page.waitForFunction(() => typeof window.Plotly === 'object');
    const out = await alone.page.evaluate(async ([identify, specificity]) => {
      const { renderIdentifiability } = await import('./views/identifiability.js');
      const { renderSpecificity } = await import('./views/specificity.js');
      const { rendered } = await import('./views/plot.js');
      const box = document.getElementById('figure');
      const plots = [...renderIdentifiability(box, identify), ...renderSpecificity(box, specificity)];
      await Promise.all(plots.map(rendered));
      return {
        plots: plots.length,
        kinds: [...box.querySelectorAll('figure')].map((f) => f.dataset.kind),
        traces: plots.map((gd) => gd.data.length),
        drawn: box.querySelectorAll('.js-plotly-plot .main-svg').length,
        verdicts: [...box.querySelectorAll('.idlab-verdict')].map((p) => p.textContent),
        loaded: performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname),
      };
    }, [FIXTURE, SPEC]);
    // Two identifiability entries x 3 plots, then the specificity bars and MDS of RSA and the soft matching bars.
    assert.deepEqual(out.kinds, [
      'identifiability-best', 'identifiability-index', 'identifiability-depth',
      'identifiability-best', 'identifiability-index', 'identifiability-depth',
      'specificity-bars', 'mds', 'specificity-bars',
    ]);
    assert.equal(out.plots, 9);
    assert.ok(out.traces.every((n) => n > 0), `every plot has data: ${out.traces}`);
    assert.ok(out.drawn >= 9, `Plotly drew every plot (${out.drawn} svg layers)`);
    assert.equal(out.verdicts[0], 'The correct architecture (alexnet) won at 2 of 3 target layers; it lost at classifier.1 (vgg11 seed 0 won).');
    assert.ok(out.loaded.includes('/views/identifiability.js'), `the module itself was loaded: ${out.loaded.join(', ')}`);
    for (const file of ['/main.js', '/views/index.js', '/views/overview.js', '/export.js']) {
      assert.ok(!out.loaded.includes(file), `${file} was not needed (loaded: ${out.loaded.join(', ')})`);
    }
    assert.deepEqual(alone.problems, []);
  } finally {
    await alone.context.close();
  }
});
