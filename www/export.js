// idlab exports of a result document (spec.idlab == 2): the download buttons. The CSV
// and the report are the core's (crate/src/experiment/output/), asked through the
// compute worker, so that they are the bytes `idlab run` writes to scores.csv and
// report.txt. Plain ES module; no Plotly needed.
//
//   exportButtons(container, result, {zip}) -> the div of "Download JSON / CSV / report" buttons, and
//                                            "activations and RDMs (.zip)" when the run kept them

import { slug } from './format.js';
import { download } from './download.js';
import { core } from './page/worker-client.js';
import { showError } from './page/dom.js';

/** The downloads' base name: the spec's name as a slug of at most 60 characters. */
function baseName(result) {
  return slug(result.spec?.name ?? 'idlab-result', 'idlab-result', 60);
}

/**
 * Appends "Download JSON", "Download CSV" and "Download report" buttons to container, and
 * "Download activations and RDMs (.zip)" when `zip` (a Blob: the .npy files the core built
 * for spec.export, the files `idlab run` writes) is given; returns their div.
 */
export function exportButtons(container, result, { zip = null } = {}) {
  const div = document.createElement('div');
  div.className = 'idlab-exports';
  const base = baseName(result);
  const items = [
    ['json', 'Download JSON', () => download(`${base}.json`, JSON.stringify(result, null, 2), 'application/json;charset=utf-8')],
    ['csv', 'Download CSV', async () => download(`${base}.csv`, await core('tidy_csv', result), 'text/csv;charset=utf-8')],
    ['report', 'Download report', async () => download(`${base}-report.txt`, await core('report_text', result), 'text/plain;charset=utf-8')],
  ];
  if (zip) items.push(['npy', 'Download activations and RDMs (.zip)', () => download(`${base}-activations-rdms.zip`, zip)]);
  for (const [kind, text, act] of items) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.export = kind;
    b.textContent = text;
    b.addEventListener('click', () => Promise.resolve(act()).catch((err) => showError(`Could not write the ${kind} download: ${err.message}`)));
    div.append(b);
  }
  container.append(div);
  return div;
}
