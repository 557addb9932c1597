// Help where a student needs it: a folded "What am I looking at?" under each figure and result,
// and the page's help panel (metrics, glossary, papers, links to the source). The texts are
// texts.js's; this only builds the DOM. Loaded by index.html as a module: it fills #help-panel.

import { CITATIONS, GLOSSARY, METRIC_HELP, metricHelpText } from './texts.js';

/** A closed <details class="idlab-help"> with `summary` and one paragraph per text. */
export function helpDetails(texts, summary = 'What am I looking at?') {
  const d = document.createElement('details');
  d.className = 'idlab-help';
  const s = document.createElement('summary');
  s.textContent = summary;
  d.append(s);
  for (const t of [].concat(texts).filter(Boolean)) {
    const p = document.createElement('p');
    p.textContent = t;
    d.append(p);
  }
  return d;
}

/** The help for a result's metrics, one paragraph each. */
export function metricsHelp(metrics) {
  return helpDetails([...new Set(metrics)].map(metricHelpText), 'What do these numbers mean?');
}

function heading(text) {
  const h = document.createElement('h3');
  h.textContent = text;
  return h;
}

function list(items) {
  const dl = document.createElement('dl');
  for (const [term, def] of items) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = def;
    dl.append(dt, dd);
  }
  return dl;
}

/** Fills `container` with the help panel: metrics, glossary, papers, where the source is. */
export function renderHelpPanel(container) {
  const d = document.createElement('details');
  d.className = 'idlab-help idlab-help-panel';
  d.id = 'help';
  const s = document.createElement('summary');
  s.textContent = 'Help: metrics, glossary, papers and source';
  d.append(s);
  d.append(heading('Metrics'), list(Object.values(METRIC_HELP).map((h) => [h.name, `${h.means} ${h.better} Range: ${h.range}`])));
  d.append(heading('Glossary'), list(GLOSSARY));
  const papers = document.createElement('ul');
  for (const c of CITATIONS) {
    const li = document.createElement('li');
    li.textContent = c;
    papers.append(li);
  }
  d.append(heading('Papers the presets reproduce'), papers);
  const src = document.createElement('p');
  src.append('Documentation, served with the page: ');
  const docs = [['readme.html', 'README'], ['benchmarks.html', 'BENCHMARKS'], ['papers/index.html', 'the papers\' pages']];
  for (const [href, text] of docs) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    src.append(a, ' ');
  }
  src.append('(usage, every spec key, the metrics exactly, the layout; speed against the field\'s tools). This page\'s own code: ');
  const links = [['main.js', 'main.js'], ['views/index.js', 'views/'], ['worker.js', 'worker.js'], ['presets/index.json', 'presets/']];
  links.forEach(([href, text], i) => {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    src.append(a, i < links.length - 1 ? ', ' : '.');
  });
  src.append(' The numbers are computed by the Rust crate in crate/ (compiled to WebAssembly); nothing leaves this tab.');
  d.append(heading('Source'), src);
  container.replaceChildren(d);
  return d;
}

if (typeof document !== 'undefined') {
  const host = document.getElementById('help-panel');
  if (host) renderHelpPanel(host);
}
