// The user's data: images (files, a folder, or a .zip the core unpacks), shown as
// thumbnails and made the spec's stimuli; and data files (responses, RDMs) made its
// targets. They stay in this tab; copies go to the worker with each run.

import { ui, dropZone, showError, setFormNote } from './dom.js';
import { block, unblock } from './run-gate.js';
import { state, userData } from './state.js';
import { call } from './worker-client.js';
import { showSpec, onFormEdit } from './form.js';
import { formView } from '../spec.js';
import { formatBytes } from '../format.js';

const IMAGE_RE = /\.(png|jpe?g|webp|gif|bmp)$/i;
const naturalOrder = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }).compare;
const MAX_THUMBS = 60;

/** Files (from an input, a folder or a drop) as the user's images: a .zip is unpacked by the core. */
async function takeImages(files, folderName) {
  files = [...files];
  try {
    let entries;
    let folder = folderName;
    const zip = files.length === 1 && /\.zip$/i.test(files[0].name) ? files[0] : null;
    if (zip) {
      const bytes = await zip.arrayBuffer();
      const reply = await call({ type: 'unzip', name: zip.name, bytes }, [bytes]);
      entries = reply.files;
      folder = zip.name;
    } else {
      const images = files.filter((f) => IMAGE_RE.test(f.name));
      const skipped = files.length - images.length;
      if (!images.length) throw new Error(`none of the ${files.length} file(s) is an image (PNG, JPEG, WebP, GIF, BMP) or a .zip`);
      images.sort((a, b) => naturalOrder(a.webkitRelativePath || a.name, b.webkitRelativePath || b.name));
      entries = await Promise.all(images.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
      folder = folder || (images[0].webkitRelativePath ? images[0].webkitRelativePath.split('/')[0] : `${images.length} images`);
      if (skipped) setFormNote(`${skipped} file(s) that are not images were left out.`, 'info');
    }
    state.userStimuli = { folder, files: entries };
    unblock('upload');
    showThumbs();
    const option = [...ui.stimulusSet.options].find((o) => o.value === 'upload');
    option.disabled = false;
    option.textContent = `your images: ${folder} (${entries.length})`;
    ui.stimulusSet.value = 'upload';
    if (formView(state.formSpec)) onFormEdit();
    else if (Array.isArray((state.formSpec || state.defaultSpec).more_stimuli)) addUploadSet(folder);
    else setSpecStimuli({ set: 'upload', folder });
  } catch (err) {
    ui.imagesInfo.textContent = '';
    // Run stays off only while the spec asks for images this tab lacks (an upload it cannot run).
    const s = state.formSpec || {};
    if (s.stimuli && s.stimuli.set === 'upload' && !state.userStimuli) block('upload', 'the images you added could not be read');
    showError(`Could not use those images: ${err.message}`);
  }
}

/** Sets the spec's stimuli directly (for specs the form does not edit). */
function setSpecStimuli(stimuli) {
  const spec = { ...(state.formSpec || state.defaultSpec), stimuli };
  showSpec(spec);
}

/** A spec over several stimulus sets (preset 3) takes the user's images as one more set, replacing an earlier upload. */
function addUploadSet(folder) {
  const base = state.formSpec || state.defaultSpec;
  const more = base.more_stimuli.filter((s) => s.set !== 'upload');
  const spec = base.stimuli?.set === 'upload'
    ? { ...base, stimuli: { set: 'upload', folder }, more_stimuli: more }
    : { ...base, more_stimuli: [...more, { set: 'upload', folder }] };
  showSpec(spec);
  setFormNote(`Your images (${folder}) are one more stimulus set of this experiment.`, 'info');
}

function showThumbs() {
  for (const img of ui.thumbs.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  const files = state.userStimuli.files;
  ui.imagesInfo.textContent = `${files.length} images from ${state.userStimuli.folder}` +
    (files.length > MAX_THUMBS ? ` (the first ${MAX_THUMBS} shown)` : '') + '; they are matched to responses by file name.';
  ui.thumbs.replaceChildren(...files.slice(0, MAX_THUMBS).map((f) => {
    const fig = document.createElement('figure');
    const img = document.createElement('img');
    img.src = URL.createObjectURL(new Blob([f.bytes]));
    img.alt = f.name;
    img.loading = 'lazy';
    const cap = document.createElement('figcaption');
    cap.textContent = f.name;
    fig.append(img, cap);
    return fig;
  }));
  ui.thumbs.hidden = false;
}

/** Every file under a dropped folder entry (webkitGetAsEntry), with its path. */
async function filesOfEntry(entry) {
  if (entry.isFile) return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) out.push(...(await filesOfEntry(e)));
  }
  return out;
}

async function onImagesDrop(event) {
  const items = [...(event.dataTransfer.items || [])].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  const dir = items.length === 1 && items[0] && items[0].isDirectory ? items[0] : null;
  if (dir) return takeImages(await filesOfEntry(dir), dir.name);
  return takeImages(event.dataTransfer.files);
}

async function takeData(file) {
  if (!file) return;
  userData.set(file.name, { bytes: await file.arrayBuffer(), size: file.size });
  state.lastDataFile = file.name;
  ui.dataInfo.textContent = `${file.name} (${formatBytes(file.size)}): checked against the images when the run starts.`;
  ui.useResponses.disabled = false;
  ui.useRdms.disabled = false;
}

/** Makes the data file added last the target: the sources are scored against it. */
function useData(kind) {
  const base = state.formSpec || state.defaultSpec;
  const spec = { ...base, targets: [{ [kind]: state.lastDataFile }] };
  spec.metrics = kind === 'rdms' ? [{ name: 'rsa' }] : [{ name: 'regression' }, { name: 'cka' }];
  spec.name = `${(base.sources || []).map((m) => m.onnx || `${m.arch} seed ${m.seed}`).join(', ')} vs ${state.lastDataFile}`;
  delete spec.figure;
  delete spec.about;
  showSpec(spec);
}

export function wireUploads() {
  ui.uploadImages.addEventListener('change', () => takeImages(ui.uploadImages.files));
  ui.uploadFolder.addEventListener('change', () => takeImages(ui.uploadFolder.files));
  dropZone(ui.imagesDrop, (e) => { onImagesDrop(e).catch((err) => showError(err.message)); });
  ui.uploadData.addEventListener('change', () => takeData(ui.uploadData.files[0]));
  dropZone(ui.dataDrop, (e) => takeData(e.dataTransfer.files[0]));
  ui.useResponses.addEventListener('click', () => useData('responses'));
  ui.useRdms.addEventListener('click', () => useData('rdms'));
}
