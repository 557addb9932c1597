// "Embed this": the snippets that put the lab's current experiment into another page, as the
// <idlab-figure> element (embed.js) or as an iframe (embed.html), with a view chooser, Copy
// buttons and a preview loaded only on request. Loaded by its own script tag; it reads the spec
// from the spec textarea (what Run runs) and the views from the lab's drawn result. Every user
// string reaches the DOM as text (textarea values, textContent).

/** The view modules' names, the values of the element's `view` attribute. */
export const VIEW_NAMES = ['overview', 'stimulus-sets', 'specificity', 'mapping', 'pruning', 'identifiability', 'classes', 'rdm-bars', 'heatmaps'];

/** The class each view gives its section in the lab's result (views/*.js), by view name. */
const VIEW_SECTIONS = {
  'stimulus-sets': 'idlab-sets', specificity: 'idlab-specificity', mapping: 'idlab-mapping',
  pruning: 'idlab-pruning', identifiability: 'idlab-identifiability', classes: 'idlab-classes',
  'rdm-bars': 'idlab-neural', heatmaps: 'idlab-heatmaps',
};

const $ = (id) => document.getElementById(id);

/** The lab's folder (where embed.js and embed.html are), as an absolute URL ending in '/'. */
export function labBase(href = location.href) {
  return new URL('./', href).href;
}

/** A value for a single-quoted HTML attribute. */
export function attrSingle(text) {
  return String(text).replaceAll('&', '&amp;').replaceAll("'", '&#39;').replaceAll('<', '&lt;');
}

/** A value for a double-quoted HTML attribute. */
export function attrDouble(text) {
  return String(text).replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
}

/**
 * {element, iframe, url}: the two snippets and the iframe's URL. `preset` (a preset file's name
 * without .json) replaces the spec when the spec is that preset unchanged; `views` a list of
 * view names (empty: every view the result has).
 */
export function snippets({ base, spec, preset, views }) {
  const view = views.length ? ` view="${attrDouble(views.join(','))}"` : '';
  const what = preset ? `preset="${attrDouble(preset)}"` : `spec='${attrSingle(JSON.stringify(spec))}'`;
  const element = `<script type="module" src="${attrDouble(`${base}embed.js`)}"></script>\n<idlab-figure ${what}${view}></idlab-figure>`;
  const params = [preset ? `preset=${encodeURIComponent(preset)}` : `spec=${encodeURIComponent(JSON.stringify(spec))}`];
  if (views.length) params.push(`view=${encodeURIComponent(views.join(','))}`);
  const url = `${base}embed.html#${params.join('&')}`;
  const title = spec && typeof spec.name === 'string' ? spec.name : 'idlab experiment';
  const iframe = `<iframe src="${attrDouble(url)}" title="${attrDouble(`idlab: ${title}`)}" width="100%" height="560" style="border: 0" loading="lazy"></iframe>`;
  return { element, iframe, url };
}

/** What an embed cannot take from this tab: the user's own files (they never leave it). */
export function localFiles(spec) {
  const list = [...(spec.sources || []), ...(spec.targets || [])];
  const files = list.some((m) => m && (typeof m.onnx === 'string' || typeof m.responses === 'string' || typeof m.rdms === 'string'
    || (m.weights && typeof m.weights.file === 'string')));
  return files || (spec.stimuli && spec.stimuli.set === 'upload');
}

/** JSON with object keys sorted, so two specs compare equal whatever their key order. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The presets as [{name, spec}], fetched once; [] when they cannot be. */
let presetsPromise = null;
function presets() {
  presetsPromise ??= (async () => {
    const index = await (await fetch('presets/index.json')).json();
    return Promise.all(index.presets.map(async ({ file }) => ({
      name: file.replace(/\.json$/, ''),
      spec: await (await fetch(`presets/${file}`)).json(),
    })));
  })().catch(() => []);
  return presetsPromise;
}

/** The preset's name when `spec` is a preset unchanged (as written, or as the lab upgrades it), else null. */
async function presetOf(spec) {
  const want = canonical(spec);
  for (const p of await presets()) {
    if (canonical(p.spec) === want) return p.name;
    const core = window.idlab && window.idlab.core;
    if (!core) continue;
    try {
      if (canonical(await core('upgrade_spec', p.spec)) === want) return p.name;
    } catch { /* a preset the core cannot read is not this spec */ }
  }
  return null;
}

/** The view names the lab's current result draws. */
function drawnViews() {
  const views = $('views');
  if (!views) return new Set();
  return new Set(Object.entries(VIEW_SECTIONS).filter(([, cls]) => views.querySelector(`.${cls}`)).map(([name]) => name));
}

function wire() {
  const toggle = $('embed-toggle');
  const panel = $('embed-panel');
  if (!toggle || !panel) return;
  const list = $('embed-view-list');
  const boxes = VIEW_NAMES.map((name) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = name;
    box.addEventListener('change', refresh);
    const text = document.createElement('span');
    text.textContent = name;
    label.append(box, ' ', text);
    list.append(label);
    return { box, text };
  });
  let current = null; // the last snippets shown
  let generation = 0;

  async function refresh() {
    if (panel.hidden) return;
    const mine = ++generation;
    const note = $('embed-note');
    let spec;
    try {
      spec = JSON.parse($('spec').value);
    } catch (err) {
      note.textContent = `The spec is not valid JSON (${err.message}): fix it to get the snippets.`;
      current = null;
      $('embed-element').value = '';
      $('embed-iframe').value = '';
      return;
    }
    const preset = await presetOf(spec);
    if (mine !== generation) return; // a later refresh has started
    const drawn = drawnViews();
    for (const { box, text } of boxes) text.textContent = drawn.has(box.value) ? `${box.value} (in this result)` : box.value;
    const views = boxes.filter(({ box }) => box.checked).map(({ box }) => box.value);
    current = snippets({ base: labBase(), spec, preset, views });
    $('embed-element').value = current.element;
    $('embed-iframe').value = current.iframe;
    note.textContent = [
      preset ? `This is the preset "${preset}" unchanged: the snippets name it.` : 'The snippets carry this spec.',
      localFiles(spec) ? 'It uses files from this tab (your images, data, model or weights), which an embed cannot load: embed a spec that uses the site\'s data.' : '',
    ].filter(Boolean).join(' ');
    if (!$('embed-preview').hidden) showPreview();
  }

  function showPreview() {
    if (!current) return;
    const box = $('embed-preview');
    const frame = box.querySelector('iframe') || document.createElement('iframe');
    frame.title = 'Preview of the embedded figure';
    frame.className = 'embed-preview-frame';
    if (frame.src !== current.url) frame.src = current.url;
    if (!frame.isConnected) box.append(frame);
    box.hidden = false;
  }

  toggle.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) {
      refresh();
      $('embed-heading').setAttribute('tabindex', '-1');
      $('embed-heading').focus();
    }
  });
  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    panel.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    toggle.focus();
  });
  for (const [button, area] of [['embed-copy-element', 'embed-element'], ['embed-copy-iframe', 'embed-iframe']]) {
    $(button).addEventListener('click', async () => {
      await refresh();
      const status = $('embed-copied');
      try {
        await navigator.clipboard.writeText($(area).value);
        status.textContent = 'Copied.';
      } catch {
        $(area).select();
        status.textContent = 'Copying was not allowed here: the snippet is selected, copy it with the keyboard.';
      }
    });
  }
  $('embed-preview-toggle').addEventListener('click', async () => {
    const box = $('embed-preview');
    const open = box.hidden;
    if (open) {
      await refresh();
      showPreview();
    }
    else {
      box.replaceChildren(); // unloads the preview's figure
      box.hidden = true;
    }
    $('embed-preview-toggle').setAttribute('aria-expanded', String(open));
    $('embed-preview-toggle').textContent = open ? 'Hide the preview' : 'Show a preview';
  });
  // The lab rewrites the spec from the form and draws results: refresh after either.
  const later = () => setTimeout(refresh, 0);
  document.addEventListener('input', (event) => { if (!panel.contains(event.target)) later(); });
  document.addEventListener('change', (event) => { if (!panel.contains(event.target)) later(); });
  // The lab's permalink changes with every spec it shows (page/permalink.js updateLink).
  const link = $('permalink');
  if (link) new MutationObserver(later).observe(link, { attributes: true, attributeFilter: ['href'] });
  const views = $('views');
  if (views) new MutationObserver(later).observe(views, { childList: true });
}

wire();
