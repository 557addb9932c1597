// The site's generated pages, written into the built site (run by build.sh after www/ is
// copied into dist/): `node www/build/papers.mjs dist`.
//
//   dist/papers/<stem>.html  one per paper (the presets that share a `paper_file`): its title,
//                            its quoted claims, the lab's method and each preset's live figure
//   dist/papers/index.html   the site index: the lab, the papers, the lab's own experiments,
//                            the README's sections and the benchmarks
//   dist/readme.html, dist/benchmarks.html   README.md and BENCHMARKS.md as pages
//
// Every word about a paper comes from the presets (www/presets/*.json), whose texts are tested
// against the papers; nothing here is written twice.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { esc, pageShell } from './html.mjs';
import { citation, openingClaim } from './paper-meta.mjs';
import { viewsFor, imagesFor } from './figure-plan.mjs';
import { DOCUMENTS, renderDocument } from './markdown.mjs';
import { METRIC_HELP } from '../help/texts.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WWW = path.resolve(HERE, '..');
const REPO = path.resolve(WWW, '..');

/** The module scripts of a paper page: the embed element, and the service worker's isolation. */
const PAPER_SCRIPTS = ['embed.js', 'isolation.js'];

/** The lab's permalink for a spec (www/page/permalink.js reads it), from a page under papers/. */
export function labLink(spec, root = '../') {
  return `${root}index.html#spec=${encodeURIComponent(JSON.stringify(spec))}`;
}

/** The presets in the menu's order: [{file, stem, title, spec}]. */
export function readPresets(www = WWW) {
  const index = JSON.parse(fs.readFileSync(path.join(www, 'presets/index.json'), 'utf8'));
  return index.presets.map(({ file, title }) => ({
    file,
    stem: file.replace(/\.json$/, ''),
    title,
    spec: JSON.parse(fs.readFileSync(path.join(www, 'presets', file), 'utf8')),
  }));
}

/** The papers: [{stem, presets}] in the order their first preset appears in the menu. */
export function groupByPaper(presets) {
  const papers = new Map();
  for (const p of presets) {
    if (!p.spec.paper_file) continue;
    const stem = p.spec.paper_file.replace(/\.txt$/, '');
    if (!papers.has(stem)) papers.set(stem, { stem, presets: [] });
    papers.get(stem).presets.push(p);
  }
  return [...papers.values()];
}

/** A stimulus set's whole size: the images dist/ ships for it, or a generated set's count. */
function setSizer(dist, spec) {
  return (set) => {
    const generated = (spec.more_stimuli || []).find((s) => s.set === set && s.count);
    if (generated) return generated.count;
    const dir = path.join(dist, 'data', String(set), 'images');
    if (!fs.existsSync(dir)) throw new Error(`papers.mjs: no images for the stimulus set ${set} in ${dir}`);
    return fs.readdirSync(dir).length;
  };
}

/** The "what the paper says" list of a preset, leaving out quotes already on the page. */
function claimsList(spec, shown) {
  const items = (spec.paper || []).filter((c) => !shown.has(c.quote));
  for (const c of items) shown.add(c.quote);
  if (!items.length) return '';
  return `      <h4>What the paper says</h4>
      <ul class="claims">
${items.map((c) => `        <li><p>${esc(c.claim)}</p><blockquote><p>“${esc(c.quote)}”</p></blockquote><p class="where">${esc(c.where)}</p></li>`).join('\n')}
      </ul>
`;
}

/** The metrics a spec runs, each with the lab's one-line help. */
function metricsList(spec) {
  const names = [...new Set((spec.metrics || []).map((m) => m.name))];
  if (!names.length) return '';
  const items = names.map((name) => {
    const h = METRIC_HELP[name];
    if (!h) return `        <dt><code>${esc(name)}</code></dt><dd>See the README's Metrics section.</dd>`;
    return `        <dt>${esc(h.name)} <code>${esc(name)}</code></dt><dd>${esc(`${h.means} ${h.better} Range: ${h.range}`)}</dd>`;
  });
  return `      <h4>Metrics</h4>
      <dl class="metrics">
${items.join('\n')}
      </dl>
`;
}

/** One preset's section of a paper page: its live figure, the paper's claims, the lab's method. */
function presetSection(p, dist, shown) {
  const { spec } = p;
  const views = viewsFor(spec);
  const { images, of } = imagesFor(spec, setSizer(dist, spec));
  const imagesAttr = images ? ` images="${images}"` : '';
  const count = (n) => n.toLocaleString('en');
  const note = images
    ? `on the first ${count(images)} of ${count(of)} images${spec.more_stimuli ? ' of the first stimulus set' : ''}, to keep the run short in a tab; open it in the lab for the full run`
    : `the full preset, on ${count(of)} images`;
  const thisRun = (spec.this_run || []).map((t) => `      <p>${esc(t)}</p>`).join('\n');
  return `    <section class="preset" id="${esc(p.stem)}" aria-labelledby="${esc(p.stem)}-heading">
      <h3 id="${esc(p.stem)}-heading">${esc(spec.name || p.title)}</h3>
      <div class="live-figure">
        <idlab-figure preset="${esc(p.stem)}" view="${esc(views.join(','))}"${imagesAttr} run="click" theme="auto"></idlab-figure>
        <p class="figure-note">${esc(note[0].toUpperCase() + note.slice(1))}. <a class="open-lab" href="${esc(labLink(spec))}">Open in the lab</a></p>
      </div>
${claimsList(spec, shown)}      <h4>How the lab runs it</h4>
      <p>${esc(spec.about || '')}</p>
${thisRun}
${metricsList(spec)}    </section>`;
}

/** A paper's page. */
export function paperPage(paper, dist) {
  const cite = citation(paper.presets) || { title: paper.stem, authors: '', venue: '' };
  const opening = openingClaim(paper.presets);
  const shown = new Set();
  const byline = [cite.authors, cite.venue].filter(Boolean).join(' · ');
  const openingHtml = opening
    ? `    <figure class="opening">
      <blockquote><p>“${esc(opening.quote)}”</p></blockquote>
      <figcaption>The paper, ${esc(opening.where)}</figcaption>
    </figure>
`
    : '';
  const contents = paper.presets.map((p) => `      <li><a href="#${esc(p.stem)}">${esc(p.spec.name || p.title)}</a></li>`).join('\n');
  const body = `    <article class="paper">
    <h1>${esc(cite.title)}</h1>
${byline ? `    <p class="byline">${esc(byline)}</p>\n` : ''}${openingHtml}    <p>The experiments below are the lab's presets for this paper. Each figure runs in this tab when you press its Run button; "Open in the lab" loads the whole experiment into the lab, where every setting can be changed.</p>
    <nav aria-label="Experiments on this page"><ul class="contents">
${contents}
    </ul></nav>
    <h2>The experiments</h2>
${paper.presets.map((p) => presetSection(p, dist, shown)).join('\n')}
    </article>`;
  return pageShell({
    root: '../',
    title: `${cite.title}: idlab`,
    description: `Live figures of the idlab presets for ${cite.title}.`,
    scripts: PAPER_SCRIPTS,
    body,
    footer: 'The figures run in your browser, in WebAssembly, on the data this site serves.',
  });
}

/** The site index (papers/index.html). */
/** The example assignments (www/assignments/NAME/assignment.json): {name, title, course}; build.sh packs each into dist/assignments/NAME.idlab.zip. */
function readAssignments() {
  const dir = path.join(WWW, 'assignments');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort().map((name) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, name, 'assignment.json'), 'utf8'));
    return { name, title: manifest.title || name, course: manifest.course || '' };
  });
}

export function indexPage(papers, own, readmeHeadings, assignments = []) {
  const paperItems = papers.map((paper) => {
    const cite = citation(paper.presets) || { title: paper.stem, authors: '' };
    const presets = paper.presets.map((p) => `<li><a href="${esc(paper.stem)}.html#${esc(p.stem)}">${esc(p.spec.name || p.title)}</a></li>`).join('');
    return `      <li><a href="${esc(paper.stem)}.html">${esc(cite.title)}</a>${cite.authors ? ` <span class="byline">${esc(cite.authors)}</span>` : ''}<ul>${presets}</ul></li>`;
  });
  const ownItems = own.map((p) => `      <li><a href="${esc(labLink(p.spec))}">${esc(p.spec.name || p.title)}</a><p>${esc(p.spec.about || '')}</p></li>`);
  const sections = readmeHeadings.filter((h) => h.level === 2)
    .map((h) => `      <li><a href="../${DOCUMENTS['README.md']}#${esc(h.id)}">${esc(h.raw ?? h.text)}</a></li>`);
  const body = `    <h1>idlab: papers, experiments and documentation</h1>
    <p class="lede">The lab compares the internal representations of vision models layer by layer, in WebAssembly in your browser. <a href="../index.html">Open the lab</a>.</p>
    <section aria-labelledby="papers-heading">
    <h2 id="papers-heading">Papers</h2>
    <p>A page per paper whose experiments the lab reproduces: its claims, quoted, and its presets' figures, live.</p>
    <ul class="papers">
${paperItems.join('\n')}
    </ul>
    </section>
    <section aria-labelledby="own-heading">
    <h2 id="own-heading">The lab's own experiments</h2>
    <ul class="own">
${ownItems.join('\n')}
    </ul>
    </section>
${assignments.length ? `    <section aria-labelledby="assignments-heading">
    <h2 id="assignments-heading">Course assignments</h2>
    <p>One file an instructor makes and a student opens, runs, answers and hands in (the README's <a href="../${DOCUMENTS['README.md']}#teach-with-it">Teach with it</a>). The examples:</p>
    <ul class="own">
${assignments.map((a) => `      <li><a href="../assignment.html?assignment=${encodeURIComponent(`assignments/${a.name}.idlab.zip`)}">${esc(a.title)}</a></li>`).join('\n')}
    </ul>
    </section>
` : ''}    <section aria-labelledby="docs-heading">
    <h2 id="docs-heading">Documentation</h2>
    <p><a href="../${DOCUMENTS['README.md']}">The README</a>, by section:</p>
    <ul class="docs">
${sections.join('\n')}
    </ul>
    <p><a href="../${DOCUMENTS['BENCHMARKS.md']}">Benchmarks</a>: the zoo and the metrics, native and in WebAssembly.</p>
    </section>`;
  return pageShell({
    root: '../',
    title: 'idlab: papers, experiments and documentation',
    description: 'The papers the identifiability lab reproduces, with live figures, and its documentation.',
    body,
  });
}

/** A Markdown document as a page at the site root. */
function documentPage(title, html) {
  return pageShell({
    root: '',
    title: `${title}: idlab`,
    description: `${title} of idlab, the identifiability lab.`,
    body: `    <article class="document">\n${html}\n    </article>`,
  });
}

function main(distArg) {
  if (!distArg) throw new Error('usage: node www/build/papers.mjs DIST');
  const dist = path.resolve(distArg);
  const presets = readPresets();
  const papers = groupByPaper(presets);
  const own = presets.filter((p) => !p.spec.paper_file);
  fs.mkdirSync(path.join(dist, 'papers'), { recursive: true });
  for (const paper of papers) {
    fs.writeFileSync(path.join(dist, 'papers', `${paper.stem}.html`), paperPage(paper, dist));
  }
  let readmeHeadings = [];
  for (const [file, page] of Object.entries(DOCUMENTS)) {
    const { html, headings } = renderDocument(fs.readFileSync(path.join(REPO, file), 'utf8'), dist);
    if (file === 'README.md') readmeHeadings = headings;
    const title = file === 'README.md' ? 'README' : 'Benchmarks';
    fs.writeFileSync(path.join(dist, page), documentPage(title, html));
  }
  fs.writeFileSync(path.join(dist, 'papers', 'index.html'), indexPage(papers, own, readmeHeadings, readAssignments()));
  console.log(`papers.mjs: ${papers.length} paper pages, the index, ${Object.values(DOCUMENTS).join(' and ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv[2]);
