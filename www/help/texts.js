// The page's help texts, in one place so the views, the footer and the help panel say the same:
// per metric what its number means, which way is better and its range; per view what it shows;
// a glossary; the papers the presets reproduce. Plain ES module, no DOM (node can import it).

/** Per metric (registry name): {name, means, better, range}. */
export const METRIC_HELP = {
  cka: {
    name: 'linear CKA',
    means: 'Linear centred kernel alignment compares the two layers\' image-by-image similarity structure (Gram matrices of the centred activations).',
    better: 'Higher is more similar.',
    range: '0 to 1: 1 for representations equal up to rotation and scale, near 0 for unrelated ones.',
  },
  'cka-debiased': {
    name: 'debiased CKA',
    means: 'Linear CKA with an unbiased estimator of the alignment, less inflated when there are few images and many units.',
    better: 'Higher is more similar.',
    range: 'At most 1; can be slightly below 0 for unrelated layers.',
  },
  'cka-rbf': {
    name: 'RBF CKA',
    means: 'CKA with a Gaussian (RBF) kernel instead of a linear one: it also sees nonlinear similarity structure.',
    better: 'Higher is more similar.',
    range: '0 to 1.',
  },
  rsa: {
    name: 'RSA',
    means: 'Representational similarity analysis: the correlation (Pearson, Spearman or Kendall τ, as the spec says) between the two sides\' representational dissimilarity matrices (RDMs), over every pair of images.',
    better: 'Higher is more similar.',
    range: '-1 to 1; against neural data, compare it with the noise ceiling (the grey band), the best a model could reach given the data\'s noise.',
  },
  regression: {
    name: 'ridge regression',
    means: 'Neural predictivity: a ridge (L2-regularised linear) regression from the source layer predicts every target unit on held-out images; the number is the median Pearson r over units.',
    better: 'Higher is more similar.',
    range: '-1 to 1. With few held-out images per split a correlation is meaningless (two points always give ±1): the core then switches to k-fold cross-validation or refuses, and says so beside the number.',
  },
  'soft-matching': {
    name: 'soft matching',
    means: 'Soft matching distance: the cost of the best soft (transport) assignment of the source\'s units to the target\'s, a one-to-one-like mapping.',
    better: 'Lower is more similar (it is a distance).',
    range: '0 and up; 0 for layers equal up to a permutation of units.',
  },
  procrustes: {
    name: 'Procrustes',
    means: 'Procrustes distance: how far apart the two layers are after the best rotation of one onto the other.',
    better: 'Lower is more similar (it is a distance).',
    range: '0 and up.',
  },
  nrp: {
    name: 'NRP',
    means: 'Nonlinear neural predictivity: a small MLP maps the source layer to the target\'s responses; the number is its held-out mean absolute error (the paper\'s NRP error), with its R² and a fairly fitted ridge baseline (same standardised inputs, λ chosen on the same validation images) on the same splits beside it.',
    better: 'Lower is better (an error).',
    range: '0 and up, in the target\'s units.',
  },
};

/** "Higher is more similar. 0 to 1: ..." for a metric, in one paragraph. */
export function metricHelpText(metric) {
  const h = METRIC_HELP[metric];
  if (!h) return `${metric}: see the README for what this metric measures.`;
  return `${h.name}: ${h.means} ${h.better} Range: ${h.range}`;
}

/** Per figure kind (figure()'s `kind`): what the figure shows, in two or three sentences. */
export const VIEW_HELP = {
  heatmap: 'Each cell is one layer of the source model (row) against one layer of the target model (column). Brighter cells score higher; hover a cell for its exact value. A bright diagonal means corresponding depths match.',
  'identifiability-best': 'For every layer of the target, each line is one source model\'s best score over all its layers. If the method identifies the architecture, the correct source (thick blue) lies above the others by more than the noise.',
  'identifiability-index': 'The identifiability index per target layer: (correct - mean of the others) / (correct + mean of the others). Above 0 the correct source stands out; near 0 the metric cannot tell the architectures apart.',
  'identifiability-depth': 'Every layer of every source against the chosen target layer, over relative depth (0 = input side, 1 = output side), so networks of different depth share the axis.',
  'rdm-bars': 'One bar per source layer: its score against the neural RDMs, the mean over subjects with the standard error. The grey band is the noise ceiling; ★ marks p < 0.05.',
  classes: 'Each class of architectures\' mean ± sd per target layer; ★ where Welch\'s t-test finds the classes differ (p < 0.05).',
  mapping: 'Held-out mean absolute error of the MLP (solid) and of its ridge baseline (dashed; same standardised inputs, λ chosen on the MLP\'s validation images) on the same splits, per source layer: lower is better.',
  pruning: 'Each metric\'s score as the model is pruned to growing sparsity, a line per layer: flat lines mean the pruned weights did not matter.',
  'stimulus-sets': 'The mean identifiability index per stimulus set and target: which images tell the architectures apart best.',
  'specificity-bars': 'Same-layer identification rate: how often a layer\'s best match in another member of the population is the layer of the same name.',
  'predictivity-bars': 'Same-layer predictivity: the held-out R² of each target layer predicted from the same layer of another member of the population (mapping metrics only), beside its best other layer.',
  mds: 'Classical multidimensional scaling of the dissimilarities: nearby points are represented alike.',
  rdm: 'A representational dissimilarity matrix: how different the representation of every pair of images is (row vs column).',
  bars: 'One bar per item; hover a bar for its exact value.',
  lines: 'One line per series; hover a point for its exact value.',
};

/** The glossary: [term, definition]. */
export const GLOSSARY = [
  ['CKA', 'Centred kernel alignment: a similarity of two representations of the same images, 1 for equal up to rotation and scale, near 0 for unrelated ones.'],
  ['RSA', 'Representational similarity analysis: compares two systems through their RDMs, by correlating them.'],
  ['RDM', 'Representational dissimilarity matrix: for every pair of images, how different their representations are (by default 1 - Pearson r of the two activation vectors).'],
  ['noise ceiling', 'The range a perfect model could reach given the variability between subjects (Nili et al., 2014): lower bound from leaving each subject out, upper from including it.'],
  ['identifiability index', '(correct - others) / (correct + others) of the best scores: above 0 the source of the target\'s true architecture scores best.'],
  ['ridge regression', 'A linear regression with an L2 penalty (λ), fitted on training images and scored on held-out ones (neural predictivity).'],
  ['soft matching', 'A distance between two layers from the best soft one-to-one assignment of their units (optimal transport).'],
  ['NRP', 'Nonlinear neural predictivity: an MLP mapping from a layer to neural responses, scored on held-out images.'],
  ['seed', 'The number that fixes a model\'s random initial weights: the same seed gives the same network.'],
  ['trained weights', 'Parameters learnt on a task (e.g. ImageNet classification), loaded from a file (.pth, .pt, .safetensors or a TFLite model) in place of a seed\'s random ones; "Trained weights" beside a zoo model chooses them.'],
];

/** The papers the presets reproduce (titles and authors as in the papers). */
export const CITATIONS = [
  'Han, Poggio & Cheung (2023). System identification of neural systems: if we got it right, would we know? ICML. (Presets 1 to 4.)',
  'Truzzi & Cusack. Convolutional neural networks as a model of visual activity in the brain: greater contribution of architecture than learned weights. NeurIPS 2020 workshop. (Preset 5.)',
  'Quantifying the brain predictivity of artificial neural networks with nonlinear response mapping (Frontiers in Computational Neuroscience, 2021): an MLP (the NRP network) from a network\'s activations to IT and V4 recordings, scored by mean absolute error, with pruned networks. Preset 6 runs it on the macaque V4 data of Cowley et al. (2023), a stand-in for the paper\'s own data. (Preset 6.)',
  'Thobani, Sagastuy-Brena, Nayebi, Cao & Yamins. Predictivity and specificity for model-brain alignment methods. (Preset 7.)',
];

/**
 * Why the page runs single-threaded, and what it costs, given the machine's core count. `why`
 * is isolation.js's reason when the site's service worker could not isolate the page either
 * (e.g. "service workers are blocked here").
 */
export function singleThreadNote(cores, why) {
  const n = Math.max(1, Math.min(Number(cores) || 1, 8));
  const reason = why
    ? `this host does not send the cross-origin isolation headers (COOP/COEP) and ${why}`
    : 'this host does not send the cross-origin isolation headers (COOP/COEP)';
  return `single-threaded: ${reason}, so the tab cannot share memory between threads` +
    (n > 1 ? `; runs take up to about ${n}× longer than threaded on this ${n}-core machine` : '');
}
