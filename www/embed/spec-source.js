// The spec a figure runs, from its attributes: `preset` (a preset of the lab's, by its file name
// without .json), `spec` (JSON text) or `src` (a URL relative to the host page), then `images`
// (the first N images: stimuli.limit). Every failure is an Error whose message the figure shows.

import { LAB } from './lab-worker.js';
import { classifyUrl, refusalMessage } from '../url-safety.js';

/** The names of the lab's presets (presets/index.json), without .json. */
export async function presetNames() {
  const index = await fetchJson(new URL('presets/index.json', LAB), 'the list of presets');
  return (index.presets || []).map((p) => String(p.file).replace(/\.json$/, ''));
}

/**
 * {spec, preset}: the spec the attributes name, with `images` applied; rejects with a message
 * that says what is wrong (an unknown preset lists the presets' names).
 */
export async function specFromAttributes({ preset, spec, src, images }) {
  const given = [preset, spec, src].filter((v) => v !== null && v !== undefined);
  if (given.length === 0) throw new Error('This figure names no experiment: give it a preset, spec or src attribute.');
  if (given.length > 1) throw new Error('This figure names more than one experiment: give it only one of preset, spec and src.');
  let value;
  if (preset !== null && preset !== undefined) {
    value = await presetSpec(preset.trim());
  } else if (spec !== null && spec !== undefined) {
    try {
      value = JSON.parse(spec);
    } catch (err) {
      throw new Error(`The spec attribute is not valid JSON: ${err.message}`);
    }
  } else {
    // Not from the reader's own network, nor a scheme other than http(s) (url-safety.js).
    const safety = classifyUrl(src, { page: document.baseURI, lab: LAB.href });
    if (safety.verdict === 'refuse') throw new Error(refusalMessage([{ url: src, reason: safety.reason }], 'The src attribute'));
    value = await fetchJson(new URL(src, document.baseURI), `the spec ${src}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('The spec is not a JSON object.');
  return { spec: withImages(value, images), preset: preset ?? null };
}

async function presetSpec(name) {
  const names = await presetNames();
  if (!names.includes(name)) {
    throw new Error(`Unknown preset "${name}". The presets are: ${names.join(', ')}.`);
  }
  return fetchJson(new URL(`presets/${name}.json`, LAB), `the preset ${name}`);
}

/** The spec on its first `images` images (stimuli.limit), or as it is when images is absent. */
function withImages(spec, images) {
  if (images === null || images === undefined || images === '') return spec;
  const n = Number(images);
  if (!Number.isInteger(n) || n < 1) throw new Error(`images="${images}" is not a whole number of images (1 or more).`);
  return { ...spec, stimuli: { ...(spec.stimuli || {}), limit: n } };
}

async function fetchJson(url, what) {
  let resp;
  try {
    resp = await fetch(url);
  } catch (err) {
    throw new Error(`Could not load ${what} from ${url.href}: ${err.message}`);
  }
  if (!resp.ok) throw new Error(`Could not load ${what} from ${url.href}: HTTP ${resp.status}`);
  try {
    return await resp.json();
  } catch (err) {
    throw new Error(`${what} (${url.href}) is not valid JSON: ${err.message}`);
  }
}
