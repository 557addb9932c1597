// The page structure the result views share: a titled <section> per analysis, a folded
// <details> for long lists of plots, and the names the views give a result's parts.

import { metricName, modelLabel, modelsById, slug } from '../format.js';
import { plotly } from './plot.js';

/** A <section class="idlab-views-section className"> with an <h3>, appended to container. */
export function section(container, heading, className) {
  const s = document.createElement('section');
  s.className = `idlab-views-section ${className}`;
  const h = document.createElement('h3');
  h.textContent = heading;
  s.append(h);
  container.append(s);
  return s;
}

/** A closed <details> in `container`; its plots are resized when it opens (drawn while hidden). */
export function fold(container, summary) {
  const d = document.createElement('details');
  d.className = 'idlab-fold';
  const s = document.createElement('summary');
  s.textContent = summary;
  d.append(s);
  d.addEventListener('toggle', () => {
    if (d.open) for (const gd of d.querySelectorAll('.js-plotly-plot')) plotly().Plots.resize(gd);
  });
  container.append(d);
  return d;
}

/** " · textures" for an entry of a run over several stimulus sets, else "". */
export function setSuffix(result, entry) {
  if (!Number.isInteger(entry?.set)) return '';
  return ` · ${result.stimulus_sets?.[entry.set]?.name ?? `set ${entry.set}`}`;
}

/** Whether two entries (scores, verdicts) are of the same stimulus set. */
export const sameSet = (a, b) => (a.set ?? null) === (b.set ?? null);

/** The start of every plot's download name: the spec's name as a slug, at most 40 characters. */
export function fileBase(result) {
  return slug(result.spec?.name ?? 'idlab', 'idlab', 40);
}


/**
 * The small-size warnings the core put on `scores` (e.g. "too few test images per split: scored by
 * k-fold cross-validation"), as a list to show beside their numbers; null when there are none.
 */
export function scoreWarnings(result, scores) {
  const get = modelsById(result);
  const items = scores.flatMap((s) => (s.warnings ?? []).map((w) =>
    `${metricName(s.metric)}, ${modelLabel(get(s.source))} vs ${modelLabel(get(s.target))}: ${w}`));
  if (!items.length) return null;
  const ul = document.createElement('ul');
  ul.className = 'idlab-warnings';
  ul.setAttribute('role', 'note');
  for (const text of [...new Set(items)]) {
    const li = document.createElement('li');
    li.textContent = `⚠ ${text}`;
    ul.append(li);
  }
  return ul;
}
