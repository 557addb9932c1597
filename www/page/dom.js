// The page's elements by id, and the small helpers every module writes through:
// the status line, the screen-reader announcement, the error box, the form's note.

export { dropZone } from '../drop-zone.js';

export const $ = (id) => document.getElementById(id);

export const ui = {
  run: $('run'),
  cancel: $('cancel'),
  build: $('build'),
  progress: $('progress'),
  status: $('status'),
  announce: $('announce'),
  error: $('error'),
  spec: $('spec'),
  resetSpec: $('reset-spec'),
  name: $('experiment-name'),
  summary: $('summary'),
  heatmap: $('heatmap'),
  download: $('download'),
  tableDetails: $('table-details'),
  tableWrap: $('table-wrap'),
  form: $('model-form'),
  images: $('images'),
  imagesMax: $('images-max'),
  formNote: $('form-note'),
  stimuliWhy: $('stimuli-why'),
  sidesWhy: $('sides-why'),
  memoryLimit: $('memory-limit'),
  permalink: $('permalink'),
  stimulusSet: $('stimulus-set'),
  copyLink: $('copy-link'),
  preset: $('preset'),
  about: $('about'),
  views: $('views'),
  exports: $('exports'),
  uploadImages: $('upload-images'),
  uploadFolder: $('upload-folder'),
  imagesDrop: $('images-drop'),
  imagesInfo: $('images-info'),
  thumbs: $('thumbs'),
  uploadData: $('upload-data'),
  dataDrop: $('data-drop'),
  dataInfo: $('data-info'),
  useResponses: $('use-responses'),
  useRdms: $('use-rdms'),
  keepExports: $('keep-exports'),
  // "Run on trained weights" beside the preset menu (trained.js).
  trainedBox: $('trained-variant'),
  trainedRun: $('trained-run'),
  trainedBack: $('trained-back'),
  trainedNote: $('trained-note'),
  trainedSides: $('trained-sides'),
};

/** The two sides of the form, each a clone of the same template (see form.js). */
export const SIDES = ['source', 'target'];

/** One side's elements: the zoo selector, the seed, the trained weights control, the memory line and the ONNX panel. */
export const sideUi = (side) => ({
  arch: $(`${side}-arch`),
  seed: $(`${side}-seed`),
  memory: $(`${side}-memory`),
  onnx: $(`${side}-onnx`),
  file: $(`${side}-onnx-file`),
  drop: $(`${side}-onnx-drop`),
  url: $(`${side}-onnx-url`),
  fetch: $(`${side}-onnx-fetch`),
  info: $(`${side}-onnx-info`),
  layers: $(`${side}-onnx-layers`),
  size: $(`${side}-onnx-size`),
  mean: $(`${side}-onnx-mean`),
  std: $(`${side}-onnx-std`),
  channels: $(`${side}-onnx-channels`),
  weights: $(`${side}-weights`),
  weightsKind: $(`${side}-weights-kind`),
  weightsFileBox: $(`${side}-weights-file-box`),
  weightsFile: $(`${side}-weights-file`),
  weightsUrlBox: $(`${side}-weights-url-box`),
  weightsUrl: $(`${side}-weights-url`),
  weightsSha: $(`${side}-weights-sha256`),
  weightsFetch: $(`${side}-weights-fetch`),
  weightsCancel: $(`${side}-weights-cancel`),
  weightsInfo: $(`${side}-weights-info`),
  weightsError: $(`${side}-weights-error`),
});

export function setStatus(text) {
  ui.status.textContent = text;
}

export function announce(text) {
  ui.announce.textContent = text;
}

export function showError(message) {
  if (!ui.error) { // a view on a page of its own
    console.warn(`idlab: ${message}`);
    return;
  }
  ui.error.textContent = message;
  ui.error.hidden = false;
  console.warn(`idlab: ${message}`);
}

export function clearError() {
  ui.error.textContent = '';
  ui.error.hidden = true;
}

export function setFormNote(text, kind = 'info') {
  ui.formNote.textContent = text;
  ui.formNote.hidden = !text;
  ui.formNote.dataset.kind = kind;
}

/** Reads one whole number from an input; null (and the field marked) if it is not one in [min, max]. */
export function readInt(input, min, max) {
  const text = input.value.trim();
  const v = Number(text);
  const ok = text !== '' && Number.isSafeInteger(v) && v >= min && (max === undefined || v <= max);
  if (ok) input.removeAttribute('aria-invalid');
  else input.setAttribute('aria-invalid', 'true');
  return ok ? v : null;
}

/** The element `id`, made once as a `tag` of class `className` right after `anchor`: a slot the page fills. */
export function slotAfter(anchor, tag, id, className) {
  let box = $(id);
  if (!box) {
    box = document.createElement(tag);
    box.id = id;
    box.className = className;
    anchor.after(box);
  }
  return box;
}

/** A heading and a list of text items (an item may be a list of nodes and strings; never HTML). */
export function titledList(title, items) {
  const box = document.createElement('div');
  const h = document.createElement('h3');
  h.textContent = title;
  const ul = document.createElement('ul');
  for (const item of items) {
    const li = document.createElement('li');
    if (typeof item === 'string') li.textContent = item;
    else li.append(...item);
    ul.append(li);
  }
  box.append(h, ul);
  return box;
}
