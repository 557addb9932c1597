// What the page's modules share: the loaded model list and default spec, the spec the
// form shows, the last run's outcome, and the user's files (which stay in this tab;
// copies of their bytes go to the worker with each run).

export const state = {
  zooModels: null,      // models[] of models/zoo.json once loaded
  zooError: null,       // why models/zoo.json could not be used, if it could not
  zooReady: null,       // the promise of loading it (a run waits for it before its check)
  defaultSpec: null,    // the preset, parsed
  defaultSpecText: '',
  presetSpec: null,     // {spec, title} of the preset last loaded (the About text says how the spec differs from it)
  defaultPreset: null,  // the same for the default preset
  formSpec: null,       // the last spec the textarea parsed to (or the form wrote): what the form shows
  lastResult: null,
  lastExports: null,    // the last run's activations and RDMs (a .zip Blob), when its spec asked for them
  lastProgress: null,
  // The user's images ({folder, files: [{name, bytes: ArrayBuffer}]}, natural order).
  userStimuli: null,
  lastDataFile: null,   // the data file added last (the one the "Score the sources against…" buttons use)
  weightsCatalogue: null,      // the entries of models/weights.json once loaded ([] if it could not be)
  weightsCatalogueError: null, // why it could not be, if it could not
  keptWeights: null,           // what the worker keeps in Cache Storage ({available, why, entries, total})
  lastWeightsError: null,      // {name, message} of the last weights file the core refused
};

/** Users' ONNX files, by name (the spec's "onnx" value): {bytes: ArrayBuffer, size, inspection}. */
export const userFiles = new Map();
/** Users' trained weights files (.pth, .pt, .safetensors), by name (the spec's weights.file): {bytes, size}. */
export const userWeights = new Map();
/** Users' data files (responses, RDMs), by name: {bytes, size}. */
export const userData = new Map();

/** The zoo list's entry for `arch` (undefined before the list loads or for an arch it lacks). */
export function zooEntry(arch) {
  return state.zooModels ? state.zooModels.find((m) => m.arch === arch) : undefined;
}
