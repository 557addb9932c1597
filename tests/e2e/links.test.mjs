// Every link of the built site resolves (issue 14: "every link in dist/ resolves"): each
// href/src of every HTML file in dist/, and the links the lab's scripts insert that can be
// listed here, points at a file that dist/ holds; a #fragment names an id (or a name) in the
// target page, or, for the lab's and the embed's parameter fragments (#spec=, #preset=), carries
// a spec or a preset the site has. External links are allowed only from ALLOWED_EXTERNAL.
// No browser: it reads the files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DIST, ROOT } from './helpers.mjs';

/** External URLs the site may link to (none today: the site is self-contained). */
const ALLOWED_EXTERNAL = new Set([]);

/** Links the lab's scripts insert into index.html, as [script, href] (help/help.js's source links). */
const SCRIPT_LINKS = [
  ['help/help.js', 'readme.html'], ['help/help.js', 'benchmarks.html'], ['help/help.js', 'papers/index.html'], ['help/help.js', 'main.js'],
  ['help/help.js', 'views/index.js'], ['help/help.js', 'worker.js'], ['help/help.js', 'presets/index.json'],
  ['page/result.js', '#result-heading'],
];

const SITE = 'http://site.invalid/';

function htmlFiles(dir, rel = '') {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = path.posix.join(rel, e.name);
    if (e.isDirectory()) return htmlFiles(dir, p);
    return e.name.endsWith('.html') ? [p] : [];
  });
}

function decode(text) {
  return text.replace(/&(amp|quot|#39|lt|gt);/g, (_, e) => ({ amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' })[e]);
}

/** The href and src values of an HTML text's tags (comments left out). */
export function linksOf(html) {
  const text = html.replace(/<!--[\s\S]*?-->/g, '');
  const out = [];
  for (const tag of text.matchAll(/<[a-z][a-z0-9-]*\b[^>]*>/gi)) {
    for (const m of tag[0].matchAll(/\s(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) out.push(decode(m[2] ?? m[3]));
  }
  return out;
}

const idCache = new Map();
/** The ids and names an HTML file of dist/ defines. */
function anchorsOf(file) {
  if (!idCache.has(file)) {
    const html = fs.readFileSync(path.join(DIST, file), 'utf8');
    idCache.set(file, new Set([...html.matchAll(/\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)].map((m) => decode(m[1] ?? m[2]))));
  }
  return idCache.get(file);
}

const presetNames = new Set(JSON.parse(fs.readFileSync(path.join(DIST, 'presets/index.json'), 'utf8')).presets.map((p) => p.file.replace(/\.json$/, '')));

/** Why the link `href` of `from` (a path in dist/) does not resolve, or null when it does. */
export function problem(from, href) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) {
    return ALLOWED_EXTERNAL.has(href) ? null : `external link not in the allowed list: ${href}`;
  }
  const url = new URL(href, SITE + from);
  if (!url.href.startsWith(SITE)) return `outside the site: ${href}`;
  let file = decodeURIComponent(url.pathname.slice(1));
  if (file === '' || file.endsWith('/')) file += 'index.html';
  const full = path.join(DIST, file);
  if (!fs.existsSync(full) || !fs.statSync(full).isFile()) return `no file ${file} in dist/`;
  const fragment = url.hash.slice(1);
  if (!fragment) return null;
  if (fragment.includes('=')) return paramsProblem(file, url.hash);
  if (!file.endsWith('.html')) return `a #fragment on a file that is not HTML: ${href}`;
  return anchorsOf(file).has(decodeURIComponent(fragment)) ? null : `no id "${decodeURIComponent(fragment)}" in ${file}`;
}

/** The lab's #spec= permalink and the embed's #preset=/#spec= parameters. */
function paramsProblem(file, hash) {
  const params = new URLSearchParams(hash.slice(1));
  if (params.has('spec')) {
    let spec;
    try {
      spec = JSON.parse(decodeURIComponent(/^#spec=([^&]*)/.exec(hash)?.[1] ?? encodeURIComponent(params.get('spec'))));
    } catch (err) {
      return `${file}: the #spec= is not JSON (${err.message})`;
    }
    return spec && spec.idlab ? null : `${file}: the #spec= is not an idlab spec`;
  }
  if (params.has('preset')) return presetNames.has(params.get('preset')) ? null : `${file}: no preset ${params.get('preset')}`;
  return `${file}: a fragment with parameters the site does not read: ${hash}`;
}

test('every href and src of every HTML file in dist/ resolves', () => {
  const files = htmlFiles(DIST);
  assert.ok(files.includes('index.html') && files.includes('papers/index.html'), `dist/ has the lab and the site index: ${files.join(', ')}`);
  const problems = [];
  let count = 0;
  for (const file of files) {
    for (const href of linksOf(fs.readFileSync(path.join(DIST, file), 'utf8'))) {
      count += 1;
      const why = problem(file, href);
      if (why) problems.push(`${file}: ${why}`);
    }
  }
  assert.ok(count > 50, `only ${count} links found: the parse is broken`);
  assert.deepEqual(problems, [], `${problems.length} broken links of ${count}:\n${problems.join('\n')}`);
});

test('the links the lab\'s scripts insert resolve', () => {
  for (const [script, href] of SCRIPT_LINKS) {
    const source = fs.readFileSync(path.join(DIST, script), 'utf8');
    assert.ok(source.includes(`'${href}'`), `${script} no longer inserts ${href}: update SCRIPT_LINKS`);
    assert.equal(problem('index.html', href), null, `${script} inserts ${href}`);
  }
});

test('the generated pages are there: a page per paper, the index, README, BENCHMARKS and the example assignments', () => {
  const presets = JSON.parse(fs.readFileSync(path.join(DIST, 'presets/index.json'), 'utf8')).presets;
  const stems = new Set(presets.map((p) => JSON.parse(fs.readFileSync(path.join(DIST, 'presets', p.file), 'utf8')).paper_file)
    .filter(Boolean).map((f) => f.replace(/\.txt$/, '')));
  assert.ok(stems.size >= 1);
  const index = fs.readFileSync(path.join(DIST, 'papers/index.html'), 'utf8');
  for (const stem of stems) {
    assert.ok(fs.existsSync(path.join(DIST, 'papers', `${stem}.html`)), `papers/${stem}.html`);
    assert.ok(linksOf(index).includes(`${stem}.html`), `the index links papers/${stem}.html`);
  }
  for (const page of ['readme.html', 'benchmarks.html', 'index.html']) assert.ok(linksOf(index).includes(`../${page}`), `the index links ${page}`);
  const lab = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  assert.ok(linksOf(lab).includes('papers/index.html'), 'the lab links the site index');
  // The example assignments: each packed into dist/assignments/ and opened from the index.
  const examples = fs.readdirSync(path.join(ROOT, 'www/assignments'));
  assert.ok(examples.length >= 2);
  for (const name of examples) {
    assert.ok(fs.existsSync(path.join(DIST, 'assignments', `${name}.idlab.zip`)), `assignments/${name}.idlab.zip`);
    assert.ok(linksOf(index).includes(`../assignment.html?assignment=${encodeURIComponent(`assignments/${name}.idlab.zip`)}`), `the index opens the ${name} example`);
  }
});

test('the link check itself: it catches a missing file, a missing id and an external link', () => {
  assert.match(problem('papers/index.html', '../nope.html'), /no file nope\.html/);
  assert.match(problem('papers/index.html', '../readme.html#no-such-heading'), /no id "no-such-heading"/);
  assert.match(problem('index.html', 'https://example.com/'), /external link/);
  assert.match(problem('index.html', 'index.html#spec=%7Bnot'), /not JSON/);
  assert.equal(problem('papers/index.html', '../index.html'), null);
});

test('README and BENCHMARKS links: to the pages, to files of dist/, else plain text', async () => {
  const { renderDocument } = await import('../../www/build/markdown.mjs');
  const { html, headings } = renderDocument([
    '# Title', '## Publish and embed',
    '[bench](BENCHMARKS.md#zoo) [readme](README.md) [preset](www/presets/index.json) [code](crate/src/lib.rs) [here](#publish-and-embed) [out](https://example.com/x)',
  ].join('\n'), DIST);
  assert.ok(headings.some((h) => h.id === 'publish-and-embed'), JSON.stringify(headings));
  assert.match(html, /<a href="benchmarks\.html#zoo">bench<\/a>/);
  assert.match(html, /<a href="readme\.html">readme<\/a>/);
  assert.match(html, /<a href="presets\/index\.json">preset<\/a>/);
  assert.match(html, /<span class="unlinked">code<\/span>/);
  assert.match(html, /<a href="#publish-and-embed">here<\/a>/);
  assert.match(html, /<a href="https:\/\/example\.com\/x">out<\/a>/, 'external links are kept (the link check then asks for them in ALLOWED_EXTERNAL)');
});
