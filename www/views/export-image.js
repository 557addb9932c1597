// PNG / SVG downloads of a plot that stand alone: the image carries the figure's title, its
// caption and where it came from (the experiment's name, idlab's version, the date), drawn into
// it, so a figure pasted into a report still says what it shows. Plain ES module; Plotly is
// window.Plotly (plot.js loads it), not imported, so plot.js can import this.
//
//   provenanceOf(result)                       -> {name, version, flavor} (set on a views container)
//   setProvenance(element, result)             -> marks element's plots with the result's provenance
//   downloadButtons(plot, {filename, caption}) -> a <div> of PNG and SVG buttons for the plot div
//   stampedImage(plot, format, {caption, provenance}) -> Promise of a Blob (PNG or SVG)

import { download } from '../download.js';

/** `text` broken into lines of at most `chars` characters at spaces. */
export function wrapText(text, chars) {
  const out = [];
  let line = '';
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > chars) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}

/** What an exported figure says about where it came from. */
export function provenanceOf(result) {
  return { name: result?.spec?.name ?? '', version: result?.idlab_version ?? '', flavor: result?.flavor ?? '' };
}

/** Marks `element` (a views container, the page's heatmap) so its plots' exports name `result`. */
export function setProvenance(element, result) {
  element.dataset.idlabProvenance = JSON.stringify(provenanceOf(result));
}

/** "Experiment name · idlab 0.4.0 · 2026-12-01" for a plot, from the nearest marked element. */
export function provenanceLine(plot, date = new Date()) {
  let p = {};
  try {
    p = JSON.parse(plot.closest('[data-idlab-provenance]')?.dataset.idlabProvenance ?? '{}');
  } catch { /* unmarked: idlab and the date only */ }
  return [p.name, `idlab${p.version ? ` ${p.version}` : ''}`, date.toISOString().slice(0, 10)].filter(Boolean).join(' · ');
}

const escXml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The plot as a PNG or SVG Blob with a footer (the caption, wrapped, and the provenance line) drawn
 * into the image, under the plot's own title; `title`: a header for a plot drawn without one.
 */
export async function stampedImage(plot, format, { caption = '', provenance = provenanceLine(plot), title = '' } = {}) {
  const P = window.Plotly;
  const width = Math.max(640, Math.round(plot.clientWidth || 800));
  const height = Math.max(300, Math.round(plot.clientHeight || 400));
  const font = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const capLines = wrapText(caption, Math.floor((width - 32) / 7));
  const top = title ? 34 : 0;
  const bottom = 16 + 18 * capLines.length + 22;
  const total = height + top + bottom;
  const url = await P.toImage(plot, { format: format === 'svg' ? 'svg' : 'png', width, height, scale: format === 'svg' ? 1 : 2 });
  if (format === 'svg') {
    let inner = decodeURIComponent(url.slice(url.indexOf(',') + 1)).replace(/^<\?xml[^>]*>\s*/, '');
    inner = inner.replace('<svg ', `<svg x="0" y="${top}" `);
    const text = (y, s, size, weight = 400, color = '#1b1f2a') =>
      `<text x="16" y="${y}" font-family='${font}' font-size="${size}" font-weight="${weight}" fill="${color}">${escXml(s)}</text>`;
    const parts = [
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}">`,
      `<rect width="100%" height="100%" fill="#ffffff"/>`,
      title ? text(24, title, 16, 600) : '',
      inner,
      ...capLines.map((l, i) => text(height + top + 20 + 18 * i, l, 13, 400, '#3d4352')),
      text(total - 10, provenance, 11, 400, '#5f6675'),
      '</svg>',
    ];
    return new Blob([parts.join('\n')], { type: 'image/svg+xml;charset=utf-8' });
  }
  const img = await new Promise((resolve, reject) => {
    const i = new Image();
    i.onload = () => resolve(i);
    i.onerror = () => reject(new Error('the plot image could not be read'));
    i.src = url;
  });
  const scale = 2;
  const canvas = document.createElement('canvas');
  canvas.width = width * scale;
  canvas.height = total * scale;
  const ctx = canvas.getContext('2d');
  ctx.scale(scale, scale);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, total);
  ctx.textBaseline = 'alphabetic';
  if (title) {
    ctx.fillStyle = '#1b1f2a';
    ctx.font = `600 16px ${font}`;
    ctx.fillText(title, 16, 24);
  }
  ctx.drawImage(img, 0, top, width, height);
  ctx.fillStyle = '#3d4352';
  ctx.font = `13px ${font}`;
  capLines.forEach((l, i) => ctx.fillText(l, 16, height + top + 20 + 18 * i));
  ctx.fillStyle = '#5f6675';
  ctx.font = `11px ${font}`;
  ctx.fillText(provenance, 16, total - 10);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

/**
 * PNG and SVG download buttons for the plot div `plot`: `filename` (a slug, no extension),
 * `caption` (text or a function giving it at click time) drawn under the image.
 */
export function downloadButtons(plot, { filename, caption = '' }) {
  const actions = document.createElement('div');
  actions.className = 'idlab-figure-actions';
  for (const format of ['png', 'svg']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'idlab-download';
    b.dataset.format = format;
    b.textContent = format.toUpperCase();
    b.title = `Download this plot as ${format.toUpperCase()}, with its caption and provenance`;
    b.setAttribute('aria-label', `Download this plot as ${format.toUpperCase()}`);
    b.addEventListener('click', async () => {
      const text = typeof caption === 'function' ? caption() : caption;
      download(`${typeof filename === 'function' ? filename() : filename}.${format}`, await stampedImage(plot, format, { caption: text }));
    });
    actions.append(b);
  }
  return actions;
}
